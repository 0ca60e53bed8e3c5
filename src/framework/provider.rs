//! What a provider author implements: `Provider`, `Resource`, `DataSource`, `EphemeralResource`.
//!
//! Each trait works on a typed model (`#[derive(Serialize, Deserialize)]` with `Attr<T>` fields);
//! the framework (`server.rs`) decodes wire values, applies Terraform's plan rules and converts
//! models back. Methods report problems through `diags` and return `None` when they have no
//! result; a `None` without an error diagnostic is reported as a provider bug.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use super::diag::Diagnostics;
use super::path::AttributePath;
use super::schema::Schema;

/// A typed model of a schema.
pub trait Model: Serialize + DeserializeOwned + Send + Sync + 'static {}
impl<T: Serialize + DeserializeOwned + Send + Sync + 'static> Model for T {}

/// What a `validate` hook receives: the configuration, turned into the model only when the hook
/// asks for it ([`ValidateRequest::config`]). A resource without checks of its own never asks,
/// so its validation costs nothing beyond the schema's validators (Terraform validates each
/// resource block in the launch that validates, and each of its instances again in the launch
/// that plans).
pub struct ValidateRequest<'a, M> {
    value: std::borrow::Cow<'a, super::value::Value>,
    type_name: &'static str,
    model: std::marker::PhantomData<fn() -> M>,
}

impl<'a, M: Model> ValidateRequest<'a, M> {
    pub(crate) fn new(value: std::borrow::Cow<'a, super::value::Value>, type_name: &'static str) -> Self {
        ValidateRequest { value, type_name, model: std::marker::PhantomData }
    }

    /// The configuration as the model (it may hold unknowns); `None`, with an error, when the
    /// model cannot hold it (a provider bug).
    pub fn config(self, diags: &mut Diagnostics) -> Option<M> {
        super::server::decode_owned_model(self.value.into_owned(), self.type_name, diags)
    }
}

/// Opaque per-resource data Terraform stores beside the state (never shown to users): a JSON
/// object. A resource declares what it keeps as a `#[derive(Serialize, Deserialize, Default)]`
/// struct and converts with [`Private::from_typed`] and [`Private::typed`]; the struct's fields
/// are the object's keys.
///
/// Held as the object's bytes: most calls only carry the data from the request to the answer
/// (a refresh of an unchanged object), and bytes carried are bytes neither parsed nor written
/// again; a field is read straight from them into its struct.
#[derive(Clone, Default, PartialEq)]
pub struct Private(Vec<u8>);

impl Private {
    /// Private data holding `value`, which must serialize to a JSON object (a struct with named
    /// fields). Fields that serialize to `null` are left out, as if never written: a `None`
    /// costs no bytes and reads back as `None`.
    ///
    /// # Panics
    /// When `T` is not a struct or map (a provider bug, found by any test of the resource).
    pub fn from_typed<T: Serialize>(value: &T) -> Private {
        match serde_json::to_value(value) {
            Ok(serde_json::Value::Object(map)) => {
                // Sorted by key, whatever order the struct declares its fields in.
                let map: BTreeMap<String, serde_json::Value> = map.into_iter().filter(|(_, v)| !v.is_null()).collect();
                if map.is_empty() {
                    Private::default()
                } else {
                    Private(serde_json::to_vec(&map).expect("JSON map serializes"))
                }
            }
            Ok(other) => panic!("private data must be a struct with named fields, not {other}"),
            Err(e) => panic!("private data does not serialize: {e}"),
        }
    }

    /// The private data read as `T`. Data `T` cannot read (written by another version of the
    /// provider, or damaged) reads as `T::default()`, the same as no private data: private
    /// data only ever saves work or refines a plan, it never decides whether an object exists.
    pub fn typed<T: DeserializeOwned + Default>(&self) -> T {
        let bytes: &[u8] = if self.0.is_empty() { b"{}" } else { &self.0 };
        serde_json::from_slice(bytes).unwrap_or_else(|e| {
            tracing::debug!(error = %e, "private data not readable; treated as empty");
            T::default()
        })
    }

