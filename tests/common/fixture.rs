//! A test-only provider ("fixture") that exercises every framework feature against an in-memory
//! store. It exists only in test code, never in a shipped binary.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use mdmkit::framework::planmod::{RequiresReplace, UseStateForUnknown};
use mdmkit::framework::provider::{DynDataSource, DynEphemeralResource, DynResource};
use mdmkit::framework::validators::{IntegerAtLeast, StringLengthAtLeast};
use mdmkit::framework::{
    Attr, Attribute, ConfigureRequest, CreateRequest, DataSource, Diagnostics, EphemeralOpen, EphemeralResource,
    Number, PlanRequest, Private, Provider, ReadRequest, Resource, Schema, StateResponse, Type, UpdateRequest,
    ValidateRequest,
};
use serde::{Deserialize, Serialize};

/// The fixture provider's source address.
pub const ADDRESS: &str = "registry.terraform.io/mdmkit/fixture";

/// A stored "thing".
#[derive(Clone, Debug, PartialEq)]
pub struct Thing {
    /// Its name.
    pub name: String,
    /// Its zone (fixed at creation: a change replaces the thing).
    pub zone: String,
    /// Its tags.
    pub tags: BTreeSet<String>,
    /// Its size (10 unless configured).
    pub size: i64,
    /// The secret generated at creation, `s3cr3t-<id>`.
    pub secret: String,
    /// The last write-only password received, if any.
    pub last_password: Option<String>,
}

/// The fixture's remote system: shared by every provider instance in the test process.
#[derive(Clone, Default)]
pub struct Store {
    /// The stored things by id (`thing-<n>`).
    pub things: Arc<Mutex<BTreeMap<String, Thing>>>,
    /// The number of the last id given out.
    pub next_id: Arc<Mutex<u64>>,
    /// The Terraform version of every `configure` call, in order.
    pub configured_with: Arc<Mutex<Vec<String>>>,
    /// The stop signal handed to `configure` (what an API client would watch).
    pub cancel: Arc<Mutex<Option<tokio_util::sync::CancellationToken>>>,
}

impl Store {
    /// A copy of the stored thing `id`, if any.
    pub fn thing(&self, id: &str) -> Option<Thing> {
        self.things.lock().unwrap().get(id).cloned()
    }
}

/// The `fixture` provider: resource and data source `fixture_thing`, ephemeral resource
/// `fixture_token`.
pub struct FixtureProvider {
    /// The store it configures its resources with.
    pub store: Store,
}

/// The `fixture` provider block.
#[derive(Serialize, Deserialize)]
pub struct ProviderConfig {
    /// Where things live; must start with `mem://`.
    pub endpoint: Attr<String>,
    /// A credential (sensitive, unused).
    pub token: Attr<String>,
}

#[async_trait]
impl Provider for FixtureProvider {
    type Data = Store;
    type Config = ProviderConfig;

