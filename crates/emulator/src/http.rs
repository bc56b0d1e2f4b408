//! The HTTP/1.1 accept loop shared by the Timestream and S3 endpoints.
//!
//! hyper 1 directly (no web framework): both endpoints have a single entry
//! point, and the AWS SDK's client already brings hyper, so this adds no
//! second HTTP stack.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

/// How long in-flight requests may take to finish once shutdown is asked for.
const GRACE: Duration = Duration::from_secs(5);

/// Serves HTTP/1.1 on `listener` until `shutdown` resolves, then stops
/// accepting and lets in-flight requests finish (at most [`GRACE`]).
pub(crate) async fn serve<S, B>(
    listener: TcpListener,
    service: S,
    shutdown: impl Future<Output = ()>,
) where
    S: Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else {
                    // Transient accept errors (EMFILE, reset before accept):
                    // back off briefly instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let conn = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service.clone());
                let watched = graceful.watch(conn);
                tokio::spawn(async move {
                    // Connection errors (client went away) are not ours to report.
                    let _ = watched.await;
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(GRACE, graceful.shutdown()).await;
}
