//! The engine between the wire and a provider: decodes values with the schema, applies the plan
//! rules, converts typed models, nulls write-only attributes and turns every failure into a
//! diagnostic. The wire layer (`crate::plugin`) calls these methods with raw dynamic values.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;
use tokio_util::sync::CancellationToken;

use super::diag::Diagnostics;
use super::model::{conform, from_owned_value, to_raw_value, to_value};
use super::model_check::check_model;
use super::path::AttributePath;
use super::plan::{null_write_only, plan_change, write_only_paths_set};
use super::provider::{
    ConfigureRequest, CreateRequest, DataSource, EphemeralResource, MoveSource, PlanRequest, Private, Provider,
    ReadRequest, Resource, StateResponse, UpdateRequest, ValidateRequest,
};
use super::schema::{Attribute, AttributeType, Block, NestedBlock, Schema};
use super::types::Type;
use super::value::Value;
use super::{json, msgpack};

/// A value as Terraform sends it: msgpack (always, in practice) or JSON.
#[derive(Clone, Default, PartialEq)]
pub struct DynamicValue {
    /// The value in msgpack (cty's wire format).
    pub msgpack: Bytes,
    /// The value in JSON (used when `msgpack` is empty).
    pub json: Bytes,
}

/// Sizes only: a value may carry sensitive attributes, which must never reach a log.
impl std::fmt::Debug for DynamicValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DynamicValue {{ msgpack: [{} bytes], json: [{} bytes] }}", self.msgpack.len(), self.json.len())
    }
}

impl DynamicValue {
    /// A value carried as msgpack.
    pub fn msgpack(bytes: impl Into<Bytes>) -> DynamicValue {
        DynamicValue { msgpack: bytes.into(), json: Bytes::new() }
    }

    /// Decode with `ty`: msgpack if present, else JSON, else null (as Terraform does).
    pub fn decode(&self, ty: &Type) -> Result<Value, msgpack::CodecError> {
        if !self.msgpack.is_empty() {
            msgpack::decode(&self.msgpack, ty)
        } else if !self.json.is_empty() {
            json::decode(&self.json, ty)
        } else {
            Ok(Value::Null)
        }
    }

    /// Encode `value` of type `ty` as msgpack.
    pub fn encode(value: &Value, ty: &Type) -> Result<DynamicValue, msgpack::CodecError> {
        msgpack::encode(value, ty).map(DynamicValue::msgpack)
    }
}

/// What the client (Terraform) says it can handle.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientCapabilities {
    /// Terraform can take a deferred response (not used by these providers yet).
    pub deferral_allowed: bool,
    /// Terraform supports write-only attributes (1.11 and later).
    pub write_only_attributes_allowed: bool,
}

/// What reading a resource found.
pub enum ReadOutcome {
    /// The stored state does not decode (reported).
    Undecodable,
    /// The read failed (reported, or a provider bug): the stored state is kept.
    Failed,
    /// The object is exactly as stored, with this private data: the answer is the stored state's
    /// own bytes, not a conversion of the model back through a value.
    Unchanged(Private),
    /// The new state (`None`: the object is gone) and private data.
    State(Option<Value>, Private),
}

/// A resource behind type erasure, working on values.
#[async_trait]
pub trait DynResource<D>: Send + Sync {
    /// The full type name.
    fn type_name(&self) -> &'static str;
    /// The resource's schema.
    fn schema(&self) -> Schema;
    /// Compare the resource's model with its schema (see [`check_model`]); for tests.
    fn check_model(&self) -> Result<(), String>;
    /// Run the resource's own checks on a decoded configuration.
    async fn validate(&self, config: Value, diags: &mut Diagnostics);
    /// Run the resource's plan hook on a plan the framework made; returns the plan, replace
    /// paths and private data, and whether the hook changed the plan.
    #[allow(clippy::too_many_arguments)]
    async fn plan(
        &self,
        data: Option<&D>,
        ty: &Type,
        prior: Value,
        config: Value,
        planned: Value,
        requires_replace: Vec<AttributePath>,
        private: Private,
        diags: &mut Diagnostics,
    ) -> Hooked;
    /// Create the object; `Some((None, _))` means nothing was created.
    async fn create(
        &self,
        data: &D,
        ty: &Type,
        planned: &Value,
        config: &Value,
        private: Private,
        diags: &mut Diagnostics,
    ) -> Option<(Option<Value>, Private)>;
    /// Read the object from its stored state, as Terraform sent it; `echo` allows the answer
    /// [`ReadOutcome::Unchanged`].
    async fn read(
        &self,
        data: &D,
        ty: &Type,
        state: &DynamicValue,
        private: &[u8],
        echo: bool,
        diags: &mut Diagnostics,
    ) -> ReadOutcome;
    /// Update the object to `planned`.
    #[allow(clippy::too_many_arguments)]
    async fn update(
        &self,
        data: &D,
        ty: &Type,
        prior: &Value,
        planned: &Value,
        config: &Value,
        private: Private,
        diags: &mut Diagnostics,
    ) -> Option<(Option<Value>, Private)>;
    /// Delete the object.
    async fn delete(&self, data: &D, prior: &Value, private: Private, diags: &mut Diagnostics);
    /// Turn an import id into a state; an id that matches nothing is an error.
    async fn import(&self, data: &D, ty: &Type, id: &str, diags: &mut Diagnostics) -> Option<(Value, Private)>;
    /// Upgrade a state written by an older schema version.
    async fn upgrade_state(
        &self,
        ty: &Type,
        version: i64,
        raw: serde_json::Value,
        diags: &mut Diagnostics,
    ) -> Option<Value>;
    /// Take over the state of an object of another resource type (a `moved` block).
    async fn move_state(&self, ty: &Type, source: &MoveSource, diags: &mut Diagnostics) -> Option<Value>;
}

/// What a resource's plan hook made of a plan.
pub struct Hooked {
    /// The plan.
    pub planned: Value,
    /// Paths whose change requires replacement.
    pub requires_replace: Vec<AttributePath>,
    /// Private data to store with the plan.
    pub private: Private,
    /// Whether the hook changed the planned model (its requires-replace paths and private
    /// data may change either way).
    pub changed: bool,
}

fn model_bug(diags: &mut Diagnostics, type_name: &str, e: impl std::fmt::Display) {
    diags.error(
        "Provider internal error",
        format!(
            "{type_name}: {e}. This is a bug in the provider; please report it with the Terraform \
             configuration that triggered it."
        ),
    );
}

fn decode_model<M: super::provider::Model>(v: &Value, type_name: &str, diags: &mut Diagnostics) -> Option<M> {
    decode_owned_model(v.clone(), type_name, diags)
}

/// [`decode_model`] of a value the caller is done with: its strings move into the model.
pub(super) fn decode_owned_model<M: super::provider::Model>(
    v: Value,
    type_name: &str,
    diags: &mut Diagnostics,
) -> Option<M> {
    match from_owned_value(v.into_collapsed_partial_unknowns()) {
        Ok(m) => Some(m),
        Err(e) => {
            model_bug(diags, type_name, e);
            None
        }
    }
}

fn encode_model<M: super::provider::Model>(
    m: &M,
    ty: &Type,
    type_name: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    match to_value(m, ty) {
        Ok(v) => Some(v),
        Err(e) => {
            model_bug(diags, type_name, e);
            None
        }
    }
}

fn state_out<M: super::provider::Model>(
    r: Option<StateResponse<M>>,
    ty: &Type,
    type_name: &str,
    diags: &mut Diagnostics,
) -> Option<(Option<Value>, Private)> {
    let r = r?;
    let state = match r.state {
        Some(m) => Some(encode_model(&m, ty, type_name, diags)?),
        None => None,
    };
    Some((state, r.private))
}