    /// Takes what Terraform stored; empty bytes, an empty object and bytes that are not a JSON
    /// object are no private data.
    pub fn from_bytes(bytes: &[u8]) -> Private {
        let text = bytes.trim_ascii();
        let empty = text.get(1..).is_some_and(|inner| inner.trim_ascii_start().first() == Some(&b'}'));
        let object = text.first() == Some(&b'{') && !empty;
        // Checked without building anything: the bytes are kept as they are.
        if object && serde_json::from_slice::<serde::de::IgnoredAny>(text).is_ok() {
            Private(bytes.to_vec())
        } else {
            Private::default()
        }
    }

    /// The bytes for Terraform: a JSON object, or no bytes at all when empty.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.clone()
    }

    /// [`Private::to_bytes`] without the copy.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

impl std::fmt::Debug for Private {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Private").field(&String::from_utf8_lossy(&self.0)).finish()
    }
}

/// What `configure` receives.
pub struct ConfigureRequest<M> {
    /// The provider block's values (may hold unknowns, see `has_unknowns`).
    pub config: M,
    /// True when some configuration value is not known yet (the provider depends on resources
    /// that are not created yet); the plan must not fail because of that.
    pub has_unknowns: bool,
    /// The version of the Terraform that runs the provider (`1.11.0`).
    pub terraform_version: String,
    /// Cancelled by `StopProvider` (Ctrl-C): long waits must end, requests already sent may finish.
    pub cancel: CancellationToken,
}

/// A provider: its own configuration, and the resources and data sources it serves.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// What `configure` produces and every resource receives (the API client).
    type Data: Send + Sync + 'static;
    /// The model of the provider block.
    type Config: Model;

    /// The provider type name, which prefixes every resource type (`jamf`).
    fn type_name(&self) -> &'static str;
    /// The schema of the provider block.
    fn schema(&self) -> Schema;

    /// Checks beyond the schema's validators; the config may hold unknowns.
    async fn validate(&self, _config: &Self::Config, _diags: &mut Diagnostics) {}

    /// Build the provider data, or `None` (with an error diagnostic when something is wrong, or
    /// without one when the configuration is not known yet).
    async fn configure(&self, req: ConfigureRequest<Self::Config>, diags: &mut Diagnostics) -> Option<Self::Data>;

    /// The managed resources this provider serves.
    fn resources(&self) -> Vec<Arc<dyn DynResource<Self::Data>>>;
    /// The data sources this provider serves (none by default).
    fn data_sources(&self) -> Vec<Arc<dyn DynDataSource<Self::Data>>> {
        Vec::new()
    }
    /// The ephemeral resources this provider serves (none by default).
    fn ephemeral_resources(&self) -> Vec<Arc<dyn DynEphemeralResource<Self::Data>>> {
        Vec::new()
    }
}

/// The plan of one resource instance, as the resource's plan hook sees it.
pub struct PlanRequest<M> {
    /// The prior state; `None` on create.
    pub prior: Option<M>,
    /// The configuration (may hold unknowns at plan time; partly unknown collections are wholly
    /// unknown here).
    pub config: M,
    /// The plan so far (framework rules already applied); the hook may change it.
    pub planned: M,
    /// Attributes whose change replaces the resource; the hook may add some.
    pub requires_replace: Vec<AttributePath>,
    /// The private data of the prior state (empty on create).
    pub private: Private,
}

/// What `Resource::create` receives.
pub struct CreateRequest<M> {
    /// The planned state: configured values plus unknowns the create fills in.
    pub planned: M,
    /// The configuration (the only place write-only values can be read).
    pub config: M,
    /// The private data the plan produced.
    pub private: Private,
}

/// What `Resource::update` receives.
pub struct UpdateRequest<M> {
    /// The state before the change.
    pub prior: M,
    /// The planned state after the change.
    pub planned: M,
    /// The configuration (the only place write-only values can be read).
    pub config: M,
    /// The private data the plan produced.
    pub private: Private,
}

