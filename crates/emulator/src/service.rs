//! The endpoint: configuration, shared state, request dispatch, and the
//! two ways to run it ([`Server`] on its own thread, [`serve`] in the
//! caller's runtime).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde_json::Value;

use crate::faults::{Fault, Faults};
use crate::http::{Background, StartError};
use crate::protocol::{ApiError, CONTENT_TYPE, ErrorKind, TARGET_PREFIX};
use crate::store::{Store, StoreError};

/// The largest request body accepted (WriteRecords of 100 records of 2 KB
/// fits many times over).
const MAX_BODY: usize = 8 * 1024 * 1024;

/// The account id in ARNs.
pub const ACCOUNT_ID: &str = "123456789012";

/// Where batch loads read their objects from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum S3Source {
    /// Real S3 through the AWS default chain (region, credentials).
    #[default]
    Aws,
    /// An S3-compatible server, path-style (`--s3-endpoint URL`).
    Endpoint(String),
}

/// How the emulator runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The region in ARNs and for real S3 (`--region`).
    pub region: String,
    /// `--data-dir`: where the SQLite store lives; `None` keeps everything
    /// in memory.
    pub data_dir: Option<PathBuf>,
    /// Where batch loads read and write S3 objects.
    pub s3: S3Source,
    /// Injected faults.
    pub faults: Faults,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            data_dir: None,
            s3: S3Source::Aws,
            faults: Faults::default(),
        }
    }
}

/// Errors starting the emulator.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// The server thread or runtime could not be started.
    #[error("cannot start the emulator thread: {0}")]
    Runtime(#[source] std::io::Error),
}

/// The shared state of a running emulator.
#[derive(Debug)]
pub struct Emulator {
    config: Config,
    store: Store,
    faults: Mutex<crate::faults::FaultState>,
    address: OnceLock<String>,
    pub(crate) batch: crate::batch::Runner,
}

impl Emulator {
    /// Opens the store and prepares the state.
    pub fn new(config: Config) -> Result<Arc<Self>, EmulatorError> {
        let store = Store::open(config.data_dir.as_deref())?;
        let faults = Mutex::new(crate::faults::FaultState::new(&config.faults));
        Ok(Arc::new(Self {
            batch: crate::batch::Runner::new(&config),
            config,
            store,
            faults,
            address: OnceLock::new(),
        }))
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// `host:port` as DescribeEndpoints returns it.
    pub fn address(&self) -> &str {
        self.address.get().map_or("127.0.0.1", String::as_str)
    }

    pub(crate) fn set_address(&self, addr: SocketAddr) {
        let _ = self.address.set(addr.to_string());
    }

    /// `arn:aws:timestream:<region>:<account>:<resource>`.
    pub(crate) fn arn(&self, resource: &str) -> String {
        format!(
            "arn:aws:timestream:{}:{ACCOUNT_ID}:{resource}",
            self.config.region
        )
    }

    /// The key reported when CreateDatabase has no `KmsKeyId` (the service
    /// reports its own managed key; this stand-in is \[INF\]).
    pub(crate) fn default_kms_key(&self) -> String {
        format!(
            "arn:aws:kms:{}:{ACCOUNT_ID}:alias/aws/timestream",
            self.config.region
        )
    }

    pub(crate) fn fault(&self, operation: &str) -> Option<Fault> {
        self.faults.lock().ok()?.next(operation)
    }

    pub(crate) fn fault_state(&self) -> std::sync::MutexGuard<'_, crate::faults::FaultState> {
        match self.faults.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Runs one operation on a request body.
    pub fn call(self: &Arc<Self>, operation: &str, body: &[u8]) -> Result<Value, ApiError> {
        if let Some(fault) = self.fault(operation) {
            return Err(fault.error());
        }
        use crate::{batch, control, write};
        let op: fn(&Arc<Self>, &[u8]) -> Result<Value, ApiError> = match operation {
            "CreateDatabase" => |e, b| control::create_database(e, b),
            "DescribeDatabase" => |e, b| control::describe_database(e, b),
            "ListDatabases" => |e, b| control::list_databases(e, b),
            "UpdateDatabase" => |e, b| control::update_database(e, b),
            "DeleteDatabase" => |e, b| control::delete_database(e, b),
            "CreateTable" => |e, b| control::create_table(e, b),
            "DescribeTable" => |e, b| control::describe_table(e, b),
            "ListTables" => |e, b| control::list_tables(e, b),
            "UpdateTable" => |e, b| control::update_table(e, b),
            "DeleteTable" => |e, b| control::delete_table(e, b),
            "TagResource" => |e, b| control::tag_resource(e, b),
            "UntagResource" => |e, b| control::untag_resource(e, b),
            "ListTagsForResource" => |e, b| control::list_tags_for_resource(e, b),
            "DescribeEndpoints" => |e, b| control::describe_endpoints(e, b),
            "WriteRecords" => |e, b| write::write_records(e, b),
            "CreateBatchLoadTask" => batch::create_batch_load_task,
            "DescribeBatchLoadTask" => |e, b| batch::describe_batch_load_task(e, b),
            "ListBatchLoadTasks" => |e, b| batch::list_batch_load_tasks(e, b),
            "ResumeBatchLoadTask" => batch::resume_batch_load_task,
            _ => {
                return Err(ApiError::new(
                    ErrorKind::UnknownOperation,
                    format!("Unknown operation `{operation}`"),
                ));
            }
        };
        op(self, body)
    }

    async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let target = req
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let operation = match target
            .as_deref()
            .and_then(|t| t.strip_prefix(TARGET_PREFIX))
        {
            Some(op) if req.method() == http::Method::POST && req.uri().path() == "/" => {
                op.to_owned()
            }
            _ => {
                return error_response(&ApiError::new(
                    ErrorKind::UnknownOperation,
                    "Timestream Write takes `POST /` with `X-Amz-Target: Timestream_20181101.<Operation>`",
                ));
            }
        };
        let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => {
                return error_response(&ApiError::validation(format!(
                    "cannot read the request body (at most {MAX_BODY} bytes): {e}"
                )));
            }
        };
        // Storage calls are short, but a WriteRecords transaction or a
        // task's bookkeeping must not stall the accept loop's worker.
        let emu = Arc::clone(&self);
        let result = tokio::task::spawn_blocking(move || emu.call(&operation, &body)).await;
        match result {
            Ok(Ok(value)) => json_response(StatusCode::OK, &value),
            Ok(Err(err)) => error_response(&err),
            Err(join) => error_response(&ApiError::internal(format!(
                "the operation failed unexpectedly: {join}"
            ))),
        }
    }
}