#[async_trait]
impl<R: Resource> DynResource<R::Data> for R {
    fn type_name(&self) -> &'static str {
        Resource::type_name(self)
    }
    fn schema(&self) -> Schema {
        Resource::schema(self)
    }
    fn check_model(&self) -> Result<(), String> {
        check_model::<R::Model>(&Resource::schema(self))
    }
    async fn validate(&self, config: Value, diags: &mut Diagnostics) {
        let req = ValidateRequest::new(std::borrow::Cow::Owned(config), Resource::type_name(self));
        Resource::validate(self, req, diags).await;
    }
    async fn plan(
        &self,
        data: Option<&R::Data>,
        ty: &Type,
        prior: Value,
        config: Value,
        planned: Value,
        requires_replace: Vec<AttributePath>,
        private: Private,
        diags: &mut Diagnostics,
    ) -> Hooked {
        let name = Resource::type_name(self);
        let prior_m = if prior.is_null() { None } else { decode_owned_model::<R::Model>(prior, name, diags) };
        let (Some(config_m), Some(planned_m)) =
            (decode_owned_model::<R::Model>(config, name, diags), decode_model::<R::Model>(&planned, name, diags))
        else {
            return Hooked { planned, requires_replace, private, changed: false };
        };
        let raw = |m: &R::Model, diags: &mut Diagnostics| match to_raw_value(m) {
            Ok(v) => Some(v),
            Err(e) => {
                model_bug(diags, name, e);
                None
            }
        };
        // Most hooks change nothing: the model is compared as it is, and only a changed one is
        // turned into values (two conversions a plan otherwise pays for nothing).
        let proposed_m = planned_m.clone();
        let mut req = PlanRequest { prior: prior_m, config: config_m, planned: planned_m, requires_replace, private };
        Resource::plan(self, data, &mut req, diags).await;
        if req.planned == proposed_m {
            return Hooked { planned, requires_replace: req.requires_replace, private: req.private, changed: false };
        }
        let before = raw(&proposed_m, diags);
        let after = raw(&req.planned, diags);
        // Only attributes the hook changed are taken from the model, so that partly unknown
        // collections (collapsed for the model) stay exactly as Terraform proposed them. The
        // model's raw values are compared, and only a changed one is shaped into its type.
        let mut planned = planned;
        if let (Some(Value::Object(before)), Some(Value::Object(after)), Type::Object(attrs, _)) = (before, after, ty)
            && let Some(entries) = planned.as_entries_mut()
        {
            for (k, v) in after {
                if before.get(&k) == Some(&v) {
                    continue;
                }
                let Some(at) = attrs.get(&k) else {
                    model_bug(diags, name, format!("field {k:?} is not in the schema"));
                    continue;
                };
                match conform(v, at) {
                    Ok(v) => {
                        entries.insert(k, v);
                    }
                    Err(e) => model_bug(diags, name, e),
                }
            }
        }
        Hooked { planned, requires_replace: req.requires_replace, private: req.private, changed: true }
    }
    async fn create(
        &self,
        data: &R::Data,
        ty: &Type,
        planned: &Value,
        config: &Value,
        private: Private,
        diags: &mut Diagnostics,
    ) -> Option<(Option<Value>, Private)> {
        let name = Resource::type_name(self);
        let planned = decode_model(planned, name, diags)?;
        let config = decode_model(config, name, diags)?;
        let r = Resource::create(self, data, CreateRequest { planned, config, private }, diags).await;
        state_out(r, ty, name, diags)
    }
    async fn read(
        &self,
        data: &R::Data,
        ty: &Type,
        state: &DynamicValue,
        private: &[u8],
        echo: bool,
        diags: &mut Diagnostics,
    ) -> ReadOutcome {
        let name = Resource::type_name(self);
        // A refresh reads every state into its model and needs nothing else of it: straight
        // from the msgpack where it can be, else through a value (which reports what is wrong).
        let direct = if state.json.is_empty() { msgpack::decode_model::<R::Model>(&state.msgpack, ty) } else { None };
        let model = match direct {
            Some(m) => m,
            None => {
                let Some(v) = decode_or_diag(state, ty, "state", diags) else { return ReadOutcome::Undecodable };
                let Some(m) = decode_owned_model::<R::Model>(v, name, diags) else { return ReadOutcome::Failed };
                m
            }
        };
        let private = Private::from_bytes(private);
        let stored = echo.then(|| (model.clone(), private.clone()));
        let r = Resource::read(self, data, ReadRequest { state: model, private }, diags).await;
        match (stored, r) {
            (Some((m0, p0)), Some(StateResponse { state: Some(m), private: p })) if m == m0 && p == p0 => {
                ReadOutcome::Unchanged(p)
            }
            (_, r) => match state_out(r, ty, name, diags) {
                Some((state, p)) => ReadOutcome::State(state, p),
                None => ReadOutcome::Failed,
            },
        }
    }
    async fn update(
        &self,
        data: &R::Data,
        ty: &Type,
        prior: &Value,
        planned: &Value,
        config: &Value,
        private: Private,
        diags: &mut Diagnostics,
    ) -> Option<(Option<Value>, Private)> {
        let name = Resource::type_name(self);
        let prior = decode_model(prior, name, diags)?;
        let planned = decode_model(planned, name, diags)?;
        let config = decode_model(config, name, diags)?;
        let r = Resource::update(self, data, UpdateRequest { prior, planned, config, private }, diags).await;
        state_out(r, ty, name, diags)
    }
    async fn delete(&self, data: &R::Data, prior: &Value, private: Private, diags: &mut Diagnostics) {
        if let Some(prior) = decode_model(prior, Resource::type_name(self), diags) {
            Resource::delete(self, data, prior, private, diags).await;
        }
    }
    async fn import(&self, data: &R::Data, ty: &Type, id: &str, diags: &mut Diagnostics) -> Option<(Value, Private)> {
        let name = Resource::type_name(self);
        let r = Resource::import(self, data, id, diags).await;
        match state_out(r, ty, name, diags)? {
            (Some(v), p) => Some((v, p)),
            (None, _) => {
                diags.error(
                    "Cannot import non-existent remote object",
                    format!("No {name} matches the import id {id:?}."),
                );
                None
            }
        }
    }
    async fn upgrade_state(
        &self,
        ty: &Type,
        version: i64,
        raw: serde_json::Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let name = Resource::type_name(self);
        let m = Resource::upgrade_state(self, version, raw, diags).await?;
        encode_model(&m, ty, name, diags)
    }
    async fn move_state(&self, ty: &Type, source: &MoveSource, diags: &mut Diagnostics) -> Option<Value> {
        let name = Resource::type_name(self);
        let m = Resource::move_state(self, source, diags).await?;
        encode_model(&m, ty, name, diags)
    }
}

/// A data source behind type erasure.
#[async_trait]
pub trait DynDataSource<D>: Send + Sync {
    /// The full type name.
    fn type_name(&self) -> &'static str;
    /// The data source's schema.
    fn schema(&self) -> Schema;
    /// Compare the data source's model with its schema (see [`check_model`]); for tests.
    fn check_model(&self) -> Result<(), String>;
    /// Run the data source's own checks on a decoded configuration.
    async fn validate(&self, config: &Value, diags: &mut Diagnostics);
    /// Look the object up.
    async fn read(&self, data: &D, ty: &Type, config: &Value, diags: &mut Diagnostics) -> Option<Value>;
}

#[async_trait]
impl<S: DataSource> DynDataSource<S::Data> for S {
    fn type_name(&self) -> &'static str {
        DataSource::type_name(self)
    }
    fn schema(&self) -> Schema {
        DataSource::schema(self)
    }
    fn check_model(&self) -> Result<(), String> {
        check_model::<S::Model>(&DataSource::schema(self))
    }
    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let req = ValidateRequest::new(std::borrow::Cow::Borrowed(config), DataSource::type_name(self));
        DataSource::validate(self, req, diags).await;
    }
    async fn read(&self, data: &S::Data, ty: &Type, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let name = DataSource::type_name(self);
        let config = decode_model(config, name, diags)?;
        let m = DataSource::read(self, data, config, diags).await?;
        encode_model(&m, ty, name, diags)
    }
}

