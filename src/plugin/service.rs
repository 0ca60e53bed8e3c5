//! The `tfplugin6.Provider` gRPC service: logs, converts and delegates to the framework's
//! `ProviderServer`. No plan or vendor logic lives here.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::FutureExt;
use tonic::{Request, Response, Status};
use tracing::Instrument;

use crate::framework::server::{OpenResult, PlanResult, StateResult};
use crate::framework::{ClientCapabilities, Diagnostics, MoveSource, Provider, ProviderServer};

use super::convert::{diagnostics_out, dynamic_in, dynamic_out, path_out, schema_out, timestamp_out};
use super::proto::tfplugin6 as tf;

/// The gRPC face of one provider.
pub struct ProviderService<P: Provider> {
    server: Arc<ProviderServer<P>>,
    next_request: AtomicU64,
}

impl<P: Provider> ProviderService<P> {
    /// Serve `server` over gRPC.
    pub fn new(server: Arc<ProviderServer<P>>) -> ProviderService<P> {
        ProviderService { server, next_request: AtomicU64::new(1) }
    }

    /// A span per RPC, so every log line of the call carries `tf_rpc` and the resource type.
    fn span(&self, rpc: &'static str, type_name: &str) -> tracing::Span {
        let id = self.next_request.fetch_add(1, Ordering::Relaxed);
        tracing::debug_span!("rpc", tf_rpc = rpc, tf_resource_type = type_name, tf_req_id = id)
    }
}

fn caps(c: Option<&tf::ClientCapabilities>) -> ClientCapabilities {
    c.map(|c| ClientCapabilities {
        deferral_allowed: c.deferral_allowed,
        write_only_attributes_allowed: c.write_only_attributes_allowed,
    })
    .unwrap_or_default()
}

fn server_capabilities() -> tf::ServerCapabilities {
    tf::ServerCapabilities {
        // Destroy plans need nothing from us: Terraform may skip the call.
        plan_destroy: false,
        get_provider_schema_optional: true,
        // Every resource answers a move; one that takes none says so in a diagnostic.
        move_resource_state: true,
        generate_resource_config: false,
    }
}

/// What an RPC answers when its handler panicked: no result, and the one error diagnostic.
trait Answer {
    fn panicked(diags: Diagnostics) -> Self;
}

impl Answer for Diagnostics {
    fn panicked(diags: Diagnostics) -> Self {
        diags
    }
}

impl Answer for StateResult {
    fn panicked(diags: Diagnostics) -> Self {
        StateResult { new_state: None, private: Vec::new(), diags }
    }
}

impl Answer for PlanResult {
    fn panicked(diags: Diagnostics) -> Self {
        PlanResult { planned_state: None, requires_replace: Vec::new(), planned_private: Vec::new(), diags }
    }
}

impl Answer for OpenResult {
    fn panicked(diags: Diagnostics) -> Self {
        OpenResult { result: None, renew_at: None, private: Vec::new(), diags }
    }
}

impl<A: Default> Answer for (A, Diagnostics) {
    fn panicked(diags: Diagnostics) -> Self {
        (A::default(), diags)
    }
}

impl<A: Default, B: Default> Answer for (A, B, Diagnostics) {
    fn panicked(diags: Diagnostics) -> Self {
        (A::default(), B::default(), diags)
    }
}

impl Answer for tf::get_provider_schema::Response {
    fn panicked(diags: Diagnostics) -> Self {
        tf::get_provider_schema::Response { diagnostics: diagnostics_out(&diags), ..Default::default() }
    }
}

/// The diagnostic for a panic in the handler of `rpc`. The panic's message goes to the log only
/// (it may quote a value), never into the diagnostic.
fn internal_error(rpc: &str) -> Diagnostics {
    let mut d = Diagnostics::new();
    d.error(
        "Internal error in the provider, please report it",
        format!(
            "The provider failed while handling {rpc} (a bug: it panicked). The provider keeps running, but this \
             operation did not complete. Please report it with the provider's log (TF_LOG_PROVIDER=debug)."
        ),
    );
    d
}

