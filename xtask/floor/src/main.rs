//! `terraform-provider-floor`: the benchmark's floor (`cargo xtask bench`, BENCHMARKS.md).
//!
//! Its one resource, `floor_role`, has `jamf_api_role`'s schema (the same attributes, plan
//! modifiers and validators: taken from it, so the two cannot drift apart) and does nothing
//! with it: no API client, no catalogue of privileges, no check of names, no request. It runs on
//! the providers' own wire (`mdmkit::plugin`: go-plugin handshake, AutoMTLS, our HTTP/2 and gRPC)
//! and framework, with their allocator. Timed beside `jamf_api_role` and `terraform_data` in the
//! same rounds, it splits the gap between them in two: what our resource's work costs (role
//! against floor), and what any provider on this wire pays, terraform's side of the protocol
//! included (floor against `terraform_data`).
//!
//! Never shipped: `cargo xtask install` and `dist` know only the two providers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use mdmkit::framework::provider::DynResource;
use mdmkit::framework::{
    Attr, ConfigureRequest, CreateRequest, Diagnostics, Private, Provider, ReadRequest, Resource, Schema,
    StateResponse, UpdateRequest,
};
use mdmkit::jamf::api_role::{ApiRoleModel, ApiRoleResource};
use serde::{Deserialize, Serialize};

/// mimalloc, as the providers (see its entry in the root `Cargo.toml`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The floor's address, under which the benchmark's mirror installs it.
const ADDRESS: &str = "registry.terraform.io/mdmkit/floor";

fn main() {
    mdmkit::plugin::main(FloorProvider, ADDRESS)
}

/// The provider (type name `floor`): no settings, nothing to configure.
struct FloorProvider;

/// Its provider block, which has no attributes.
#[derive(Serialize, Deserialize)]
struct NoConfig {}

#[async_trait]
impl Provider for FloorProvider {
    type Data = Ids;
    type Config = NoConfig;

    fn type_name(&self) -> &'static str {
        "floor"
    }

    fn schema(&self) -> Schema {
        Schema::new("The benchmark's floor: a resource with jamf_api_role's schema that does nothing.")
    }

    async fn configure(&self, _req: ConfigureRequest<NoConfig>, _diags: &mut Diagnostics) -> Option<Ids> {
        Some(Ids::default())
    }

    fn resources(&self) -> Vec<Arc<dyn DynResource<Ids>>> {
        vec![Arc::new(FloorRole)]
    }
}

/// The ids a launch hands out: unique within one apply, which is all a state needs.
#[derive(Default)]
struct Ids(AtomicU64);

/// `floor_role`: `jamf_api_role`'s schema and model, and no work.
struct FloorRole;

#[async_trait]
impl Resource for FloorRole {
    type Data = Ids;
    type Model = ApiRoleModel;

    fn type_name(&self) -> &'static str {
        "floor_role"
    }

    fn schema(&self) -> Schema {
        Resource::schema(&ApiRoleResource)
    }

    async fn create(
        &self,
        ids: &Ids,
        req: CreateRequest<ApiRoleModel>,
        _diags: &mut Diagnostics,
    ) -> Option<StateResponse<ApiRoleModel>> {
        let id = ids.0.fetch_add(1, Ordering::Relaxed) + 1;
        Some(StateResponse::new(ApiRoleModel { id: Attr::Known(id.to_string()), ..req.planned }))
    }

    async fn read(
        &self,
        _ids: &Ids,
        req: ReadRequest<ApiRoleModel>,
        _diags: &mut Diagnostics,
    ) -> Option<StateResponse<ApiRoleModel>> {
        Some(StateResponse::new(req.state))
    }

    async fn update(
        &self,
        _ids: &Ids,
        req: UpdateRequest<ApiRoleModel>,
        _diags: &mut Diagnostics,
    ) -> Option<StateResponse<ApiRoleModel>> {
        Some(StateResponse::new(ApiRoleModel { id: req.prior.id, ..req.planned }))
    }

    async fn delete(&self, _ids: &Ids, _prior: ApiRoleModel, _private: Private, _diags: &mut Diagnostics) {}
}
