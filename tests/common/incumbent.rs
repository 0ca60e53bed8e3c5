//! A stand-in for the deploymenttheory/jamfpro provider, for the tests of `moved` blocks from it:
//! a state that names that provider needs it available, and Terraform asks it for its schema
//! (only that: it loads the schema of every provider the state names, once the plan is made).
//! It serves the two schemas the incumbent's `jamfpro_api_role` and `jamfpro_api_integration`
//! have (SDKv2, version 0) and manages nothing: every other call is recorded and refused, so a
//! test can prove that the move never needed the incumbent beyond its schema. Test code only,
//! served in the test process (`TF_REATTACH_PROVIDERS`), never a shipped binary.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use mdmkit::framework::provider::DynResource;
use mdmkit::framework::{
    Attr, Attribute, Block, ConfigureRequest, CreateRequest, Diagnostics, NestedBlock, Nesting, Private, Provider,
    ReadRequest, Resource, Schema, StateResponse, Type, UpdateRequest,
};
use serde::{Deserialize, Serialize};

/// The incumbent's address, under which the stand-in is attached.
pub const ADDRESS: &str = "registry.terraform.io/deploymenttheory/jamfpro";

/// The calls the stand-in received besides the schema request ("configure", "read jamfpro_api_role", ...).
#[derive(Clone, Default)]
pub struct Calls(pub Arc<Mutex<Vec<String>>>);

impl Calls {
    fn record(&self, what: impl Into<String>, diags: &mut Diagnostics) {
        let what = what.into();
        diags.error(
            "The jamfpro stand-in manages nothing",
            format!("The test's stand-in for deploymenttheory/jamfpro was asked to {what}."),
        );
        self.0.lock().unwrap().push(what);
    }

    /// Everything recorded so far.
    pub fn taken(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// The stand-in provider (type name `jamfpro`).
pub struct IncumbentProvider {
    /// What it was asked to do.
    pub calls: Calls,
}

/// The stand-in's provider block: none of the incumbent's settings matter to a test.
#[derive(Serialize, Deserialize)]
pub struct NoConfig {}

#[async_trait]
impl Provider for IncumbentProvider {
    type Data = ();
    type Config = NoConfig;

    fn type_name(&self) -> &'static str {
        "jamfpro"
    }

    fn schema(&self) -> Schema {
        Schema::new("Stand-in for deploymenttheory/jamfpro.")
    }

    async fn configure(&self, _req: ConfigureRequest<NoConfig>, diags: &mut Diagnostics) -> Option<()> {
        self.calls.record("configure", diags);
        None
    }

    fn resources(&self) -> Vec<Arc<dyn DynResource<()>>> {
        vec![
            Arc::new(Incumbent { kind: Kind::Role, calls: self.calls.clone() }),
            Arc::new(Incumbent { kind: Kind::Integration, calls: self.calls.clone() }),
        ]
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Role,
    Integration,
}

/// One of the incumbent's two resource types.
struct Incumbent {
    kind: Kind,
    calls: Calls,
}

/// SDKv2's `timeouts` block.
#[derive(Serialize, Deserialize, Default, Clone, PartialEq)]
pub struct Timeouts {
    create: Attr<String>,
    read: Attr<String>,
    update: Attr<String>,
    delete: Attr<String>,
}

/// Both types' attributes (the role's are a subset; the framework fills what a type lacks with null).
#[derive(Serialize, Deserialize, Default, Clone, PartialEq)]
pub struct IncumbentModel {
    id: Attr<String>,
    display_name: Attr<String>,
    #[serde(default)]
    privileges: Attr<BTreeSet<String>>,
    #[serde(default)]
    enabled: Attr<bool>,
    #[serde(default)]
    access_token_lifetime_seconds: Attr<i64>,
    #[serde(default)]
    app_type: Attr<String>,
    #[serde(default)]
    client_id: Attr<String>,
    #[serde(default)]
    authorization_scopes: Attr<BTreeSet<String>>,
    timeouts: Attr<Timeouts>,
}

fn timeouts() -> NestedBlock {
    let block = Block {
        attributes: ["create", "read", "update", "delete"].map(|t| Attribute::string(t).optional()).into(),
        ..Block::default()
    };
    NestedBlock::new("timeouts", Nesting::Single, block)
}

#[async_trait]
impl Resource for Incumbent {
    type Data = ();
    type Model = IncumbentModel;

    fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Role => "jamfpro_api_role",
            Kind::Integration => "jamfpro_api_integration",
        }
    }

    fn schema(&self) -> Schema {
        let schema = Schema::new("")
            .attribute(Attribute::string("id").computed())
            .attribute(Attribute::string("display_name").required());
        let schema = match self.kind {
            Kind::Role => schema.attribute(Attribute::set_of("privileges", Type::String).required()),
            Kind::Integration => schema
                .attribute(Attribute::bool("enabled").required())
                .attribute(Attribute::number("access_token_lifetime_seconds").optional())
                .attribute(Attribute::string("app_type").computed())
                .attribute(Attribute::string("client_id").computed())
                .attribute(Attribute::set_of("authorization_scopes", Type::String).required()),
        };
        schema.block(timeouts())
    }

    async fn create(
        &self,
        _: &(),
        _: CreateRequest<IncumbentModel>,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<IncumbentModel>> {
        self.calls.record(format!("create {}", Resource::type_name(self)), diags);
        None
    }

    async fn read(
        &self,
        _: &(),
        _: ReadRequest<IncumbentModel>,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<IncumbentModel>> {
        self.calls.record(format!("read {}", Resource::type_name(self)), diags);
        None
    }

    async fn update(
        &self,
        _: &(),
        _: UpdateRequest<IncumbentModel>,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<IncumbentModel>> {
        self.calls.record(format!("update {}", Resource::type_name(self)), diags);
        None
    }

    async fn delete(&self, _: &(), _: IncumbentModel, _: Private, diags: &mut Diagnostics) {
        self.calls.record(format!("delete {}", Resource::type_name(self)), diags);
    }

    async fn upgrade_state(
        &self,
        version: i64,
        _: serde_json::Value,
        diags: &mut Diagnostics,
    ) -> Option<IncumbentModel> {
        self.calls.record(format!("upgrade {} from version {version}", Resource::type_name(self)), diags);
        None
    }
}
