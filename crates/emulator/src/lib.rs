//! tsload-emulator: a local Amazon Timestream for LiveAnalytics **Write**
//! endpoint that really runs batch loads, and an S3-compatible server for
//! tests and offline rehearsals. `tsload emulate` is its command line.
//!
//! No other emulator runs a batch load (moto and LocalStack have no
//! batch-load operations), and the service takes no new customers, so this
//! is where users rehearse an import and where tsload's own end-to-end tests
//! run.
//!
//! # Design
//!
//! - **Protocol** (spec §7): awsJson1_0 over HTTP/1.1, `POST /` with
//!   `X-Amz-Target: Timestream_20181101.<Operation>`; all 19 operations of
//!   the API. Errors are `{"__type": "com.amazonaws.timestream.v20181101#<Name>",
//!   "message": …}` plus the `x-amzn-ErrorType` header, with the service's
//!   HTTP codes (400, 500, 419 for `RejectedRecordsException`, 404
//!   `UnknownOperationException` for anything that is not an operation).
//!   Timestamps are epoch seconds. Requests are checked against the service
//!   model's constraints (§7.4), and a `ValidationException` names the
//!   member in the service's wording (`Value … at '<member>' failed to
//!   satisfy constraint`).
//! - **Signatures are not checked.** Any access key and secret work, the
//!   `Authorization` header is ignored, and there is no IAM: every caller
//!   may do everything. Serve on loopback only (the default).
//! - **One account, one region**: ARNs are
//!   `arn:aws:timestream:<--region>:123456789012:…`.
//! - **DescribeEndpoints** returns the emulator's own `host:port`. Clients
//!   must still not use endpoint discovery against it: the SDKs (Rust,
//!   botocore) build `https://<Address>` from the answer, and the emulator
//!   speaks plain HTTP. Point clients at it with an explicit endpoint URL
//!   and discovery off (see the README).
//! - **HTTP** is hyper 1 directly: both endpoints have a single entry point,
//!   and the AWS SDK already brings hyper, so there is no second HTTP stack
//!   and no web framework. Each request runs on the blocking pool against
//!   the store.
//! - **Batch loads run for real** ([`batch`]): a task lists every object
//!   under its S3 prefix (an S3-compatible server with `--s3-endpoint`,
//!   path-style, or real S3 through the AWS default chain), checks the
//!   quotas of §4.1, and streams each object through the engine of `tsload
//!   validate` (`tsload_runner::validate::Pipeline`: the tsload-csv reader
//!   and the tsload-mapper plan). The records it builds are stored with the
//!   upsert rule of §5 under the task's `RecordVersion`; the
//!   `ProgressReport` grows while a file is read; the task ends `SUCCEEDED`,
//!   or `FAILED` with the error report of §6.1 written under the report
//!   bucket and prefix. Rows the engine rejects and records the store
//!   refuses (version or type conflicts) both appear in the report with
//!   their `lineRanges` (1-based physical lines, header = line 1).
//! - **Durable** ([`store`]): one SQLite database (rusqlite, bundled SQLite),
//!   in memory by default or `<--data-dir>/timestream.sqlite3`. A restart on
//!   the same directory keeps databases, tables, tags, tasks (with their
//!   progress and `ClientToken`s) and records. Tasks save a checkpoint at
//!   every file boundary; tasks that were `CREATED`, `IN_PROGRESS` or
//!   `PENDING_RESUME` when the emulator stopped (or died) continue from
//!   their last checkpoint on the next start, so no counter counts twice,
//!   and the records of a file read again are stored again as no-ops.
//! - **Clean shutdown**: the server stops accepting, in-flight requests get
//!   a few seconds, and running tasks stop at their next step (a batch of
//!   records, a file, a pause) before the store is closed.
//! - **Fault injection** ([`Faults`]), deterministic with a seed: a share of
//!   calls answered `ThrottlingException` (400) or `InternalServerException`
//!   (500) before the operation runs (so a retry is safe; DescribeEndpoints
//!   is never faulted); tasks stopped once in `PROGRESS_STOPPED` after N
//!   files with a `ResumableUntil` (ResumeBatchLoadTask continues them);
//!   slow tasks (a pause before each task and after each file).
//!
//! # What is inferred
//!
//! The service documents little of batch load's behaviour. Where the
//! emulator has to choose, it follows the spec's \[INF\] entries, and its
//! messages say `[INF]` where a client could take the choice for the
//! service's:
//!
//! - the error report's key, `<prefix>/<TaskId>/error-report.json`, and
//!   that a report is written only for a `FAILED` task;
//! - the reasons of rejected records other than the documented window text
//!   ("The record timestamp is outside the time range of the data ingestion
//!   window.");
//! - which statuses count towards the 5-per-table and 10-per-account
//!   active-task quotas (`CREATED`, `IN_PROGRESS`, `PENDING_RESUME`), and
//!   that going over is a `ServiceQuotaExceededException`;
//! - that a task needs a data model: the service model makes
//!   `DataModelConfiguration` optional, CreateBatchLoadTask without one (or
//!   with an empty one) is a `ValidationException` here;
//! - that a report bucket that does not exist (S3 `NoSuchBucket`) fails the
//!   task before it reads any data, with an `ErrorMessage` and no report
//!   (spec §2.4 counts report bucket issues as task-level errors);
//! - `RecordVersion ≥ 1`; resuming anything but a `PROGRESS_STOPPED` task,
//!   or after its `ResumableUntil` (7 days by default), is a
//!   `ValidationException`;
//! - duplicate keys within a load: the first record stored wins, an
//!   identical one is accepted as a no-op, a different one with the same
//!   version counts in `RecordIngestionFailures`. Files are processed one
//!   after the other in key order, so results here are deterministic; the
//!   service processes files in parallel;
//! - sticky measure types (the first write fixes a measure's type \[3P\]),
//!   and an upsert of a multi-measure record replacing the whole row;
//! - the meanings of the `ProgressReport` counters, and `BytesMetered` (the
//!   engine's estimate; do not rely on it);
//! - the default `KmsKeyId` of a database, and WriteRecords storing the
//!   valid records of a request whose other records are rejected.
//!
//! Not emulated: Timestream Query, KMS encryption of reports, IAM, and the
//! magnetic store's partition limits.
//!
//! # Storage layout
//!
//! `<--data-dir>/timestream.sqlite3`, in WAL mode (`-wal` and `-shm` files
//! sit beside it while it runs). `timestream.lock` beside it is held
//! locked by the running emulator, so a second one on the same directory
//! is refused instead of running the same tasks twice. The layout version
//! is SQLite's `user_version`; a file of another version is refused.
//! Tables:
//!
//! | table | key | contents |
//! |---|---|---|
//! | `databases` | `database_name` | ARN, KMS key, times |
//! | `tables` | `database_name, table_name` | ARN, status; `retention`, `magnetic_store_write_properties` and `schema` as the JSON the API echoes |
//! | `tags` | `arn, key` | tag values |
//! | `batch_load_tasks` | `task_id` (`seq` orders listings) | status, the request as JSON with defaults filled in, `progress_report` JSON, `error_message`, `files_done`, `checkpoint`, `file_errors` |
//! | `records` | `database_name, table_name, dimensions, time_ns, measure_name` | `measure_value_type`; `measure_value` (text) for a single-measure record, or `measures` (a JSON object of typed values) for `MULTI`; `version` |
//! | `measure_types` | `database_name, table_name, column_name` | the type each measure was first written with |
//!
//! `dimensions` is a JSON object with sorted names, so equal dimension sets
//! are equal text. The view `records_readable` adds an ISO-8601 `time`.
//!
//! # Querying ingested records offline
//!
//! The file is a plain SQLite database: read it with the `sqlite3` shell
//! (or any SQLite client) while the emulator runs or after it stops. Only
//! read: writes behind the emulator's back are not supported.
//!
//! ```text
//! sqlite3 DIR/timestream.sqlite3 \
//!   "select time, dimensions, measure_name, measures, version
//!    from records_readable
//!    where database_name = 'rehearsal' and table_name = 'hosts'
//!    order by time limit 10"
//!
//! # one attribute of a multi-measure record, per dimension value
//! sqlite3 DIR/timestream.sqlite3 \
//!   "select json_extract(dimensions, '$.hostname') as host,
//!           avg(json_extract(measures, '$.cpu_utilization')) as cpu
//!    from records_readable where table_name = 'hosts' group by host"
//!
//! # how each task ended
//! sqlite3 DIR/timestream.sqlite3 \
//!   "select task_id, task_status, progress_report, error_message from batch_load_tasks"
//! ```
//!
//! # Use from Rust
//!
//! [`Server`] runs the emulator on loopback on its own thread (it stops when
//! dropped); [`s3::S3Server`] does the same for a directory served as S3.
//! Clients use an explicit endpoint URL and no endpoint discovery:
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use aws_sdk_timestreamwrite as tsw;
//!
//! let server = tsload_emulator::Server::start(tsload_emulator::Config::default())?;
//! let config = tsw::Config::builder()
//!     .behavior_version(tsw::config::BehaviorVersion::latest())
//!     .region(tsw::config::Region::new("us-east-1"))
//!     .endpoint_url(server.endpoint()) // http://127.0.0.1:PORT
//!     .credentials_provider(tsw::config::Credentials::new("any", "any", None, None, "local"))
//!     .build();
//! // `Client::from_conf`, without `with_endpoint_discovery_enabled()`.
//! let client = tsw::Client::from_conf(config);
//! tokio::runtime::Runtime::new()?.block_on(async {
//!     client.create_database().database_name("demo").send().await
//! })?;
//! let n: i64 = server
//!     .emulator()
//!     .store()
//!     .read(|c| c.query_row("select count(*) from databases", [], |r| r.get(0)))?;
//! assert_eq!(n, 1);
//! # Ok(()) }
//! ```

pub mod batch;
mod control;
pub mod faults;
mod http;
pub mod protocol;
pub mod s3;
pub mod service;
pub mod store;
pub mod write;

pub use faults::Faults;
pub use service::{Config, Emulator, EmulatorError, S3Source, Server, serve};