/// What `Resource::read` receives.
pub struct ReadRequest<M> {
    /// The state as last stored (possibly partial, after an import).
    pub state: M,
    /// The private data stored with it.
    pub private: Private,
}

/// The outcome of create, update or read: the new state (`None` = the object does not exist).
pub struct StateResponse<M> {
    /// The new state, or `None` when the object does not exist (any more).
    pub state: Option<M>,
    /// Private data to store beside the state.
    pub private: Private,
}

impl<M> StateResponse<M> {
    /// The object exists with this state; no private data.
    pub fn new(state: M) -> StateResponse<M> {
        StateResponse { state: Some(state), private: Private::default() }
    }
    /// The object does not exist (any more).
    pub fn gone() -> StateResponse<M> {
        StateResponse { state: None, private: Private::default() }
    }
    /// The same response with `private` to store beside the state.
    pub fn with_private(mut self, private: Private) -> StateResponse<M> {
        self.private = private;
        self
    }
}

/// Where a `moved` block takes an object from when its source is another resource type, possibly
/// of another provider (`moved { from = other_type.x  to = this_type.x }`, Terraform 1.8 and
/// later): what `Resource::move_state` receives. The state is the source provider's, in its own
/// schema version's shape, so a resource checks address, type and version before reading it.
#[derive(Clone)]
pub struct MoveSource {
    /// The source provider's full address (`registry.terraform.io/deploymenttheory/jamfpro`).
    pub provider_address: String,
    /// The source resource type (`jamfpro_api_role`).
    pub type_name: String,
    /// The schema version the source provider wrote the state with.
    pub schema_version: i64,
    /// The state exactly as stored (JSON), unread: see [`MoveSource::state`].
    pub state_json: Vec<u8>,
    /// The source provider's private data (its own format, opaque to us).
    pub private: Vec<u8>,
}

/// Another provider's state may hold its secrets: `Debug` shows only their sizes.
impl std::fmt::Debug for MoveSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MoveSource")
            .field("provider_address", &self.provider_address)
            .field("type_name", &self.type_name)
            .field("schema_version", &self.schema_version)
            .field("state_json", &format_args!("[{} bytes]", self.state_json.len()))
            .field("private", &format_args!("[{} bytes]", self.private.len()))
            .finish()
    }
}

impl MoveSource {
    /// The stored state as a JSON object.
    pub fn state(&self) -> Result<serde_json::Map<String, serde_json::Value>, String> {
        if self.state_json.is_empty() {
            return Err("the state holds no JSON (states older than Terraform 0.12 keep a flat map; refresh the \
                        object with the source provider once, then move it)"
                .into());
        }
        match serde_json::from_slice::<serde_json::Value>(&self.state_json) {
            Ok(serde_json::Value::Object(m)) => Ok(m),
            Ok(other) => Err(format!("the state is not a JSON object but {}", json_kind(&other))),
            Err(e) => Err(format!("the state is not valid JSON: {e}")),
        }
    }