    fn type_name(&self) -> &'static str {
        "fixture"
    }

    fn schema(&self) -> Schema {
        Schema::new("A test provider.")
            .attribute(Attribute::string("endpoint").optional().description("Where things live."))
            .attribute(Attribute::string("token").optional().sensitive().description("A credential."))
    }

    async fn validate(&self, config: &ProviderConfig, diags: &mut Diagnostics) {
        if let Attr::Known(e) = &config.endpoint
            && !e.starts_with("mem://")
        {
            diags.error_at(
                mdmkit::framework::AttributePath::attr("endpoint"),
                "Invalid endpoint",
                "The endpoint must start with mem://.",
            );
        }
    }

    async fn configure(&self, req: ConfigureRequest<ProviderConfig>, _diags: &mut Diagnostics) -> Option<Store> {
        if req.has_unknowns {
            return None;
        }
        self.store.configured_with.lock().unwrap().push(req.terraform_version.clone());
        *self.store.cancel.lock().unwrap() = Some(req.cancel.clone());
        Some(self.store.clone())
    }

    fn resources(&self) -> Vec<Arc<dyn DynResource<Store>>> {
        vec![Arc::new(ThingResource)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DynDataSource<Store>>> {
        vec![Arc::new(ThingLookup)]
    }

    fn ephemeral_resources(&self) -> Vec<Arc<dyn DynEphemeralResource<Store>>> {
        vec![Arc::new(TokenEphemeral)]
    }
}

/// The values of a `fixture_thing` resource.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ThingModel {
    /// The thing's id, `thing-<n>`.
    pub id: Attr<String>,
    /// Its name.
    pub name: Attr<String>,
    /// Its zone; a change replaces the thing.
    pub zone: Attr<String>,
    /// Its tags.
    pub tags: Attr<BTreeSet<String>>,
    /// Its size (10 unless configured).
    pub size: Attr<i64>,
    /// Enabled (default `true`; kept in state only, not stored).
    pub enabled: Attr<bool>,
    /// The secret generated at creation (sensitive).
    pub secret: Attr<String>,
    /// A write-only password, recorded when `password_wo_version` changes.
    pub password_wo: Attr<String>,
    /// The password version; a change sends `password_wo` again.
    pub password_wo_version: Attr<Number>,
    /// Whether the store received a password.
    pub password_seen: Attr<bool>,
}

/// The `fixture_thing` resource.
pub struct ThingResource;

impl ThingResource {
    fn to_model(id: &str, t: &Thing, prior: &ThingModel) -> ThingModel {
        ThingModel {
            id: Attr::Known(id.to_string()),
            name: Attr::Known(t.name.clone()),
            zone: Attr::Known(t.zone.clone()),
            tags: if t.tags.is_empty() && prior.tags.is_null() { Attr::Null } else { Attr::Known(t.tags.clone()) },
            size: Attr::Known(t.size),
            enabled: prior.enabled.clone(),
            secret: Attr::Known(t.secret.clone()),
            password_wo: Attr::Null,
            password_wo_version: prior.password_wo_version.clone(),
            password_seen: Attr::Known(t.last_password.is_some()),
        }
    }
}

#[async_trait]
impl Resource for ThingResource {
    type Data = Store;
    type Model = ThingModel;