/// An ephemeral resource behind type erasure.
#[async_trait]
pub trait DynEphemeralResource<D>: Send + Sync {
    /// The full type name.
    fn type_name(&self) -> &'static str;
    /// The ephemeral resource's schema.
    fn schema(&self) -> Schema;
    /// Compare the ephemeral resource's model with its schema (see [`check_model`]); for tests.
    fn check_model(&self) -> Result<(), String>;
    /// Run the ephemeral resource's own checks on a decoded configuration.
    async fn validate(&self, config: &Value, diags: &mut Diagnostics);
    /// Produce the value, its renewal time and private data.
    async fn open(
        &self,
        data: &D,
        ty: &Type,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<(Value, Option<SystemTime>, Private)>;
    /// Extend the value's life.
    async fn renew(&self, data: &D, private: Private, diags: &mut Diagnostics) -> (Option<SystemTime>, Private);
    /// Release the value.
    async fn close(&self, data: &D, private: Private, diags: &mut Diagnostics);
}

#[async_trait]
impl<E: EphemeralResource> DynEphemeralResource<E::Data> for E {
    fn type_name(&self) -> &'static str {
        EphemeralResource::type_name(self)
    }
    fn schema(&self) -> Schema {
        EphemeralResource::schema(self)
    }
    fn check_model(&self) -> Result<(), String> {
        check_model::<E::Model>(&EphemeralResource::schema(self))
    }
    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let req = ValidateRequest::new(std::borrow::Cow::Borrowed(config), EphemeralResource::type_name(self));
        EphemeralResource::validate(self, req, diags).await;
    }
    async fn open(
        &self,
        data: &E::Data,
        ty: &Type,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<(Value, Option<SystemTime>, Private)> {
        let name = EphemeralResource::type_name(self);
        let config = decode_model(config, name, diags)?;
        let o = EphemeralResource::open(self, data, config, diags).await?;
        let v = encode_model(&o.result, ty, name, diags)?;
        Some((v, o.renew_at, o.private))
    }
    async fn renew(&self, data: &E::Data, private: Private, diags: &mut Diagnostics) -> (Option<SystemTime>, Private) {
        EphemeralResource::renew(self, data, private, diags).await
    }
    async fn close(&self, data: &E::Data, private: Private, diags: &mut Diagnostics) {
        EphemeralResource::close(self, data, private, diags).await
    }
}

struct Entry<T: ?Sized> {
    imp: Arc<T>,
    schema: Schema,
    ty: Type,
    /// Whether a read that changed nothing may answer with the stored state's own bytes.
    /// Not with a number (Terraform's msgpack int reads back at another precision than the
    /// state file's text, which a refresh-only plan counts as a change; we always write the
    /// text) or a dynamic value (which may hold one), nor with a write-only attribute (which a
    /// state must hold as null: the answer is made null, not trusted to be).
    echoes_reads: bool,
}

impl<T: ?Sized> Entry<T> {
    fn new(imp: Arc<T>, schema: Schema) -> Entry<T> {
        let ty = schema.value_type();
        let write_only = schema.block.attributes.iter().any(|a| a.write_only) || write_only_below_top(&schema.block);
        let echoes_reads = !write_only && !holds_number_or_dynamic(&ty);
        Entry { imp, schema, ty, echoes_reads }
    }

    /// Decode a configuration, run `first_checks` and then the schema's validators over it. The
    /// value comes back, for the type's own checks to run next, unless it could not be decoded or
    /// `first_checks` refused it: an attribute the schema's validators reject must not hide the
    /// problems of the other attributes, so every check of a resource reports in the same plan.
    fn valid_config(
        &self,
        config: &DynamicValue,
        first_checks: impl FnOnce(&Value, &mut Diagnostics),
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let mark = diags.mark();
        let v = decode_or_diag(config, &self.ty, "configuration", diags)?;
        first_checks(&v, diags);
        if diags.error_since(mark) {
            return None;
        }
        validate_block(&self.schema.block, &v, &mut AttributePath::root(), diags);
        Some(v)
    }
}

/// The configured state of the provider.
enum Configured<D> {
    /// ConfigureProvider has not been called.
    No,
    /// Called with a configuration that still holds unknowns (plan time).
    Deferred,
    Yes(Arc<D>),
}

/// Serves one provider: the methods mirror the protocol's RPCs in framework types.
pub struct ProviderServer<P: Provider> {
    provider: P,
    provider_schema: Schema,
    provider_ty: Type,
    resources: foldhash::HashMap<String, Entry<dyn DynResource<P::Data>>>,
    data_sources: foldhash::HashMap<String, Entry<dyn DynDataSource<P::Data>>>,
    ephemerals: foldhash::HashMap<String, Entry<dyn DynEphemeralResource<P::Data>>>,
    configured: RwLock<Configured<P::Data>>,
    cancel: CancellationToken,
}

/// Results of the RPCs, in framework terms.
pub struct PlanResult {
    /// The planned state, or `None` when planning failed.
    pub planned_state: Option<DynamicValue>,
    /// Attributes whose change replaces the resource.
    pub requires_replace: Vec<AttributePath>,
    /// Private data for the apply.
    pub planned_private: Vec<u8>,
    /// What the plan reported.
    pub diags: Diagnostics,
}

/// The result of a read, an apply or a state upgrade.
pub struct StateResult {
    /// The new state (`None`: the object is gone, or nothing was created).
    pub new_state: Option<DynamicValue>,
    /// Private data to store beside the state.
    pub private: Vec<u8>,
    /// What the operation reported.
    pub diags: Diagnostics,
}

/// One object an import found.
pub struct ImportedResource {
    /// Its resource type.
    pub type_name: String,
    /// Its (possibly partial) state; Terraform reads it next.
    pub state: DynamicValue,
    /// Private data to store beside the state.
    pub private: Vec<u8>,
}

/// The result of opening an ephemeral resource.
pub struct OpenResult {
    /// The value, or `None` when opening failed.
    pub result: Option<DynamicValue>,
    /// When Terraform should renew it.
    pub renew_at: Option<SystemTime>,
    /// Private data for renew and close.
    pub private: Vec<u8>,
    /// What opening reported.
    pub diags: Diagnostics,
}

fn unknown_type(kind: &str, name: &str) -> Diagnostics {
    let mut d = Diagnostics::new();
    d.error(
        format!("Unknown {kind} type"),
        format!("This provider has no {kind} type {name:?}. Check the spelling, or upgrade the provider."),
    );
    d
}

fn decode_or_diag(dv: &DynamicValue, ty: &Type, what: &str, diags: &mut Diagnostics) -> Option<Value> {
    match dv.decode(ty) {
        Ok(v) => Some(v),
        Err(e) => {
            diags.error(
                "Invalid value from Terraform",
                format!("The {what} could not be decoded: {e}. This is a bug in the provider or Terraform."),
            );
            None
        }
    }
}

/// Whether a write-only attribute sits below the top level of `block` (in a nested attribute or
/// a nested block), where nulling it needs the value tree.
fn write_only_below_top(block: &Block) -> bool {
    fn any(attributes: &[Attribute], blocks: &[NestedBlock]) -> bool {
        attributes.iter().any(|a| a.write_only || nested(a))
            || blocks.iter().any(|b| any(&b.block.attributes, &b.block.blocks))
    }
    fn nested(a: &Attribute) -> bool {
        matches!(&a.ty, AttributeType::Nested { attributes, .. } if any(attributes, &[]))
    }
    block.attributes.iter().any(nested) || block.blocks.iter().any(|b| any(&b.block.attributes, &b.block.blocks))
}