/// Run one RPC inside its span with "Received request" / "Served request" trace lines. A panic
/// in the handler becomes an error diagnostic naming the RPC instead of a dead provider.
///
/// The handler's future is boxed once, here: held by value, an `async fn` keeps it three times
/// over (its argument, the block that takes it, the future that catches its panic), which made
/// the future of a `PlanResourceChange` 2,264 bytes, each copy of it a `memcpy` of that size, and
/// (under glibc's allocator, before the binaries took mimalloc) past what glibc's thread cache
/// serves, so that every such call took `malloc`'s slow path. Boxed, each piece stays small.
fn traced<'a, T: Answer + 'a>(
    rpc: &'static str,
    span: tracing::Span,
    fut: impl Future<Output = T> + Send + 'a,
) -> impl Future<Output = T> + Send + 'a {
    let fut = std::panic::AssertUnwindSafe(Box::pin(fut)).catch_unwind();
    async move {
        tracing::trace!("Received request");
        let out = match fut.await {
            Ok(out) => out,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(rpc, panic = %message, "the RPC handler panicked");
                T::panicked(internal_error(rpc))
            }
        };
        tracing::trace!("Served request");
        out
    }
    .instrument(span)
}

#[tonic::async_trait]
impl<P: Provider> tf::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _req: Request<tf::get_metadata::Request>,
    ) -> Result<Response<tf::get_metadata::Response>, Status> {
        let s = &self.server;
        Ok(Response::new(tf::get_metadata::Response {
            server_capabilities: Some(server_capabilities()),
            resources: s
                .resource_schemas()
                .keys()
                .map(|n| tf::get_metadata::ResourceMetadata { type_name: n.to_string() })
                .collect(),
            data_sources: s
                .data_source_schemas()
                .keys()
                .map(|n| tf::get_metadata::DataSourceMetadata { type_name: n.to_string() })
                .collect(),
            ephemeral_resources: s
                .ephemeral_resource_schemas()
                .keys()
                .map(|n| tf::get_metadata::EphemeralMetadata { type_name: n.to_string() })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _req: Request<tf::get_provider_schema::Request>,
    ) -> Result<Response<tf::get_provider_schema::Response>, Status> {
        let s = &self.server;
        let resp = traced("GetProviderSchema", self.span("GetProviderSchema", ""), async {
            tf::get_provider_schema::Response {
                provider: Some(schema_out(s.provider_schema())),
                resource_schemas: s
                    .resource_schemas()
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), schema_out(v)))
                    .collect(),
                data_source_schemas: s
                    .data_source_schemas()
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), schema_out(v)))
                    .collect(),
                ephemeral_resource_schemas: s
                    .ephemeral_resource_schemas()
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), schema_out(v)))
                    .collect(),
                server_capabilities: Some(server_capabilities()),
                ..Default::default()
            }
        })
        .await;
        Ok(Response::new(resp))
    }

    async fn get_resource_identity_schemas(
        &self,
        _req: Request<tf::get_resource_identity_schemas::Request>,
    ) -> Result<Response<tf::get_resource_identity_schemas::Response>, Status> {
        // No resource declares an identity (protocol 6.9); an empty answer is exact.
        Ok(Response::new(tf::get_resource_identity_schemas::Response::default()))
    }

    async fn get_functions(
        &self,
        _req: Request<tf::get_functions::Request>,
    ) -> Result<Response<tf::get_functions::Response>, Status> {
        Ok(Response::new(tf::get_functions::Response::default()))
    }

    async fn validate_provider_config(
        &self,
        req: Request<tf::validate_provider_config::Request>,
    ) -> Result<Response<tf::validate_provider_config::Response>, Status> {
        let req = req.into_inner();
        let diags = traced(
            "ValidateProviderConfig",
            self.span("ValidateProviderConfig", ""),
            self.server.validate_provider_config(&dynamic_in(req.config)),
        )
        .await;
        Ok(Response::new(tf::validate_provider_config::Response { diagnostics: diagnostics_out(&diags) }))
    }

    async fn configure_provider(
        &self,
        req: Request<tf::configure_provider::Request>,
    ) -> Result<Response<tf::configure_provider::Response>, Status> {
        let req = req.into_inner();
        let diags = traced(
            "ConfigureProvider",
            self.span("ConfigureProvider", ""),
            self.server.configure(&req.terraform_version, &dynamic_in(req.config)),
        )
        .await;
        Ok(Response::new(tf::configure_provider::Response { diagnostics: diagnostics_out(&diags) }))
    }

    async fn stop_provider(
        &self,
        _req: Request<tf::stop_provider::Request>,
    ) -> Result<Response<tf::stop_provider::Response>, Status> {
        let _g = self.span("StopProvider", "").entered();
        tracing::info!("Stop requested: cancelling waits and retries; requests already sent may finish");
        self.server.stop();
        Ok(Response::new(tf::stop_provider::Response { error: String::new() }))
    }

    async fn validate_resource_config(
        &self,
        req: Request<tf::validate_resource_config::Request>,
    ) -> Result<Response<tf::validate_resource_config::Response>, Status> {
        let req = req.into_inner();
        let diags = traced(
            "ValidateResourceConfig",
            self.span("ValidateResourceConfig", &req.type_name),
            self.server.validate_resource_config(
                &req.type_name,
                &dynamic_in(req.config),
                caps(req.client_capabilities.as_ref()),
            ),
        )
        .await;
        Ok(Response::new(tf::validate_resource_config::Response { diagnostics: diagnostics_out(&diags) }))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<tf::upgrade_resource_state::Request>,
    ) -> Result<Response<tf::upgrade_resource_state::Response>, Status> {
        let req = req.into_inner();
        let raw = req.raw_state.map(|r| r.json).unwrap_or_default();
        let r = traced(
            "UpgradeResourceState",
            self.span("UpgradeResourceState", &req.type_name),
            self.server.upgrade_resource_state(&req.type_name, req.version, &raw),
        )
        .await;
        Ok(Response::new(tf::upgrade_resource_state::Response {
            upgraded_state: r.new_state.map(dynamic_out),
            diagnostics: diagnostics_out(&r.diags),
        }))
    }

    async fn read_resource(
        &self,
        req: Request<tf::read_resource::Request>,
    ) -> Result<Response<tf::read_resource::Response>, Status> {
        // Borrowed, not taken apart: a second copy of the request would live in this future.
        let req = req.get_ref();
        let r = traced(
            "ReadResource",
            self.span("ReadResource", &req.type_name),
            self.server.read_resource(&req.type_name, &dynamic_in(req.current_state.clone()), &req.private),
        )
        .await;
        Ok(Response::new(tf::read_resource::Response {
            new_state: r.new_state.map(dynamic_out),
            diagnostics: diagnostics_out(&r.diags),
            private: r.private,
            ..Default::default()
        }))
    }

    async fn plan_resource_change(
        &self,
        req: Request<tf::plan_resource_change::Request>,
    ) -> Result<Response<tf::plan_resource_change::Response>, Status> {
        // What the handler needs moves into its (boxed) future: kept here, beside the request this
        // future already holds twice (the trait's argument and its binding), it made this future
        // as large as `traced` describes.
        let tf::plan_resource_change::Request {
            type_name, prior_state, proposed_new_state, config, prior_private, ..
        } = req.into_inner();
        let span = self.span("PlanResourceChange", &type_name);
        let handler = async move {
            let (prior, proposed, config) =
                (dynamic_in(prior_state), dynamic_in(proposed_new_state), dynamic_in(config));
            self.server.plan_resource_change(&type_name, &prior, &proposed, &config, &prior_private).await
        };
        let r = traced("PlanResourceChange", span, handler).await;
        Ok(Response::new(tf::plan_resource_change::Response {
            planned_state: r.planned_state.map(dynamic_out),
            requires_replace: r.requires_replace.iter().map(path_out).collect(),
            planned_private: r.planned_private,
            diagnostics: diagnostics_out(&r.diags),
            ..Default::default()
        }))
    }

    async fn apply_resource_change(
        &self,
        req: Request<tf::apply_resource_change::Request>,
    ) -> Result<Response<tf::apply_resource_change::Response>, Status> {
        let req = req.into_inner();
        let r = traced(
            "ApplyResourceChange",
            self.span("ApplyResourceChange", &req.type_name),
            self.server.apply_resource_change(
                &req.type_name,
                &dynamic_in(req.prior_state),
                &dynamic_in(req.planned_state),
                &dynamic_in(req.config),
                &req.planned_private,
            ),
        )
        .await;
        Ok(Response::new(tf::apply_resource_change::Response {
            new_state: r.new_state.map(dynamic_out),
            private: r.private,
            diagnostics: diagnostics_out(&r.diags),
            ..Default::default()
        }))
    }

    async fn import_resource_state(
        &self,
        req: Request<tf::import_resource_state::Request>,
    ) -> Result<Response<tf::import_resource_state::Response>, Status> {
        let req = req.into_inner();
        let (imported, diags) = traced(
            "ImportResourceState",
            self.span("ImportResourceState", &req.type_name),
            self.server.import_resource_state(&req.type_name, &req.id),
        )
        .await;
        Ok(Response::new(tf::import_resource_state::Response {
            imported_resources: imported
                .into_iter()
                .map(|i| tf::import_resource_state::ImportedResource {
                    type_name: i.type_name,
                    state: Some(dynamic_out(i.state)),
                    private: i.private,
                    identity: None,
                })
                .collect(),
            diagnostics: diagnostics_out(&diags),
            deferred: None,
        }))
    }

    async fn move_resource_state(
        &self,
        req: Request<tf::move_resource_state::Request>,
    ) -> Result<Response<tf::move_resource_state::Response>, Status> {
        let req = req.into_inner();
        let source = MoveSource {
            provider_address: req.source_provider_address,
            type_name: req.source_type_name,
            schema_version: req.source_schema_version,
            state_json: req.source_state.map(|r| r.json).unwrap_or_default(),
            private: req.source_private,
        };
        let r = traced(
            "MoveResourceState",
            self.span("MoveResourceState", &req.target_type_name),
            self.server.move_resource_state(&req.target_type_name, &source),
        )
        .await;
        Ok(Response::new(tf::move_resource_state::Response {
            target_state: r.new_state.map(dynamic_out),
            diagnostics: diagnostics_out(&r.diags),
            target_private: r.private,
            target_identity: None,
        }))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<tf::validate_data_resource_config::Request>,
    ) -> Result<Response<tf::validate_data_resource_config::Response>, Status> {
        let req = req.into_inner();
        let diags = traced(
            "ValidateDataResourceConfig",
            self.span("ValidateDataResourceConfig", &req.type_name),
            self.server.validate_data_source_config(&req.type_name, &dynamic_in(req.config)),
        )
        .await;
        Ok(Response::new(tf::validate_data_resource_config::Response { diagnostics: diagnostics_out(&diags) }))
    }

    async fn read_data_source(
        &self,
        req: Request<tf::read_data_source::Request>,
    ) -> Result<Response<tf::read_data_source::Response>, Status> {
        let req = req.into_inner();
        let (state, diags) = traced(
            "ReadDataSource",
            self.span("ReadDataSource", &req.type_name),
            self.server.read_data_source(&req.type_name, &dynamic_in(req.config)),
        )
        .await;
        Ok(Response::new(tf::read_data_source::Response {
            state: state.map(dynamic_out),
            diagnostics: diagnostics_out(&diags),
            deferred: None,
        }))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        req: Request<tf::validate_ephemeral_resource_config::Request>,
    ) -> Result<Response<tf::validate_ephemeral_resource_config::Response>, Status> {
        let req = req.into_inner();
        let diags = traced(
            "ValidateEphemeralResourceConfig",
            self.span("ValidateEphemeralResourceConfig", &req.type_name),
            self.server.validate_ephemeral_config(&req.type_name, &dynamic_in(req.config)),
        )
        .await;
        Ok(Response::new(tf::validate_ephemeral_resource_config::Response { diagnostics: diagnostics_out(&diags) }))
    }

    async fn open_ephemeral_resource(
        &self,
        req: Request<tf::open_ephemeral_resource::Request>,
    ) -> Result<Response<tf::open_ephemeral_resource::Response>, Status> {
        let req = req.into_inner();
        let r = traced(
            "OpenEphemeralResource",
            self.span("OpenEphemeralResource", &req.type_name),
            self.server.open_ephemeral(&req.type_name, &dynamic_in(req.config)),
        )
        .await;
        Ok(Response::new(tf::open_ephemeral_resource::Response {
            diagnostics: diagnostics_out(&r.diags),
            renew_at: r.renew_at.map(timestamp_out),
            result: r.result.map(dynamic_out),
            private: Some(r.private),
            deferred: None,
        }))
    }

    async fn renew_ephemeral_resource(
        &self,
        req: Request<tf::renew_ephemeral_resource::Request>,
    ) -> Result<Response<tf::renew_ephemeral_resource::Response>, Status> {
        let req = req.into_inner();
        let (renew_at, private, diags) = traced(
            "RenewEphemeralResource",
            self.span("RenewEphemeralResource", &req.type_name),
            self.server.renew_ephemeral(&req.type_name, req.private.as_deref().unwrap_or_default()),
        )
        .await;
        Ok(Response::new(tf::renew_ephemeral_resource::Response {
            diagnostics: diagnostics_out(&diags),
            renew_at: renew_at.map(timestamp_out),
            private: Some(private),
        }))
    }

    async fn close_ephemeral_resource(
        &self,
        req: Request<tf::close_ephemeral_resource::Request>,
    ) -> Result<Response<tf::close_ephemeral_resource::Response>, Status> {
        let req = req.into_inner();
        let diags = traced(
            "CloseEphemeralResource",
            self.span("CloseEphemeralResource", &req.type_name),
            self.server.close_ephemeral(&req.type_name, req.private.as_deref().unwrap_or_default()),
        )
        .await;
        Ok(Response::new(tf::close_ephemeral_resource::Response { diagnostics: diagnostics_out(&diags) }))
    }
}