    fn type_name(&self) -> &'static str {
        "fixture_thing"
    }

    fn schema(&self) -> Schema {
        Schema::new("A thing.")
            .version(1)
            .attribute(Attribute::string("id").computed().plan_modifier(UseStateForUnknown).description("Id."))
            .attribute(Attribute::string("name").required().validator(StringLengthAtLeast(1)).description("Name."))
            .attribute(Attribute::string("zone").required().plan_modifier(RequiresReplace).description("Zone."))
            .attribute(Attribute::set_of("tags", Type::String).optional().description("Tags."))
            .attribute(
                Attribute::number("size").optional().computed().validator(IntegerAtLeast(1)).description("Size."),
            )
            .attribute(Attribute::bool("enabled").optional().default(true).description("Enabled."))
            .attribute(
                Attribute::string("secret")
                    .computed()
                    .sensitive()
                    .plan_modifier(UseStateForUnknown)
                    .description("Secret."),
            )
            .attribute(Attribute::string("password_wo").optional().write_only().description("Password."))
            .attribute(Attribute::number("password_wo_version").optional().description("Password version."))
            .attribute(Attribute::bool("password_seen").computed().description("Whether a password was received."))
    }

    async fn validate(&self, req: ValidateRequest<'_, ThingModel>, diags: &mut Diagnostics) {
        let Some(config) = req.config(diags) else { return };
        if config.name.get().map(String::as_str) == Some("bad") {
            diags.error_at(
                mdmkit::framework::AttributePath::attr("name"),
                "Invalid name",
                "The name \"bad\" is not allowed; choose another name.",
            );
        }
    }

    async fn plan(&self, _data: Option<&Store>, req: &mut PlanRequest<ThingModel>, _diags: &mut Diagnostics) {
        // A new password version means a new password to record.
        if let Some(prior) = &req.prior
            && prior.password_wo_version != req.config.password_wo_version
        {
            req.planned.password_seen = Attr::Unknown;
        }
    }

    async fn create(
        &self,
        store: &Store,
        req: CreateRequest<ThingModel>,
        _diags: &mut Diagnostics,
    ) -> Option<StateResponse<ThingModel>> {
        // A thing named "panic" is a provider bug: its create panics.
        if req.planned.name.get().map(String::as_str) == Some("panic") {
            panic!("fixture_thing create panicked on purpose");
        }
        // A thing named "slow" takes until the provider is stopped (at most 30 s), like a long
        // retry loop would.
        if req.planned.name.get().map(String::as_str) == Some("slow") {
            let token = store.cancel.lock().unwrap().clone().expect("configured");
            tokio::select! {
                _ = token.cancelled() => {
                    _diags.error("Operation cancelled", "The provider was asked to stop.");
                    return None;
                }
                _ = tokio::time::sleep(Duration::from_secs(30)) => {}
            }
        }
        let id = {
            let mut n = store.next_id.lock().unwrap();
            *n += 1;
            format!("thing-{n}")
        };
        let p = &req.planned;
        let thing = Thing {
            name: p.name.get().cloned().unwrap_or_default(),
            zone: p.zone.get().cloned().unwrap_or_default(),
            tags: p.tags.get().cloned().unwrap_or_default(),
            size: p.size.get().copied().unwrap_or(10),
            secret: format!("s3cr3t-{id}"),
            last_password: req.config.password_wo.get().cloned(),
        };
        store.things.lock().unwrap().insert(id.clone(), thing.clone());
        Some(StateResponse::new(Self::to_model(&id, &thing, &req.planned)))
    }

    async fn read(
        &self,
        store: &Store,
        req: ReadRequest<ThingModel>,
        _diags: &mut Diagnostics,
    ) -> Option<StateResponse<ThingModel>> {
        let id = req.state.id.get()?.clone();
        match store.thing(&id) {
            Some(t) => Some(StateResponse::new(Self::to_model(&id, &t, &req.state))),
            None => Some(StateResponse::gone()),
        }
    }

    async fn update(
        &self,
        store: &Store,
        req: UpdateRequest<ThingModel>,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<ThingModel>> {
        let id = req.prior.id.get()?.clone();
        let mut things = store.things.lock().unwrap();
        let Some(t) = things.get_mut(&id) else {
            diags.error("Thing vanished", "It was deleted during the apply.");
            return None;
        };
        t.name = req.planned.name.get().cloned().unwrap_or_default();
        t.tags = req.planned.tags.get().cloned().unwrap_or_default();
        if let Attr::Known(s) = req.planned.size {
            t.size = s;
        }
        if req.prior.password_wo_version != req.planned.password_wo_version {
            t.last_password = req.config.password_wo.get().cloned();
        }
        let t = t.clone();
        Some(StateResponse::new(Self::to_model(&id, &t, &req.planned)))
    }

    async fn delete(&self, store: &Store, prior: ThingModel, _private: Private, _diags: &mut Diagnostics) {
        if let Some(id) = prior.id.get() {
            store.things.lock().unwrap().remove(id);
        }
    }

    async fn import(&self, store: &Store, id: &str, diags: &mut Diagnostics) -> Option<StateResponse<ThingModel>> {
        if store.thing(id).is_none() {
            diags.error("Not found", format!("No thing {id}."));
            return None;
        }
        Some(StateResponse::new(ThingModel {
            id: Attr::Known(id.to_string()),
            enabled: Attr::Known(true),
            ..Default::default()
        }))
    }

    async fn upgrade_state(&self, version: i64, raw: serde_json::Value, diags: &mut Diagnostics) -> Option<ThingModel> {
        // Version 0 called the zone "region".
        if version != 0 {
            diags.error("Unsupported state version", format!("version {version}"));
            return None;
        }
        let s = |k: &str| raw.get(k).and_then(|v| v.as_str()).map(str::to_string);
        Some(ThingModel {
            id: s("id").into(),
            name: s("name").into(),
            zone: s("region").into(),
            size: raw.get("size").and_then(|v| v.as_i64()).into(),
            enabled: Attr::Known(true),
            secret: s("secret").into(),
            password_seen: Attr::Known(false),
            ..Default::default()
        })
    }
}