/// Whether a value of `ty` may hold a number.
fn holds_number_or_dynamic(ty: &Type) -> bool {
    match ty {
        Type::Number | Type::Dynamic => true,
        Type::Bool | Type::String => false,
        Type::List(et) | Type::Set(et) | Type::Map(et) => holds_number_or_dynamic(et),
        Type::Tuple(ets) => ets.iter().any(holds_number_or_dynamic),
        Type::Object(attrs, _) => attrs.values().any(holds_number_or_dynamic),
    }
}

fn encode_or_diag(v: &Value, ty: &Type, diags: &mut Diagnostics) -> Option<DynamicValue> {
    match DynamicValue::encode(v, ty) {
        Ok(dv) => Some(dv),
        Err(e) => {
            model_bug(diags, "encoding", e);
            None
        }
    }
}

fn not_configured() -> Diagnostics {
    let mut d = Diagnostics::new();
    d.error(
        "Provider not configured",
        "The provider's configuration was not known when this operation ran. Make sure the provider \
         block does not depend on values that are only known after apply, or apply in two steps.",
    );
    d
}

/// Run the schema's own validators over a (possibly partly unknown) configuration value.
pub fn validate_block(block: &Block, value: &Value, path: &mut AttributePath, diags: &mut Diagnostics) {
    if !matches!(value, Value::Object(_)) {
        return;
    }
    for attr in &block.attributes {
        let v = value.attr(&attr.name);
        let checked = v.is_known()
            && !v.is_null()
            && (!attr.validators.is_empty() || matches!(attr.ty, AttributeType::Nested { .. }));
        let missing = attr.required && v.is_null();
        if !checked && !missing {
            // Nothing to check: no path to build.
            continue;
        }
        path.push_attr(&attr.name);
        // Terraform checks that a required argument is present, not that it is non-null: an
        // explicit `null` (as `plan -generate-config-out` writes for what an import could not
        // read) would otherwise reach the resource as a missing value.
        if missing {
            diags.error_at(
                path.clone(),
                "Missing required argument",
                format!(
                    "`{path}` is required, but the configuration sets it to null. Set its value (a configuration \
                     generated by `terraform plan -generate-config-out` writes null where the import could not read \
                     the value back)."
                ),
            );
        }
        if checked {
            for val in &attr.validators {
                val.validate(v, path, diags);
            }
            if let AttributeType::Nested { attributes, .. } = &attr.ty {
                let nested = Block { attributes: attributes.clone(), ..Block::default() };
                match v {
                    Value::Object(_) => validate_block(&nested, v, path, diags),
                    Value::List(items) | Value::Set(items) => {
                        for (i, item) in items.iter().enumerate() {
                            path.push_index(i as i64);
                            validate_block(&nested, item, path, diags);
                            path.pop();
                        }
                    }
                    Value::Map(m) => {
                        for (k, item) in m {
                            path.push_key(k);
                            validate_block(&nested, item, path, diags);
                            path.pop();
                        }
                    }
                    _ => {}
                }
            }
        }
        path.pop();
    }
    for nb in &block.blocks {
        let v = value.attr(&nb.type_name);
        path.push_attr(&nb.type_name);
        match v {
            Value::Object(_) => validate_block(&nb.block, v, path, diags),
            Value::List(items) | Value::Set(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push_index(i as i64);
                    validate_block(&nb.block, item, path, diags);
                    path.pop();
                }
            }
            _ => {}
        }
        path.pop();
    }
}