    /// Whether this is `type_name` of the provider `address` (the registry host may be omitted
    /// from `address`: `deploymenttheory/jamfpro` matches `registry.terraform.io/deploymenttheory/jamfpro`).
    pub fn is(&self, address: &str, type_name: &str) -> bool {
        let full = |a: &str| {
            if a.matches('/').count() == 1 { format!("registry.terraform.io/{a}") } else { a.to_string() }
        };
        full(&self.provider_address).eq_ignore_ascii_case(&full(address)) && self.type_name == type_name
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// A managed resource.
#[async_trait]
pub trait Resource: Send + Sync + 'static {
    /// What the provider's `configure` produced (the API client).
    type Data: Send + Sync + 'static;
    /// The typed model of the resource's schema. `Clone` and `PartialEq` let the framework see
    /// whether a plan hook changed the planned model.
    type Model: Model + Clone + PartialEq;

    /// The full type name (`jamf_api_role`).
    fn type_name(&self) -> &'static str;
    /// The schema of the resource's configuration and state.
    fn schema(&self) -> Schema;

    /// Checks beyond the schema's validators; the config may hold unknowns.
    async fn validate(&self, _req: ValidateRequest<'_, Self::Model>, _diags: &mut Diagnostics) {}

    /// Runs after the framework's plan rules, for resource-specific plan logic (plan-time checks
    /// against the live API, rotation triggers). `data` is `None` while the provider configuration
    /// is unknown. Not called for destroy plans.
    async fn plan(&self, _data: Option<&Self::Data>, _req: &mut PlanRequest<Self::Model>, _diags: &mut Diagnostics) {}

    /// Create the remote object. On an error after the object exists, return its state too.
    async fn create(
        &self,
        data: &Self::Data,
        req: CreateRequest<Self::Model>,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<Self::Model>>;

    /// Read the remote object: `StateResponse::gone()` when it no longer exists.
    async fn read(
        &self,
        data: &Self::Data,
        req: ReadRequest<Self::Model>,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<Self::Model>>;

    /// Change the remote object to the planned state.
    async fn update(
        &self,
        data: &Self::Data,
        req: UpdateRequest<Self::Model>,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<Self::Model>>;

    /// Delete the remote object; an error keeps it in state.
    async fn delete(&self, data: &Self::Data, prior: Self::Model, private: Private, diags: &mut Diagnostics);

    /// Turn an import id into a (possibly partial) state that `read` then completes.
    async fn import(
        &self,
        _data: &Self::Data,
        _id: &str,
        diags: &mut Diagnostics,
    ) -> Option<StateResponse<Self::Model>> {
        diags.error("Import not supported", format!("The resource type {} cannot be imported.", self.type_name()));
        None
    }

    /// Take over the state of an object another resource type managed (`moved` across types or
    /// providers): the model of the same remote object, which Terraform then refreshes (`read`)
    /// in the same plan. No API call is needed or expected here. Refuses by default.
    async fn move_state(&self, source: &MoveSource, diags: &mut Diagnostics) -> Option<Self::Model> {
        diags.error(
            "Move not supported",
            format!(
                "{} cannot take over the state of {} (provider {}). Remove the moved block, and import the \
                 object instead (an import block, or terraform import).",
                self.type_name(),
                source.type_name,
                source.provider_address
            ),
        );
        None
    }

    /// Upgrade a state written by an older schema version (JSON, in that version's shape) to the
    /// current model.
    async fn upgrade_state(
        &self,
        version: i64,
        _raw: serde_json::Value,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model> {
        diags.error(
            "Unsupported state version",
            format!(
                "The state of this {} was written with schema version {version}, which this provider \
                 version cannot upgrade. Use the provider version that wrote it, or remove the resource \
                 from state and import it again.",
                self.type_name()
            ),
        );
        None
    }
}

/// A data source.
#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    /// What the provider's `configure` produced (the API client).
    type Data: Send + Sync + 'static;
    /// The typed model of the data source's schema.
    type Model: Model;

    /// The full type name (`jamf_api_role`).
    fn type_name(&self) -> &'static str;
    /// The schema of the data source's arguments and results.
    fn schema(&self) -> Schema;
    /// Checks beyond the schema's validators; the config may hold unknowns.
    async fn validate(&self, _req: ValidateRequest<'_, Self::Model>, _diags: &mut Diagnostics) {}
    /// Look the object up: the configuration with every computed attribute filled in.
    async fn read(&self, data: &Self::Data, config: Self::Model, diags: &mut Diagnostics) -> Option<Self::Model>;
}

/// What an ephemeral resource returns when opened.
pub struct EphemeralOpen<M> {
    /// The value Terraform hands to the configuration.
    pub result: M,
    /// When to call `renew`, if the value expires.
    pub renew_at: Option<SystemTime>,
    /// Data for `renew` and `close` (never shown to users).
    pub private: Private,
}

/// An ephemeral resource: a value that exists only during one Terraform run.
#[async_trait]
pub trait EphemeralResource: Send + Sync + 'static {
    /// What the provider's `configure` produced (the API client).
    type Data: Send + Sync + 'static;
    /// The typed model of the ephemeral resource's schema.
    type Model: Model;

    /// The full type name.
    fn type_name(&self) -> &'static str;
    /// The schema of the ephemeral resource's arguments and results.
    fn schema(&self) -> Schema;
    /// Checks beyond the schema's validators; the config may hold unknowns.
    async fn validate(&self, _req: ValidateRequest<'_, Self::Model>, _diags: &mut Diagnostics) {}
    /// Produce the value for this run.
    async fn open(
        &self,
        data: &Self::Data,
        config: Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<EphemeralOpen<Self::Model>>;
    /// Extend the value's life; returns the next renewal time.
    async fn renew(
        &self,
        _data: &Self::Data,
        private: Private,
        _diags: &mut Diagnostics,
    ) -> (Option<SystemTime>, Private) {
        (None, private)
    }
    /// Release the value at the end of the run (revoke a token, for example).
    async fn close(&self, _data: &Self::Data, _private: Private, _diags: &mut Diagnostics) {}
}

pub use super::server::{DynDataSource, DynEphemeralResource, DynResource};

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};

    use super::Private;

    #[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
    struct Kept {
        #[serde(default)]
        roles: Option<BTreeMap<String, String>>,
        #[serde(default)]
        count: u32,
    }

    #[test]
    fn typed_private_data_round_trips_through_the_same_bytes_as_a_map() {
        let kept = Kept { roles: Some(BTreeMap::from([("3".into(), "Vendor".into())])), count: 2 };
        let bytes = Private::from_typed(&kept).to_bytes();
        assert_eq!(bytes, br#"{"count":2,"roles":{"3":"Vendor"}}"#);
        // Carried unchanged: the same bytes, read back as the same value.
        assert_eq!(Private::from_bytes(&bytes).to_bytes(), bytes);
        assert_eq!(Private::from_bytes(&bytes).typed::<Kept>(), kept);
        // Bytes that are no JSON object are no private data, and are not written back.
        for junk in [&b"not json"[..], b"[1,2]", b"{}", b" { } ", b"{\"a\":", b"\"text\""] {
            assert!(Private::from_bytes(junk).to_bytes().is_empty(), "{junk:?}");
        }
    }

    #[test]
    fn a_move_source_matches_its_address_and_never_shows_its_state() {
        let source = super::MoveSource {
            provider_address: "registry.terraform.io/Example/Vendor".into(),
            type_name: "vendor_user".into(),
            schema_version: 2,
            state_json: br#"{"id":"1","password":"hunter2-not-for-logs"}"#.to_vec(),
            private: b"private-not-for-logs".to_vec(),
        };
        assert!(source.is("example/vendor", "vendor_user"));
        assert!(source.is("registry.terraform.io/example/vendor", "vendor_user"));
        assert!(!source.is("example/vendor", "vendor_group"));
        assert!(!source.is("other.example.com/example/vendor", "vendor_user"));
        assert_eq!(source.state().unwrap()["id"], "1");
        let shown = format!("{source:?}");
        assert!(!shown.contains("not-for-logs"), "{shown}");
        assert!(shown.contains("state_json: [44 bytes]") && shown.contains("schema_version: 2"), "{shown}");
    }

    #[test]
    fn none_costs_no_bytes_and_missing_data_reads_as_default() {
        #[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
        struct Optional {
            #[serde(default)]
            roles: Option<BTreeMap<String, String>>,
        }
        assert!(Private::from_typed(&Optional::default()).to_bytes().is_empty());
        assert_eq!(Private::from_bytes(b"").typed::<Optional>(), Optional::default());
        assert_eq!(Private::from_bytes(b"not json").typed::<Kept>(), Kept::default());
        assert_eq!(Private::from_bytes(br#"{"roles":[1,2]}"#).typed::<Kept>(), Kept::default());
        // A key this version does not know (written by a later one) is passed over.
        let later = Private::from_bytes(br#"{"count":4,"later":{"x":[null]},"roles":null}"#);
        assert_eq!(later.typed::<Kept>(), Kept { roles: None, count: 4 });
    }
}
