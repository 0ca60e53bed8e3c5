//! The gRPC services a plugin serves, routed by the service name at the start of each request's
//! path. tonic's own router is built on axum, a web framework the providers have no other use for;
//! routing a handful of fixed services needs only this.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::codegen::http::{Request, Response};
use tonic::server::NamedService;
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};

type BoxedService = BoxCloneSyncService<Request<Body>, Response<Body>, Infallible>;

/// A set of gRPC services, each answering the paths `/<its name>/...`; any other path is answered
/// with the gRPC status `Unimplemented`, as a client expects of an unknown service.
#[derive(Clone, Default)]
pub struct Routes(Arc<Vec<(String, BoxedService)>>);

impl Routes {
    /// No services yet.
    pub fn new() -> Routes {
        Routes::default()
    }

    /// Serve `svc` under its gRPC service name.
    pub fn add<S>(mut self, svc: S) -> Routes
    where
        S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        Arc::make_mut(&mut self.0).push((format!("/{}/", S::NAME), BoxCloneSyncService::new(svc)));
        self
    }
}

impl Service<Request<Body>> for Routes {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Each call readies the service it is routed to (`oneshot`).
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let path = req.uri().path();
        match self.0.iter().find(|(prefix, _)| path.starts_with(prefix.as_str())) {
            Some((_, svc)) => Box::pin(svc.clone().oneshot(req)),
            None => {
                let status = tonic::Status::unimplemented(format!("no service serves {path}"));
                Box::pin(std::future::ready(Ok(status.into_http())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_path_no_service_serves_is_unimplemented() {
        let (_, health) = tonic_health::server::health_reporter();
        let routes = Routes::new().add(health);
        let req = Request::builder().uri("/tfplugin6.Provider/GetProviderSchema").body(Body::empty()).unwrap();
        let resp = routes.oneshot(req).await.unwrap();
        assert_eq!(resp.headers()["grpc-status"], (tonic::Code::Unimplemented as i32).to_string());
    }
}