impl<P: Provider> ProviderServer<P> {
    /// Serve `provider`, reading every schema once.
    pub fn new(provider: P) -> ProviderServer<P> {
        let provider_schema = provider.schema();
        let provider_ty = provider_schema.value_type();
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| (r.type_name().to_string(), Entry::new(r.clone(), r.schema())))
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|r| (r.type_name().to_string(), Entry::new(r.clone(), r.schema())))
            .collect();
        let ephemerals = provider
            .ephemeral_resources()
            .into_iter()
            .map(|r| (r.type_name().to_string(), Entry::new(r.clone(), r.schema())))
            .collect();
        ProviderServer {
            provider,
            provider_schema,
            provider_ty,
            resources,
            data_sources,
            ephemerals,
            configured: RwLock::new(Configured::No),
            cancel: CancellationToken::new(),
        }
    }

    /// The provider being served.
    pub fn provider(&self) -> &P {
        &self.provider
    }

    /// The provider type name (`jamf`).
    pub fn type_name(&self) -> &'static str {
        self.provider.type_name()
    }

    /// Check every schema's internal consistency (used by tests; a failure is a provider bug).
    pub fn check_schemas(&self) -> Result<(), String> {
        self.provider_schema.block.check().map_err(|e| format!("provider: {e}"))?;
        let schemas = self
            .resource_schemas()
            .into_iter()
            .chain(self.data_source_schemas())
            .chain(self.ephemeral_resource_schemas());
        for (n, schema) in schemas {
            schema.block.check().map_err(|err| format!("{n}: {err}"))?;
        }
        Ok(())
    }

    /// The provider block's schema.
    pub fn provider_schema(&self) -> &Schema {
        &self.provider_schema
    }

    /// Each resource type's schema, by type name.
    pub fn resource_schemas(&self) -> BTreeMap<&str, &Schema> {
        self.resources.iter().map(|(k, e)| (k.as_str(), &e.schema)).collect()
    }

    /// Each data source's schema, by type name.
    pub fn data_source_schemas(&self) -> BTreeMap<&str, &Schema> {
        self.data_sources.iter().map(|(k, e)| (k.as_str(), &e.schema)).collect()
    }

    /// Each ephemeral resource's schema, by type name.
    pub fn ephemeral_resource_schemas(&self) -> BTreeMap<&str, &Schema> {
        self.ephemerals.iter().map(|(k, e)| (k.as_str(), &e.schema)).collect()
    }

    /// The token `StopProvider` cancels.
    pub fn cancellation(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Cancel in-flight work (`StopProvider`).
    pub fn stop(&self) {
        self.cancel.cancel();
    }

    fn data(&self) -> Result<Option<Arc<P::Data>>, Diagnostics> {
        match &*self.configured.read().expect("lock poisoned") {
            Configured::Yes(d) => Ok(Some(d.clone())),
            Configured::Deferred => Ok(None),
            Configured::No => Err(not_configured()),
        }
    }

    fn data_required(&self) -> Result<Arc<P::Data>, Diagnostics> {
        self.data()?.ok_or_else(not_configured)
    }

    /// `ValidateProviderConfig`: the schema's validators, then the provider's own checks.
    pub async fn validate_provider_config(&self, config: &DynamicValue) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let Some(v) = decode_or_diag(config, &self.provider_ty, "provider configuration", &mut diags) else {
            return diags;
        };
        validate_block(&self.provider_schema.block, &v, &mut AttributePath::root(), &mut diags);
        if let Some(m) = decode_model::<P::Config>(&v, self.type_name(), &mut diags) {
            self.provider.validate(&m, &mut diags).await;
        }
        diags
    }

    /// `ConfigureProvider`: build the provider data; a configuration with unknowns may defer it to apply.
    pub async fn configure(&self, terraform_version: &str, config: &DynamicValue) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let Some(v) = decode_or_diag(config, &self.provider_ty, "provider configuration", &mut diags) else {
            return diags;
        };
        let has_unknowns = !v.is_wholly_known();
        let Some(m) = decode_model::<P::Config>(&v, self.type_name(), &mut diags) else {
            return diags;
        };
        let req = ConfigureRequest {
            config: m,
            has_unknowns,
            terraform_version: terraform_version.to_string(),
            cancel: self.cancel.clone(),
        };
        let data = self.provider.configure(req, &mut diags).await;
        let state = match data {
            Some(d) => Configured::Yes(Arc::new(d)),
            None if !diags.has_error() => Configured::Deferred,
            None => Configured::No,
        };
        *self.configured.write().expect("lock poisoned") = state;
        diags
    }

    /// `ValidateResourceConfig`: write-only support, the schema's validators, then the resource's checks.
    pub async fn validate_resource_config(
        &self,
        type_name: &str,
        config: &DynamicValue,
        caps: ClientCapabilities,
    ) -> Diagnostics {
        let Some(e) = self.resources.get(type_name) else { return unknown_type("resource", type_name) };
        let mut diags = Diagnostics::new();
        let write_only_check = |v: &Value, diags: &mut Diagnostics| {
            if caps.write_only_attributes_allowed {
                return;
            }
            for path in write_only_paths_set(&e.schema.block, v) {
                diags.error_at(
                    path.clone(),
                    "Write-only attribute not supported",
                    format!(
                        "`{path}` is write-only, which needs Terraform 1.11 or later. Upgrade Terraform or \
                         remove the attribute."
                    ),
                );
            }
        };
        if let Some(v) = e.valid_config(config, write_only_check, &mut diags) {
            e.imp.validate(v, &mut diags).await;
        }
        diags
    }

    /// `UpgradeResourceState`: decode a stored state, upgrading it when an older schema version wrote it.
    pub async fn upgrade_resource_state(&self, type_name: &str, version: i64, raw_json: &[u8]) -> StateResult {
        let mut diags = Diagnostics::new();
        let Some(e) = self.resources.get(type_name) else {
            return StateResult { new_state: None, private: Vec::new(), diags: unknown_type("resource", type_name) };
        };
        // The state as stored, at this schema version: transcoded straight to msgpack when it
        // can be (every refresh upgrades every resource), else through a value.
        if version == e.schema.version && !write_only_below_top(&e.schema.block) {
            let write_only = |name: &str| e.schema.block.attributes.iter().any(|a| a.write_only && a.name == name);
            if let Some(bytes) = msgpack::transcode_json(raw_json, &e.ty, &write_only) {
                return StateResult { new_state: Some(DynamicValue::msgpack(bytes)), private: Vec::new(), diags };
            }
        }
        let value = if version == e.schema.version {
            match json::decode(raw_json, &e.ty) {
                Ok(v) => Some(v),
                Err(err) => {
                    diags.error(
                        "Unreadable state",
                        format!("The stored state of this {type_name} does not match its schema: {err}."),
                    );
                    None
                }
            }
        } else if version > e.schema.version {
            diags.error(
                "Resource instance managed by newer provider version",
                format!(
                    "The state was written by a newer version of this provider (schema version {version}, \
                     this version knows {}). Upgrade the provider.",
                    e.schema.version
                ),
            );
            None
        } else {
            match serde_json::from_slice::<serde_json::Value>(raw_json) {
                Ok(raw) => e.imp.upgrade_state(&e.ty, version, raw, &mut diags).await,
                Err(err) => {
                    diags.error("Unreadable state", format!("The stored state is not valid JSON: {err}."));
                    None
                }
            }
        };
        let new_state = value.and_then(|mut v| {
            null_write_only(&e.schema.block, &mut v);
            encode_or_diag(&v, &e.ty, &mut diags)
        });
        StateResult { new_state, private: Vec::new(), diags }
    }

    /// `MoveResourceState`: the state of `target_type` made from another type's (a `moved` block
    /// across types or providers). Needs no provider configuration: Terraform moves before it
    /// refreshes, and the refresh that follows is what talks to the API.
    pub async fn move_resource_state(&self, target_type: &str, source: &MoveSource) -> StateResult {
        let mut diags = Diagnostics::new();
        let Some(e) = self.resources.get(target_type) else {
            return StateResult { new_state: None, private: Vec::new(), diags: unknown_type("resource", target_type) };
        };
        let value = e.imp.move_state(&e.ty, source, &mut diags).await;
        let new_state = match value {
            Some(mut v) if !diags.has_error() => {
                null_write_only(&e.schema.block, &mut v);
                if v.is_wholly_known() {
                    encode_or_diag(&v, &e.ty, &mut diags)
                } else {
                    model_bug(&mut diags, target_type, "a moved state holds an unknown value");
                    None
                }
            }
            Some(_) => None,
            None => {
                if !diags.has_error() {
                    model_bug(&mut diags, target_type, "move returned no state and no error");
                }
                None
            }
        };
        StateResult { new_state, private: Vec::new(), diags }
    }

    /// `ReadResource`: refresh a state; on failure, or while the provider is not configured, the prior state is kept.
    pub async fn read_resource(&self, type_name: &str, state: &DynamicValue, private: &[u8]) -> StateResult {
        let mut diags = Diagnostics::new();
        let fail = |diags| StateResult { new_state: None, private: Vec::new(), diags };
        let Some(e) = self.resources.get(type_name) else { return fail(unknown_type("resource", type_name)) };
        let data = match self.data() {
            Ok(Some(d)) => d,
            unconfigured => {
                // A state that does not decode is reported first, configured or not.
                if decode_or_diag(state, &e.ty, "state", &mut diags).is_none() {
                    return fail(diags);
                }
                return match unconfigured {
                    // The provider configuration is not known yet: keep the state as it is.
                    Ok(_) => StateResult { new_state: Some(state.clone()), private: private.to_vec(), diags },
                    Err(d) => fail(d),
                };
            }
        };
        let echo = e.echoes_reads && state.json.is_empty();
        match e.imp.read(&data, &e.ty, state, private, echo, &mut diags).await {
            ReadOutcome::Undecodable => fail(diags),
            ReadOutcome::Unchanged(p) => StateResult { new_state: Some(state.clone()), private: p.into_bytes(), diags },
            ReadOutcome::State(Some(mut v), p) => {
                null_write_only(&e.schema.block, &mut v);
                let new_state = encode_or_diag(&v, &e.ty, &mut diags);
                StateResult { new_state, private: p.into_bytes(), diags }
            }
            ReadOutcome::State(None, _) => StateResult { new_state: None, private: Vec::new(), diags },
            ReadOutcome::Failed => {
                if !diags.has_error() {
                    model_bug(&mut diags, type_name, "read returned no result and no error");
                }
                // Keep the prior state on failure.
                StateResult { new_state: Some(state.clone()), private: private.to_vec(), diags }
            }
        }
    }

    /// `PlanResourceChange`: the framework's plan rules, then the resource's plan hook; destroys plan null.
    pub async fn plan_resource_change(
        &self,
        type_name: &str,
        prior: &DynamicValue,
        proposed: &DynamicValue,
        config: &DynamicValue,
        prior_private: &[u8],
    ) -> PlanResult {
        let mut diags = Diagnostics::new();
        let fail = |diags| PlanResult {
            planned_state: None,
            requires_replace: Vec::new(),
            planned_private: Vec::new(),
            diags,
        };
        let Some(e) = self.resources.get(type_name) else { return fail(unknown_type("resource", type_name)) };
        let Some(prior_v) = decode_or_diag(prior, &e.ty, "prior state", &mut diags) else { return fail(diags) };
        // An unchanged resource (most of a refresh plan) is proposed exactly as it is stored:
        // the same bytes are the same value, copied rather than decoded again.
        let proposed_as_stored = !prior.msgpack.is_empty() && prior == proposed;
        let proposed_v = if proposed_as_stored {
            prior_v.clone()
        } else {
            let Some(v) = decode_or_diag(proposed, &e.ty, "proposed state", &mut diags) else { return fail(diags) };
            v
        };
        let Some(config_v) = decode_or_diag(config, &e.ty, "configuration", &mut diags) else { return fail(diags) };

        if proposed_v.is_null() {
            // Destroy: the planned state must be null.
            return PlanResult {
                planned_state: Some(DynamicValue::encode(&Value::Null, &e.ty).expect("null encodes")),
                requires_replace: Vec::new(),
                planned_private: prior_private.to_vec(),
                diags,
            };
        }
        let outcome = plan_change(&e.schema.block, &prior_v, proposed_v, &config_v);
        diags.extend(outcome.diags);
        // Planned as stored, and left so by the hook: answered with the stored bytes, not
        // encoded again (most of a refresh plan). Only where a read may echo its state too
        // (see `Entry::echoes_reads`).
        let as_stored = e.echoes_reads && proposed_as_stored && prior.json.is_empty() && outcome.planned == prior_v;
        // Plan hooks run without an API client while the provider configuration is unknown.
        let data = self.data().unwrap_or_default();
        let Hooked { mut planned, requires_replace, private, changed } = e
            .imp
            .plan(
                data.as_deref(),
                &e.ty,
                prior_v,
                config_v,
                outcome.planned,
                outcome.requires_replace,
                Private::from_bytes(prior_private),
                &mut diags,
            )
            .await;
        let planned_state = if as_stored && !changed {
            Some(prior.clone())
        } else {
            null_write_only(&e.schema.block, &mut planned);
            encode_or_diag(&planned, &e.ty, &mut diags)
        };
        PlanResult { planned_state, requires_replace, planned_private: private.into_bytes(), diags }
    }

    /// `ApplyResourceChange`: create, update or delete; a failed delete keeps the state.
    pub async fn apply_resource_change(
        &self,
        type_name: &str,
        prior: &DynamicValue,
        planned: &DynamicValue,
        config: &DynamicValue,
        planned_private: &[u8],
    ) -> StateResult {
        let mut diags = Diagnostics::new();
        let fail = |diags| StateResult { new_state: None, private: Vec::new(), diags };
        let Some(e) = self.resources.get(type_name) else { return fail(unknown_type("resource", type_name)) };
        let Some(prior_v) = decode_or_diag(prior, &e.ty, "prior state", &mut diags) else { return fail(diags) };
        let Some(planned_v) = decode_or_diag(planned, &e.ty, "planned state", &mut diags) else { return fail(diags) };
        let Some(config_v) = decode_or_diag(config, &e.ty, "configuration", &mut diags) else { return fail(diags) };
        let data = match self.data_required() {
            Ok(d) => d,
            Err(d) => return fail(d),
        };
        let private = Private::from_bytes(planned_private);

        if planned_v.is_null() {
            e.imp.delete(&data, &prior_v, private, &mut diags).await;
            let new_state = if diags.has_error() {
                // The object still exists: keep it in state.
                Some(prior.clone())
            } else {
                Some(DynamicValue::encode(&Value::Null, &e.ty).expect("null encodes"))
            };
            return StateResult { new_state, private: planned_private.to_vec(), diags };
        }

        let r = if prior_v.is_null() {
            e.imp.create(&data, &e.ty, &planned_v, &config_v, private, &mut diags).await
        } else {
            e.imp.update(&data, &e.ty, &prior_v, &planned_v, &config_v, private, &mut diags).await
        };
        match r {
            Some((Some(mut v), p)) => {
                null_write_only(&e.schema.block, &mut v);
                if !v.is_wholly_known() && !diags.has_error() {
                    model_bug(&mut diags, type_name, "apply left an unknown value in the new state");
                }
                let new_state = encode_or_diag(&v, &e.ty, &mut diags);
                StateResult { new_state, private: p.into_bytes(), diags }
            }
            Some((None, _)) | None => {
                if !diags.has_error() {
                    model_bug(&mut diags, type_name, "apply returned no state and no error");
                }
                // Nothing was created (create) or the object is unchanged (update).
                let new_state = if prior_v.is_null() { None } else { Some(prior.clone()) };
                StateResult { new_state, private: planned_private.to_vec(), diags }
            }
        }
    }

    /// `ImportResourceState`: the state `import` makes of `id`.
    pub async fn import_resource_state(&self, type_name: &str, id: &str) -> (Vec<ImportedResource>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let Some(e) = self.resources.get(type_name) else { return (Vec::new(), unknown_type("resource", type_name)) };
        let data = match self.data_required() {
            Ok(d) => d,
            Err(d) => return (Vec::new(), d),
        };
        let Some((mut v, private)) = e.imp.import(&data, &e.ty, id, &mut diags).await else {
            return (Vec::new(), diags);
        };
        null_write_only(&e.schema.block, &mut v);
        let Some(state) = encode_or_diag(&v, &e.ty, &mut diags) else { return (Vec::new(), diags) };
        (vec![ImportedResource { type_name: type_name.to_string(), state, private: private.into_bytes() }], diags)
    }

    /// `ValidateDataResourceConfig`: the schema's validators, then the data source's checks.
    pub async fn validate_data_source_config(&self, type_name: &str, config: &DynamicValue) -> Diagnostics {
        let Some(e) = self.data_sources.get(type_name) else { return unknown_type("data source", type_name) };
        let mut diags = Diagnostics::new();
        if let Some(v) = e.valid_config(config, |_, _| {}, &mut diags) {
            e.imp.validate(&v, &mut diags).await;
        }
        diags
    }

    /// `ReadDataSource`: the looked-up object; a result with unknowns is a provider bug.
    pub async fn read_data_source(
        &self,
        type_name: &str,
        config: &DynamicValue,
    ) -> (Option<DynamicValue>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let Some(e) = self.data_sources.get(type_name) else { return (None, unknown_type("data source", type_name)) };
        let Some(config_v) = decode_or_diag(config, &e.ty, "configuration", &mut diags) else { return (None, diags) };
        let data = match self.data_required() {
            Ok(d) => d,
            Err(d) => return (None, d),
        };
        let Some(v) = e.imp.read(&data, &e.ty, &config_v, &mut diags).await else {
            if !diags.has_error() {
                model_bug(&mut diags, type_name, "read returned no result and no error");
            }
            return (None, diags);
        };
        if !v.is_wholly_known() {
            model_bug(&mut diags, type_name, "data source result holds an unknown value");
            return (None, diags);
        }
        (encode_or_diag(&v, &e.ty, &mut diags), diags)
    }

    /// `ValidateEphemeralResourceConfig`: the schema's validators, then the ephemeral resource's checks.
    pub async fn validate_ephemeral_config(&self, type_name: &str, config: &DynamicValue) -> Diagnostics {
        let Some(e) = self.ephemerals.get(type_name) else { return unknown_type("ephemeral resource", type_name) };
        let mut diags = Diagnostics::new();
        if let Some(v) = e.valid_config(config, |_, _| {}, &mut diags) {
            e.imp.validate(&v, &mut diags).await;
        }
        diags
    }

    /// `OpenEphemeralResource`: produce the value.
    pub async fn open_ephemeral(&self, type_name: &str, config: &DynamicValue) -> OpenResult {
        let mut diags = Diagnostics::new();
        let fail = |diags| OpenResult { result: None, renew_at: None, private: Vec::new(), diags };
        let Some(e) = self.ephemerals.get(type_name) else {
            return fail(unknown_type("ephemeral resource", type_name));
        };
        let Some(config_v) = decode_or_diag(config, &e.ty, "configuration", &mut diags) else { return fail(diags) };
        let data = match self.data_required() {
            Ok(d) => d,
            Err(d) => return fail(d),
        };
        let Some((v, renew_at, private)) = e.imp.open(&data, &e.ty, &config_v, &mut diags).await else {
            return fail(diags);
        };
        let result = encode_or_diag(&v, &e.ty, &mut diags);
        OpenResult { result, renew_at, private: private.into_bytes(), diags }
    }

    /// `RenewEphemeralResource`: extend the value's life; returns the next renewal time and private data.
    pub async fn renew_ephemeral(&self, type_name: &str, private: &[u8]) -> (Option<SystemTime>, Vec<u8>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let Some(e) = self.ephemerals.get(type_name) else {
            return (None, Vec::new(), unknown_type("ephemeral resource", type_name));
        };
        let data = match self.data_required() {
            Ok(d) => d,
            Err(d) => return (None, Vec::new(), d),
        };
        let (at, p) = e.imp.renew(&data, Private::from_bytes(private), &mut diags).await;
        (at, p.into_bytes(), diags)
    }

    /// `CloseEphemeralResource`: release the value.
    pub async fn close_ephemeral(&self, type_name: &str, private: &[u8]) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let Some(e) = self.ephemerals.get(type_name) else { return unknown_type("ephemeral resource", type_name) };
        let data = match self.data_required() {
            Ok(d) => d,
            Err(d) => return d,
        };
        e.imp.close(&data, Private::from_bytes(private), &mut diags).await;
        diags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dynamic_value_shows_its_sizes_not_its_content() {
        let ty = Type::object([("password", Type::String)]);
        let secret = Value::Object(BTreeMap::from([("password".to_string(), Value::from("hunter2-not-for-logs"))]));
        let v = DynamicValue::encode(&secret, &ty).unwrap();
        let shown = format!("{v:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(shown, format!("DynamicValue {{ msgpack: [{} bytes], json: [0 bytes] }}", v.msgpack.len()));
        assert_eq!(v.decode(&ty).unwrap(), secret);
    }

    /// A provider of two resources whose read reports what `drift` says the remote object now
    /// holds: `t_note` (strings and a set) and `t_count` (with a number).
    mod reads {
        use std::collections::BTreeSet;
        use std::sync::Mutex;

        use async_trait::async_trait;
        use serde::{Deserialize, Serialize};

        use super::super::super::model::Attr;
        use super::super::super::provider::{
            ConfigureRequest, CreateRequest, PlanRequest, Provider, ReadRequest, Resource, StateResponse, UpdateRequest,
        };
        use super::*;

        #[derive(Default)]
        pub struct Drift {
            /// A new text for the next read.
            pub text: Mutex<Option<String>>,
            /// New private data for the next read.
            pub private: Mutex<Option<Vec<u8>>>,
        }

        pub struct T;

        #[derive(Serialize, Deserialize)]
        pub struct NoConfig {}

        #[async_trait]
        impl Provider for T {
            type Data = Drift;
            type Config = NoConfig;
            fn type_name(&self) -> &'static str {
                "t"
            }
            fn schema(&self) -> Schema {
                Schema::new("t")
            }
            async fn configure(&self, _: ConfigureRequest<NoConfig>, _: &mut Diagnostics) -> Option<Drift> {
                Some(Drift::default())
            }
            fn resources(&self) -> Vec<Arc<dyn DynResource<Drift>>> {
                vec![Arc::new(Note), Arc::new(Count)]
            }
        }

        #[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
        pub struct NoteModel {
            pub id: Attr<String>,
            pub text: Attr<String>,
            pub tags: Attr<BTreeSet<String>>,
        }

        #[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
        pub struct CountModel {
            pub id: Attr<String>,
            pub text: Attr<String>,
            pub count: Attr<i64>,
        }

        /// The model as `drift` says it is now.
        trait Drifting: Sized {
            fn drifted(self, d: &Drift) -> Self;
        }
        impl Drifting for NoteModel {
            fn drifted(mut self, d: &Drift) -> Self {
                if let Some(t) = d.text.lock().unwrap().take() {
                    self.text = Attr::Known(t);
                }
                self
            }
        }
        impl Drifting for CountModel {
            fn drifted(mut self, d: &Drift) -> Self {
                if let Some(t) = d.text.lock().unwrap().take() {
                    self.text = Attr::Known(t);
                }
                self
            }
        }

        pub struct Note;
        pub struct Count;

        macro_rules! drifting_resource {
            ($r:ty, $m:ty, $name:literal, $schema:expr) => {
                #[async_trait]
                impl Resource for $r {
                    type Data = Drift;
                    type Model = $m;
                    fn type_name(&self) -> &'static str {
                        $name
                    }
                    fn schema(&self) -> Schema {
                        $schema
                    }
                    async fn create(
                        &self,
                        _: &Drift,
                        req: CreateRequest<$m>,
                        _: &mut Diagnostics,
                    ) -> Option<StateResponse<$m>> {
                        Some(StateResponse::new(req.planned))
                    }
                    async fn read(
                        &self,
                        d: &Drift,
                        req: ReadRequest<$m>,
                        _: &mut Diagnostics,
                    ) -> Option<StateResponse<$m>> {
                        let private = match d.private.lock().unwrap().take() {
                            Some(p) => Private::from_bytes(&p),
                            None => req.private,
                        };
                        Some(StateResponse::new(req.state.drifted(d)).with_private(private))
                    }
                    async fn update(
                        &self,
                        _: &Drift,
                        req: UpdateRequest<$m>,
                        _: &mut Diagnostics,
                    ) -> Option<StateResponse<$m>> {
                        Some(StateResponse::new(req.planned))
                    }
                    async fn delete(&self, _: &Drift, _: $m, _: Private, _: &mut Diagnostics) {}
                    /// A hook that changes one plan: "shout" is planned as "SHOUT".
                    async fn plan(&self, _: Option<&Drift>, req: &mut PlanRequest<$m>, _: &mut Diagnostics) {
                        if req.planned.text.get().is_some_and(|t| t == "shout") {
                            req.planned.text = Attr::Known("SHOUT".into());
                        }
                    }
                }
            };
        }
        drifting_resource!(
            Note,
            NoteModel,
            "t_note",
            Schema::new("note")
                .attribute(Attribute::string("id").computed())
                .attribute(Attribute::string("text").required())
                .attribute(Attribute::set_of("tags", Type::String).optional())
        );
        drifting_resource!(
            Count,
            CountModel,
            "t_count",
            Schema::new("count")
                .attribute(Attribute::string("id").computed())
                .attribute(Attribute::string("text").required())
                .attribute(Attribute::number("count").optional())
        );
    }

    async fn configured() -> ProviderServer<reads::T> {
        let server = ProviderServer::new(reads::T);
        let config =
            DynamicValue::encode(&Value::Object(BTreeMap::new()), &Type::object::<[(&str, Type); 0], &str>([]))
                .unwrap();
        let diags = server.configure("1.11.0", &config).await;
        assert!(!diags.has_error(), "{diags:?}");
        server
    }

    /// msgpack as Terraform's writer might lay it out, not as ours does: attributes in
    /// reverse order, every string as str8.
    fn laid_out_otherwise(entries: &[(&str, rmpv::Value)]) -> Vec<u8> {
        let to_str8 = |s: &str| {
            let mut b = vec![0xd9, s.len() as u8];
            b.extend_from_slice(s.as_bytes());
            b
        };
        fn value(v: &rmpv::Value, to_str8: &dyn Fn(&str) -> Vec<u8>) -> Vec<u8> {
            match v {
                rmpv::Value::String(s) => to_str8(s.as_str().unwrap()),
                rmpv::Value::Array(items) => {
                    let mut b = vec![0x90 | items.len() as u8];
                    for i in items {
                        b.extend(value(i, to_str8));
                    }
                    b
                }
                other => {
                    let mut b = Vec::new();
                    rmpv::encode::write_value(&mut b, other).unwrap();
                    b
                }
            }
        }
        let mut out = vec![0x80 | entries.len() as u8];
        for (k, v) in entries.iter().rev() {
            out.extend(to_str8(k));
            out.extend(value(v, &to_str8));
        }
        out
    }

    #[tokio::test]
    async fn a_read_that_changes_nothing_answers_with_the_stored_bytes() {
        let server = configured().await;
        let note_ty = Resource::schema(&reads::Note).value_type();
        let stored = laid_out_otherwise(&[
            ("id", "7".into()),
            ("tags", rmpv::Value::Array(vec!["b".into(), "a".into()])),
            ("text", "hello".into()),
        ]);
        let state = DynamicValue::msgpack(stored.clone());
        let private = br#"{"k":"v"}"#;
        let r = server.read_resource("t_note", &state, private).await;
        assert!(r.diags.is_empty(), "{:?}", r.diags);
        let answered = r.new_state.expect("a state");
        assert_eq!(&answered.msgpack[..], &stored[..], "the stored bytes themselves");
        assert_eq!(r.private, private.to_vec());
        // What they hold is what the model holds.
        let model: reads::NoteModel = super::super::model::from_value(&answered.decode(&note_ty).unwrap()).unwrap();
        assert_eq!(model.tags, super::super::model::Attr::Known(["a".to_string(), "b".to_string()].into()));

        // Drift: the answer is the new model, in our own encoding.
        let data = server.data().unwrap().unwrap();
        *data.text.lock().unwrap() = Some("changed".into());
        let r = server.read_resource("t_note", &state, private).await;
        let answered = r.new_state.expect("a state");
        assert_ne!(&answered.msgpack[..], &stored[..]);
        assert_eq!(answered.decode(&note_ty).unwrap().attr("text"), &Value::from("changed"));

        // New private data alone is a change too.
        *data.private.lock().unwrap() = Some(br#"{"k":"w"}"#.to_vec());
        let r = server.read_resource("t_note", &state, private).await;
        assert_eq!(r.private, br#"{"k":"w"}"#.to_vec());
        let answered = r.new_state.expect("a state");
        assert_ne!(&answered.msgpack[..], &stored[..]);
        assert_eq!(answered.decode(&note_ty).unwrap().attr("text"), &Value::from("hello"));
    }

    /// A resource without checks of its own never has its configuration turned into its model
    /// at validation: a number its model cannot hold (a provider bug, which the plan reports)
    /// passes validation, where decoding it would have failed.
    #[tokio::test]
    async fn validation_decodes_the_model_only_for_a_hook_that_asks() {
        let server = configured().await;
        let ty = Resource::schema(&reads::Count).value_type();
        let config = Value::Object(BTreeMap::from([
            ("count".to_string(), Value::Number("1.5".parse().unwrap())),
            ("id".to_string(), Value::Null),
            ("text".to_string(), Value::from("hello")),
        ]));
        let config = DynamicValue::encode(&config, &ty).unwrap();
        let caps = ClientCapabilities { deferral_allowed: false, write_only_attributes_allowed: true };
        let diags = server.validate_resource_config("t_count", &config, caps).await;
        assert!(diags.is_empty(), "{diags:?}");
        // Asked for, the model reports what it cannot hold.
        let mut diags = Diagnostics::new();
        let v = config.decode(&ty).unwrap();
        assert!(
            ValidateRequest::<reads::CountModel>::new(std::borrow::Cow::Owned(v), "t_count")
                .config(&mut diags)
                .is_none()
        );
        assert!(diags.has_error(), "{diags:?}");
    }

    #[tokio::test]
    async fn a_plan_that_changes_nothing_answers_with_the_stored_bytes() {
        let server = configured().await;
        let note_ty = Resource::schema(&reads::Note).value_type();
        let plan = |stored: &[u8], config: &Value| {
            let stored = DynamicValue::msgpack(stored.to_vec());
            let config = DynamicValue::encode(config, &note_ty).unwrap();
            let server = &server;
            async move { server.plan_resource_change("t_note", &stored, &stored, &config, b"").await }
        };
        let config = |text: &str| {
            Value::Object(BTreeMap::from([
                ("id".to_string(), Value::Null),
                ("tags".to_string(), Value::Set(vec!["b".into(), "a".into()])),
                ("text".to_string(), Value::from(text)),
            ]))
        };
        let stored = |text: &str| {
            laid_out_otherwise(&[
                ("id", "7".into()),
                ("tags", rmpv::Value::Array(vec!["b".into(), "a".into()])),
                ("text", text.into()),
            ])
        };
        let r = plan(&stored("hello"), &config("hello")).await;
        assert!(r.diags.is_empty(), "{:?}", r.diags);
        assert!(r.requires_replace.is_empty());
        let planned = r.planned_state.expect("a plan");
        assert_eq!(&planned.msgpack[..], &stored("hello")[..], "the stored bytes themselves");

        // A hook that changes the plan is answered with its plan, in our encoding.
        let r = plan(&stored("shout"), &config("shout")).await;
        let planned = r.planned_state.expect("a plan");
        assert_ne!(&planned.msgpack[..], &stored("shout")[..]);
        assert_eq!(planned.decode(&note_ty).unwrap().attr("text"), &Value::from("SHOUT"));

        // So is a resource with a number, whose stored bytes are never echoed (see the reads).
        let count_ty = Resource::schema(&reads::Count).value_type();
        let stored = laid_out_otherwise(&[("count", 5.into()), ("id", "7".into()), ("text", "hello".into())]);
        let config = Value::Object(BTreeMap::from([
            ("count".to_string(), Value::number(5)),
            ("id".to_string(), Value::Null),
            ("text".to_string(), Value::from("hello")),
        ]));
        let state = DynamicValue::msgpack(stored.clone());
        let config = DynamicValue::encode(&config, &count_ty).unwrap();
        let r = server.plan_resource_change("t_count", &state, &state, &config, b"").await;
        let planned = r.planned_state.expect("a plan");
        assert_ne!(&planned.msgpack[..], &stored[..]);
        assert_eq!(planned.decode(&count_ty).unwrap(), state.decode(&count_ty).unwrap());
    }

    #[tokio::test]
    async fn a_read_of_a_state_holding_a_number_answers_in_our_encoding() {
        // Terraform reads its own msgpack int back at another precision than the state file's
        // text: a number is always answered as the text, so the stored bytes are never echoed.
        let server = configured().await;
        let ty = Resource::schema(&reads::Count).value_type();
        let stored = laid_out_otherwise(&[("count", 5.into()), ("id", "7".into()), ("text", "hello".into())]);
        let r = server.read_resource("t_count", &DynamicValue::msgpack(stored.clone()), b"").await;
        assert!(r.diags.is_empty(), "{:?}", r.diags);
        let answered = r.new_state.expect("a state");
        assert_ne!(&answered.msgpack[..], &stored[..]);
        let mut canonical = Vec::new();
        let v = answered.decode(&ty).unwrap();
        assert_eq!(v.attr("count"), &Value::number(5));
        canonical.extend(msgpack::encode(&v, &ty).unwrap());
        assert_eq!(&answered.msgpack[..], &canonical[..]);
        assert!(answered.msgpack.windows(2).any(|w| w == [0xa1, b'5']), "the number as its text");
    }

    /// A state is transcoded without a value tree only when its write-only attributes are all at
    /// the top level, where the transcoder nulls them itself.
    #[test]
    fn only_top_level_write_only_attributes_allow_the_transcoded_upgrade() {
        use super::super::schema::Nesting;
        let top =
            |attrs: Vec<Attribute>, blocks: Vec<NestedBlock>| Block { attributes: attrs, blocks, ..Block::default() };
        let plain = || Attribute::string("name").optional();
        let secret = || Attribute::string("password_wo").optional().write_only();
        assert!(!write_only_below_top(&top(vec![plain(), secret()], vec![])));
        assert!(write_only_below_top(&top(
            vec![Attribute::nested("login", Nesting::Single, vec![plain(), secret()])],
            vec![]
        )));
        assert!(!write_only_below_top(&top(vec![Attribute::nested("login", Nesting::List, vec![plain()])], vec![])));
        let block = |attrs| NestedBlock::new("timeouts", Nesting::Single, top(attrs, vec![]));
        assert!(write_only_below_top(&top(vec![plain()], vec![block(vec![secret()])])));
        assert!(!write_only_below_top(&top(vec![secret()], vec![block(vec![plain()])])));
    }
}