/// The values of the `fixture_thing` data source.
#[derive(Serialize, Deserialize, Default)]
pub struct LookupModel {
    /// The name looked up (configured).
    pub name: Attr<String>,
    /// The id of the thing found.
    pub id: Attr<String>,
    /// The size of the thing found.
    pub size: Attr<i64>,
}

/// The `fixture_thing` data source: a thing looked up by name.
pub struct ThingLookup;

#[async_trait]
impl DataSource for ThingLookup {
    type Data = Store;
    type Model = LookupModel;

    fn type_name(&self) -> &'static str {
        "fixture_thing"
    }

    fn schema(&self) -> Schema {
        Schema::new("Look a thing up by name.")
            .attribute(Attribute::string("name").required())
            .attribute(Attribute::string("id").computed())
            .attribute(Attribute::number("size").computed())
    }

    async fn read(&self, store: &Store, config: LookupModel, diags: &mut Diagnostics) -> Option<LookupModel> {
        let name = config.name.get()?.clone();
        let things = store.things.lock().unwrap();
        match things.iter().find(|(_, t)| t.name == name) {
            Some((id, t)) => {
                Some(LookupModel { name: Attr::Known(name), id: Attr::Known(id.clone()), size: Attr::Known(t.size) })
            }
            None => {
                diags.error_at(
                    mdmkit::framework::AttributePath::attr("name"),
                    "No such thing",
                    format!("No thing is named {name:?}."),
                );
                None
            }
        }
    }
}

/// The values of the `fixture_token` ephemeral resource.
#[derive(Serialize, Deserialize, Default)]
pub struct TokenModel {
    /// Who the token is for (configured).
    pub audience: Attr<String>,
    /// The token, `tok-<audience>` (sensitive).
    pub token: Attr<String>,
}

/// The `fixture_token` ephemeral resource: a token renewed hourly, never stored.
pub struct TokenEphemeral;

/// What a `fixture_token` keeps between open and close.
#[derive(Serialize, Deserialize, Default)]
struct TokenPrivate {
    aud: Option<String>,
}

#[async_trait]
impl EphemeralResource for TokenEphemeral {
    type Data = Store;
    type Model = TokenModel;

    fn type_name(&self) -> &'static str {
        "fixture_token"
    }

    fn schema(&self) -> Schema {
        Schema::new("A short-lived token.")
            .attribute(Attribute::string("audience").required())
            .attribute(Attribute::string("token").computed().sensitive())
    }

    async fn open(
        &self,
        _store: &Store,
        config: TokenModel,
        _diags: &mut Diagnostics,
    ) -> Option<EphemeralOpen<TokenModel>> {
        let audience = config.audience.get()?.clone();
        let private = Private::from_typed(&TokenPrivate { aud: Some(audience.clone()) });
        Some(EphemeralOpen {
            result: TokenModel {
                audience: Attr::Known(audience.clone()),
                token: Attr::Known(format!("tok-{audience}")),
            },
            renew_at: Some(SystemTime::now() + Duration::from_secs(3600)),
            private,
        })
    }

    async fn renew(&self, _store: &Store, private: Private, _diags: &mut Diagnostics) -> (Option<SystemTime>, Private) {
        (Some(SystemTime::now() + Duration::from_secs(3600)), private)
    }

    async fn close(&self, _store: &Store, private: Private, diags: &mut Diagnostics) {
        if private.typed::<TokenPrivate>().aud.is_none() {
            diags.error("Lost private data", "close did not receive what open stored.");
        }
    }
}
