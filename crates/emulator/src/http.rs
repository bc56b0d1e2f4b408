//! The HTTP/1.1 accept loop shared by the Timestream and S3 endpoints.
//!
//! hyper 1 directly (no web framework): both endpoints have a single entry
//! point, and the AWS SDK's client already brings hyper, so this adds no
//! second HTTP stack.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
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

/// Why a [`Background`] server did not start.
#[derive(Debug)]
pub(crate) enum StartError {
    /// The address could not be bound (or made non-blocking).
    Bind(SocketAddr, std::io::Error),
    /// The thread or its runtime could not be started.
    Runtime(std::io::Error),
}

/// A server on loopback (or any address) on its own thread and tokio
/// runtime, so that synchronous and asynchronous callers can both use it.
/// Dropping it asks the server to stop and waits for its thread.
#[derive(Debug)]
pub(crate) struct Background {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    /// Binds `addr` (port 0 picks a free port), then runs
    /// `run(listener, shutdown)` on a thread named `name`. At shutdown the
    /// runtime's remaining tasks get `linger` (none: they are dropped).
    pub(crate) fn start<F, Fut>(
        addr: SocketAddr,
        name: &str,
        linger: Option<Duration>,
        run: F,
    ) -> Result<Self, StartError>
    where
        F: FnOnce(TcpListener, ShutdownSignal) -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        let bind = |source| StartError::Bind(addr, source);
        let std_listener = std::net::TcpListener::bind(addr).map_err(bind)?;
        let addr = std_listener.local_addr().map_err(bind)?;
        std_listener.set_nonblocking(true).map_err(bind)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(name)
            .enable_all()
            .build()
            .map_err(StartError::Runtime)?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = TcpListener::from_std(std_listener) else {
                        return;
                    };
                    run(listener, ShutdownSignal(stopped)).await;
                });
                match linger {
                    Some(timeout) => runtime.shutdown_timeout(timeout),
                    None => runtime.shutdown_background(),
                }
            })
            .map_err(StartError::Runtime)?;
        Ok(Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The bound address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Resolves when the [`Background`] server is asked to stop (dropped).
#[derive(Debug)]
pub(crate) struct ShutdownSignal(tokio::sync::oneshot::Receiver<()>);

impl ShutdownSignal {
    /// Waits for the stop.
    pub(crate) async fn wait(self) {
        let _ = self.0.await;
    }
}