fn json_response(status: StatusCode, value: &Value) -> Response<Full<Bytes>> {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(CONTENT_TYPE),
    );
    resp
}

fn error_response(err: &ApiError) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(err.kind.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = json_response(status, &err.body());
    if let Ok(v) = http::HeaderValue::from_str(err.kind.name()) {
        resp.headers_mut().insert("x-amzn-errortype", v);
    }
    resp
}

#[derive(Clone)]
struct Handler(Arc<Emulator>);

impl hyper::service::Service<Request<Incoming>> for Handler {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future =
        Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let emu = Arc::clone(&self.0);
        Box::pin(async move { Ok(emu.handle(req).await) })
    }
}

/// Serves the emulator on `listener` inside the current runtime until
/// `shutdown` resolves. Tasks left unfinished by an earlier run (same
/// `--data-dir`) are picked up again.
pub async fn serve(
    emulator: Arc<Emulator>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) {
    if let Ok(addr) = listener.local_addr() {
        emulator.set_address(addr);
    }
    emulator.batch.attach(&emulator);
    crate::http::serve(listener, Handler(Arc::clone(&emulator)), shutdown).await;
    emulator.batch.stop();
    emulator.batch.wait_idle(TASK_GRACE).await;
}

/// How long running batch-load tasks get to reach a point where they can
/// stop (the next batch of records, file or pause) at shutdown.
const TASK_GRACE: Duration = Duration::from_secs(10);

/// An emulator on loopback on its own thread and runtime; stops on drop.
/// Synchronous and asynchronous tests can both use it.
#[derive(Debug)]
pub struct Server {
    background: Background,
    endpoint: String,
    emulator: Arc<Emulator>,
}

impl Server {
    /// Starts on `127.0.0.1` at a free port.
    pub fn start(config: Config) -> Result<Self, EmulatorError> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config)
    }

    /// Starts on `addr` (port 0 picks a free port).
    pub fn start_on(addr: SocketAddr, config: Config) -> Result<Self, EmulatorError> {
        let emulator = Emulator::new(config)?;
        let emu = Arc::clone(&emulator);
        let server = Background::start(
            addr,
            "tsload-emulator",
            Some(Duration::from_secs(5)),
            |listener, stop| serve(emu, listener, stop.wait()),
        )
        .map_err(|e| match e {
            StartError::Bind(addr, source) => EmulatorError::Bind { addr, source },
            StartError::Runtime(source) => EmulatorError::Runtime(source),
        })?;
        emulator.set_address(server.addr());
        Ok(Self {
            endpoint: format!("http://{}", server.addr()),
            background: server,
            emulator,
        })
    }

    /// `http://127.0.0.1:PORT`: the `endpoint_url` for clients.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.background.addr()
    }

    /// The running emulator (its store, its configuration).
    pub fn emulator(&self) -> &Arc<Emulator> {
        &self.emulator
    }
}

/// Seconds since the Unix epoch, with fractions (the wire's timestamps).
pub(crate) fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
