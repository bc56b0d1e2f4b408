//! Batch-load tasks: the four API operations, and the runner that executes
//! a task for real.
//!
//! A task reads every object under its S3 prefix, checks the quotas of spec
//! §4.1, runs each object through tsload's validation engine
//! (`tsload_runner::validate::Pipeline`, the engine of `tsload validate`),
//! stores the records the engine builds (the upsert rule of §5 with the
//! task's `RecordVersion`), keeps a live `ProgressReport`, and ends in
//! `SUCCEEDED`, or in `FAILED` with the error report of §6.1 written under
//! the report bucket and prefix.
//!
//! Lifecycle (spec §6.3): `CREATED → IN_PROGRESS → SUCCEEDED | FAILED`;
//! with the stop fault, `IN_PROGRESS → PROGRESS_STOPPED`, and
//! ResumeBatchLoadTask moves it to `PENDING_RESUME → IN_PROGRESS`, continuing
//! with the first file not yet done. Tasks left unfinished when the emulator
//! stopped are picked up again when it starts on the same `--data-dir`.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak, mpsc};

use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use serde_json::{Value, json};
use tsload_model::wire::{
    self, BatchLoadStatus, BatchLoadTaskDescription, CreateBatchLoadTaskRequest, ProgressReport,
};

use crate::control::{decode_token, encode_token, require_table};
use crate::protocol::{ApiError, Checks, ErrorKind, Pattern, decode};
use crate::service::{Config, Emulator, S3Source, now};
use crate::store::TableRow;
use crate::write::{InRecord, Stored, TableLimits, ingest, now_ns};

/// Active tasks allowed per table \[DOC: LIMITS\].
const ACTIVE_PER_TABLE: i64 = 5;
/// Active tasks allowed per account \[DOC: LIMITS\].
const ACTIVE_PER_ACCOUNT: i64 = 10;
/// Statuses that count as active [INF: spec §4.1 / §10 q15; users count
/// CREATED and IN_PROGRESS (3P); PENDING_RESUME is about to run again].
const ACTIVE: &str = "'CREATED', 'IN_PROGRESS', 'PENDING_RESUME'";
/// `PageLimit` of ListBatchLoadTasks \[MODEL: 1..100\].
const LIST_LIMIT: i64 = 100;
/// Records stored per transaction while a task runs.
const INGEST_BATCH: usize = 2000;

// ------------------------------------------------------------------ the API

fn check_bucket(c: &mut Checks, member: &str, v: Option<&String>) {
    c.length(member, v.map(String::as_str), 3, Some(63));
    c.pattern(member, v.map(String::as_str), Pattern::BucketName);
}

fn check_key(c: &mut Checks, member: &str, v: Option<&String>, max: usize) {
    c.length(member, v.map(String::as_str), 1, Some(max));
    c.pattern(member, v.map(String::as_str), Pattern::ObjectKey);
}

/// The model's constraints on CreateBatchLoadTask (spec §7.4 \[MODEL\]), plus
/// `RecordVersion ≥ 1` \[INF\].
fn check_create(req: &CreateBatchLoadTaskRequest) -> Result<(), ApiError> {
    let mut c = Checks::new();
    c.length("ClientToken", req.client_token.as_deref(), 1, Some(64));
    for (member, v) in [
        ("TargetDatabaseName", &req.target_database_name),
        ("TargetTableName", &req.target_table_name),
    ] {
        c.required(member, v.as_ref());
        c.pattern(member, v.as_deref(), Pattern::ResourceName);
    }
    c.required(
        "DataSourceConfiguration",
        req.data_source_configuration.as_ref(),
    );
    if let Some(ds) = &req.data_source_configuration {
        let p = "DataSourceConfiguration";
        c.required(
            &format!("{p}.DataSourceS3Configuration"),
            ds.data_source_s3_configuration.as_ref(),
        );
        if let Some(s3) = &ds.data_source_s3_configuration {
            let q = format!("{p}.DataSourceS3Configuration");
            c.required(&format!("{q}.BucketName"), s3.bucket_name.as_ref());
            check_bucket(&mut c, &format!("{q}.BucketName"), s3.bucket_name.as_ref());
            check_key(
                &mut c,
                &format!("{q}.ObjectKeyPrefix"),
                s3.object_key_prefix.as_ref(),
                1024,
            );
        }
        c.required(&format!("{p}.DataFormat"), ds.data_format.as_ref());
        c.one_of(
            &format!("{p}.DataFormat"),
            ds.data_format.as_ref().map(wire::DataFormat::as_str),
            wire::DataFormat::VALUES,
        );
        if let Some(csv) = &ds.csv_configuration {
            let q = format!("{p}.CsvConfiguration");
            for (m, v) in [
                ("ColumnSeparator", &csv.column_separator),
                ("EscapeChar", &csv.escape_char),
                ("QuoteChar", &csv.quote_char),
            ] {
                c.length(&format!("{q}.{m}"), v.as_deref(), 1, Some(1));
            }
            c.length(
                &format!("{q}.NullValue"),
                csv.null_value.as_deref(),
                1,
                Some(256),
            );
        }
    }
    c.required("ReportConfiguration", req.report_configuration.as_ref());
    if let Some(r) = report_location(req) {
        let q = "ReportConfiguration.ReportS3Configuration";
        c.required(&format!("{q}.BucketName"), r.bucket_name.as_ref());
        check_bucket(&mut c, &format!("{q}.BucketName"), r.bucket_name.as_ref());
        check_key(
            &mut c,
            &format!("{q}.ObjectKeyPrefix"),
            r.object_key_prefix.as_ref(),
            928,
        );
        c.one_of(
            &format!("{q}.EncryptionOption"),
            r.encryption_option
                .as_ref()
                .map(wire::EncryptionOption::as_str),
            wire::EncryptionOption::VALUES,
        );
        c.length(
            &format!("{q}.KmsKeyId"),
            r.kms_key_id.as_deref(),
            1,
            Some(2048),
        );
    }
    if let Some(m) = req.data_model_configuration.as_ref() {
        if let Some(s3) = &m.data_model_s3_configuration {
            let q = "DataModelConfiguration.DataModelS3Configuration";
            check_bucket(&mut c, &format!("{q}.BucketName"), s3.bucket_name.as_ref());
            check_key(
                &mut c,
                &format!("{q}.ObjectKey"),
                s3.object_key.as_ref(),
                1024,
            );
        }
        if let Some(dm) = &m.data_model {
            let q = "DataModelConfiguration.DataModel";
            c.required(
                &format!("{q}.DimensionMappings"),
                dm.dimension_mappings.as_ref(),
            );
            c.count(
                &format!("{q}.DimensionMappings"),
                dm.dimension_mappings.as_ref().map(Vec::len),
                1,
                None,
            );
            c.one_of(
                &format!("{q}.TimeUnit"),
                dm.time_unit.as_ref().map(wire::TimeUnit::as_str),
                wire::TimeUnit::VALUES,
            );
        }
    }
    if let Some(v) = req.record_version
        && v < 1
    {
        c.fail(format!(
            "Value '{v}' at 'RecordVersion' failed to satisfy constraint: Member must have value greater than or equal to 1 [INF]"
        ));
    }
    c.finish()?;
    let model = req.data_model_configuration.as_ref();
    if model.is_some_and(|m| m.data_model.is_some() || m.data_model_s3_configuration.is_some()) {
        Ok(())
    } else {
        Err(ApiError::validation(no_data_model(model)))
    }
}

/// Why a task without a data model is refused. The service model makes
/// `DataModelConfiguration` and both its members optional (spec §1.1
/// \[MODEL\]); that one of them is needed is an inference (spec §1.5 V1
/// \[INF\], tsload's rule T201), and the message says so.
fn no_data_model(config: Option<&wire::DataModelConfiguration>) -> String {
    let (what, fix) = match config {
        None => (
            "The request has no DataModelConfiguration",
            "add one with a DataModel, or with a DataModelS3Configuration pointing at one",
        ),
        Some(_) => (
            "DataModelConfiguration has neither a DataModel nor a DataModelS3Configuration",
            "add a DataModel, or a DataModelS3Configuration pointing at one",
        ),
    };
    format!(
        "{what}: {fix}, to say how the CSV columns map to time, dimensions and measures. The service model makes the data model optional, but what the service does without one is undocumented; requiring one is the emulator's inference [INF]"
    )
}

/// CreateBatchLoadTask.
pub(crate) fn create_batch_load_task(emu: &Arc<Emulator>, body: &[u8]) -> Result<Value, ApiError> {
    let req: CreateBatchLoadTaskRequest = decode(body)?;
    check_create(&req)?;
    // What DescribeBatchLoadTask echoes: the request with the defaults of
    // spec §1.4 written out [EX].
    let described = tsload_model::effective::request_with_defaults(&req)
        .map_err(|e| ApiError::validation(format!("The data model is not valid: {}", e.0)))?;
    let db = req.target_database_name.clone().unwrap_or_default();
    let table = req.target_table_name.clone().unwrap_or_default();
    let task_id = emu.fault_state().task_id();
    let created = emu.store().with(|conn| {
        let tx = conn.transaction()?;
        if let Some(token) = &req.client_token {
            // Same ClientToken → same TaskId (idempotency, spec §7.1 [MODEL]).
            let existing: Option<String> = tx
                .query_row(
                    "SELECT task_id FROM batch_load_tasks WHERE client_token = ?1",
                    [token],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = existing {
                return Ok((id, false));
            }
        }
        require_table(&tx, &db, &table)?;
        let per_table: i64 = tx.query_row(
            &format!(
                "SELECT count(*) FROM batch_load_tasks WHERE database_name = ?1 AND table_name = ?2
                 AND task_status IN ({ACTIVE})"
            ),
            params![db, table],
            |r| r.get(0),
        )?;
        let per_account: i64 = tx.query_row(
            &format!("SELECT count(*) FROM batch_load_tasks WHERE task_status IN ({ACTIVE})"),
            [],
            |r| r.get(0),
        )?;
        if per_table >= ACTIVE_PER_TABLE || per_account >= ACTIVE_PER_ACCOUNT {
            // The service "will throttle new batch load tasks" [DOC: LIMITS];
            // how it answers is undocumented, ServiceQuotaExceeded is [INF].
            return Err(ApiError::new(
                ErrorKind::ServiceQuotaExceeded,
                format!(
                    "Too many active batch load tasks: {per_table} on table {db}.{table} (at most {ACTIVE_PER_TABLE}) and {per_account} in the account (at most {ACTIVE_PER_ACCOUNT}); active means CREATED, IN_PROGRESS or PENDING_RESUME [INF]"
                ),
            ));
        }
        let t = now();
        let request_json = serde_json::to_string(&described)
            .map_err(|e| ApiError::internal(format!("cannot store the task: {e}")))?;
        tx.execute(
            "INSERT INTO batch_load_tasks (task_id, client_token, database_name, table_name, task_status,
                 request, progress_report, record_version, creation_time, last_updated_time)
             VALUES (?1, ?2, ?3, ?4, 'CREATED', ?5, ?6, ?7, ?8, ?8)",
            params![
                task_id,
                req.client_token,
                db,
                table,
                request_json,
                serde_json::to_string(&ProgressReport::default()).unwrap_or_default(),
                described.record_version.unwrap_or(1),
                t
            ],
        )?;
        tx.commit()?;
        Ok((task_id.clone(), true))
    })?;
    let (id, fresh) = created;
    if fresh {
        emu.batch.launch(&id);
    }
    Ok(json!({ "TaskId": id }))
}

/// A task row.
#[derive(Debug, Clone)]
struct TaskRow {
    seq: i64,
    task_id: String,
    database: String,
    table: String,
    status: String,
    request: CreateBatchLoadTaskRequest,
    progress: ProgressReport,
    error_message: Option<String>,
    record_version: i64,
    creation_time: f64,
    last_updated_time: f64,
    resumable_until: Option<f64>,
    files_done: i64,
    stopped_once: bool,
    /// The counters at the last file boundary (`None` before the first).
    checkpoint: Option<ProgressReport>,
}

const TASK_COLUMNS: &str = "seq, task_id, database_name, table_name, task_status, request, progress_report,
    error_message, record_version, creation_time, last_updated_time, resumable_until, files_done, stopped_once, checkpoint";

impl TaskRow {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let json_err = |i: usize, e: serde_json::Error| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
        };
        let request: String = row.get(5)?;
        let progress: String = row.get(6)?;
        Ok(Self {
            seq: row.get(0)?,
            task_id: row.get(1)?,
            database: row.get(2)?,
            table: row.get(3)?,
            status: row.get(4)?,
            request: serde_json::from_str(&request).map_err(|e| json_err(5, e))?,
            progress: serde_json::from_str(&progress).map_err(|e| json_err(6, e))?,
            error_message: row.get(7)?,
            record_version: row.get(8)?,
            creation_time: row.get(9)?,
            last_updated_time: row.get(10)?,
            resumable_until: row.get(11)?,
            files_done: row.get(12)?,
            stopped_once: row.get::<_, i64>(13)? != 0,
            checkpoint: row
                .get::<_, Option<String>>(14)?
                .map(|t| serde_json::from_str(&t).map_err(|e| json_err(14, e)))
                .transpose()?,
        })
    }

    fn get(conn: &Connection, id: &str) -> rusqlite::Result<Option<Self>> {
        conn.query_row(
            &format!("SELECT {TASK_COLUMNS} FROM batch_load_tasks WHERE task_id = ?1"),
            [id],
            Self::from_row,
        )
        .optional()
    }

    fn description(&self) -> BatchLoadTaskDescription {
        BatchLoadTaskDescription {
            task_id: Some(self.task_id.clone()),
            error_message: self.error_message.clone(),
            data_source_configuration: self.request.data_source_configuration.clone(),
            progress_report: Some(self.progress),
            report_configuration: self.request.report_configuration.clone(),
            data_model_configuration: self.request.data_model_configuration.clone(),
            target_database_name: Some(self.database.clone()),
            target_table_name: Some(self.table.clone()),
            task_status: Some(BatchLoadStatus::from(self.status.clone())),
            record_version: Some(self.record_version),
            creation_time: Some(self.creation_time),
            last_updated_time: Some(self.last_updated_time),
            resumable_until: self.resumable_until,
        }
    }

    fn summary(&self) -> Value {
        let mut v = json!({
            "TaskId": self.task_id,
            "TaskStatus": self.status,
            "DatabaseName": self.database,
            "TableName": self.table,
            "CreationTime": self.creation_time,
            "LastUpdatedTime": self.last_updated_time,
        });
        if let Some(t) = self.resumable_until {
            v["ResumableUntil"] = json!(t);
        }
        v
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TaskRef {
    task_id: Option<String>,
}

fn task_ref(body: &[u8]) -> Result<String, ApiError> {
    let req: TaskRef = decode(body)?;
    let mut c = Checks::new();
    c.required("TaskId", req.task_id.as_ref());
    c.length("TaskId", req.task_id.as_deref(), 3, Some(32));
    c.pattern("TaskId", req.task_id.as_deref(), Pattern::TaskId);
    c.finish()?;
    Ok(req.task_id.unwrap_or_default())
}

fn require_task(conn: &Connection, id: &str) -> Result<TaskRow, ApiError> {
    TaskRow::get(conn, id)?
        .ok_or_else(|| ApiError::not_found(format!("The batch load task {id} does not exist.")))
}

/// DescribeBatchLoadTask.
pub(crate) fn describe_batch_load_task(emu: &Emulator, body: &[u8]) -> Result<Value, ApiError> {
    let id = task_ref(body)?;
    emu.store().with(|conn| {
        let task = require_task(conn, &id)?;
        let d = serde_json::to_value(task.description())
            .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(json!({ "BatchLoadTaskDescription": d }))
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListTasks {
    next_token: Option<String>,
    max_results: Option<i64>,
    task_status: Option<String>,
}

/// ListBatchLoadTasks, oldest first.
pub(crate) fn list_batch_load_tasks(emu: &Emulator, body: &[u8]) -> Result<Value, ApiError> {
    let req: ListTasks = decode(body)?;
    let mut c = Checks::new();
    c.range("MaxResults", req.max_results, 1, Some(LIST_LIMIT));
    c.one_of(
        "TaskStatus",
        req.task_status.as_deref(),
        BatchLoadStatus::VALUES,
    );
    c.finish()?;
    let after: i64 = match decode_token(req.next_token.as_deref())? {
        Some(t) => t
            .parse()
            .map_err(|_| ApiError::validation("The NextToken is not valid."))?,
        None => 0,
    };
    let limit = req.max_results.unwrap_or(LIST_LIMIT);
    emu.store().with(|conn| {
        let mut stmt = conn.prepare(&format!(
            "SELECT {TASK_COLUMNS} FROM batch_load_tasks
             WHERE seq > ?1 AND (?2 IS NULL OR task_status = ?2) ORDER BY seq LIMIT ?3"
        ))?;
        let rows = stmt
            .query_map(
                params![after, req.task_status, limit + 1],
                TaskRow::from_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let more = rows.len() as i64 > limit;
        let page = &rows[..rows.len().min(limit as usize)];
        let mut resp =
            json!({ "BatchLoadTasks": page.iter().map(TaskRow::summary).collect::<Vec<_>>() });
        if more && let Some(last) = page.last() {
            resp["NextToken"] = json!(encode_token(&last.seq.to_string()));
        }
        Ok(resp)
    })
}

/// ResumeBatchLoadTask: only a `PROGRESS_STOPPED` task before its
/// `ResumableUntil` (ValidationException otherwise \[INF\]).
pub(crate) fn resume_batch_load_task(emu: &Arc<Emulator>, body: &[u8]) -> Result<Value, ApiError> {
    let id = task_ref(body)?;
    emu.store().with(|conn| {
        let task = require_task(conn, &id)?;
        if task.status != "PROGRESS_STOPPED" {
            return Err(ApiError::validation(format!(
                "The batch load task {id} is {} and cannot be resumed; only PROGRESS_STOPPED tasks can.",
                task.status
            )));
        }
        if task.resumable_until.is_some_and(|until| now() > until) {
            return Err(ApiError::validation(format!(
                "The batch load task {id} can no longer be resumed: its ResumableUntil has passed."
            )));
        }
        conn.execute(
            "UPDATE batch_load_tasks SET task_status = 'PENDING_RESUME', resumable_until = NULL,
                 last_updated_time = ?2 WHERE task_id = ?1",
            params![id, now()],
        )?;
        Ok(())
    })?;
    emu.batch.launch(&id);
    Ok(json!({}))
}

// --------------------------------------------------------------- the runner

/// Runs tasks in the background, on the runtime the emulator serves from.
#[derive(Debug)]
pub(crate) struct Runner {
    state: Mutex<RunnerState>,
    stopping: Arc<AtomicBool>,
}

#[derive(Debug, Default)]
struct RunnerState {
    emulator: Option<Weak<Emulator>>,
    handle: Option<tokio::runtime::Handle>,
    running: HashSet<String>,
}

impl Runner {
    pub(crate) fn new(_config: &Config) -> Self {
        Self {
            state: Mutex::new(RunnerState::default()),
            stopping: Arc::new(AtomicBool::new(false)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RunnerState> {
        match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Binds the runner to the serving runtime and picks up tasks an earlier
    /// run left in CREATED, IN_PROGRESS or PENDING_RESUME.
    pub(crate) fn attach(&self, emu: &Arc<Emulator>) {
        {
            let mut s = self.lock();
            s.emulator = Some(Arc::downgrade(emu));
            s.handle = tokio::runtime::Handle::try_current().ok();
        }
        self.stopping.store(false, Ordering::SeqCst);
        let pending: Vec<String> = emu
            .store()
            .with(|conn| {
                let mut stmt = conn.prepare(&format!(
                    "SELECT task_id FROM batch_load_tasks WHERE task_status IN ({ACTIVE}) ORDER BY seq"
                ))?;
                let ids = stmt
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()?;
                Ok(ids)
            })
            .unwrap_or_default();
        for id in pending {
            self.launch(&id);
        }
    }

    /// Asks running tasks to stop at their next step (shutdown). They stay
    /// IN_PROGRESS in the store and continue on the next start.
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Waits (at most `limit`) until no task runs, so that none writes to
    /// the store after the emulator has stopped. Tasks notice [`Self::stop`]
    /// between files, within their pauses, and at their next batch of
    /// records; S3 calls they make need the runtime, which is still up.
    pub(crate) async fn wait_idle(&self, limit: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if self.lock().running.is_empty() {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Starts running `task_id` in the background (once at a time).
    pub(crate) fn launch(&self, task_id: &str) {
        let mut s = self.lock();
        let (Some(emu), Some(handle)) = (
            s.emulator.as_ref().and_then(Weak::upgrade),
            s.handle.clone(),
        ) else {
            return;
        };
        if !s.running.insert(task_id.to_owned()) {
            return;
        }
        let id = task_id.to_owned();
        let stopping = Arc::clone(&self.stopping);
        handle.spawn_blocking(move || {
            let result = run_task(&emu, &id, &stopping);
            if let Err(e) = result {
                fail_task(
                    &emu,
                    &id,
                    &format!("The emulator could not run the task: {}", e.message),
                );
            }
            emu.batch.lock().running.remove(&id);
        });
    }
}

fn set_status(emu: &Emulator, id: &str, status: &str) -> Result<(), ApiError> {
    emu.store().with(|conn| {
        conn.execute(
            "UPDATE batch_load_tasks SET task_status = ?2, last_updated_time = ?3 WHERE task_id = ?1",
            params![id, status, now()],
        )?;
        Ok(())
    })
}

/// Saves the live counters (within a file, or at the end).
fn save_progress(emu: &Emulator, id: &str, p: &ProgressReport) -> Result<(), ApiError> {
    let text = serde_json::to_string(p).unwrap_or_default();
    emu.store().with(|conn| {
        conn.execute(
            "UPDATE batch_load_tasks SET progress_report = ?2, last_updated_time = ?3
             WHERE task_id = ?1",
            params![id, text, now()],
        )?;
        Ok(())
    })
}

fn fail_task(emu: &Emulator, id: &str, message: &str) {
    let message: String = message.chars().take(2048).collect();
    let _ = emu.store().with(|conn| {
        conn.execute(
            "UPDATE batch_load_tasks SET task_status = 'FAILED', error_message = ?2, last_updated_time = ?3
             WHERE task_id = ?1",
            params![id, message, now()],
        )?;
        Ok(())
    });
}

/// Waits `d` (the slow-progress fault), in short steps so a shutdown is
/// not held up; `false` when the emulator is shutting down.
fn pause(d: std::time::Duration, stopping: &AtomicBool) -> bool {
    const STEP: std::time::Duration = std::time::Duration::from_millis(20);
    let until = std::time::Instant::now() + d;
    loop {
        if stopping.load(Ordering::SeqCst) {
            return false;
        }
        let now = std::time::Instant::now();
        if now >= until {
            return true;
        }
        std::thread::sleep(STEP.min(until - now));
    }
}

/// Lists and reads S3 objects for a task (blocking, on the serving runtime).
struct TaskS3 {
    handle: tokio::runtime::Handle,
    client: aws_sdk_s3::Client,
}

impl TaskS3 {
    fn new(config: &Config, handle: tokio::runtime::Handle) -> Self {
        let region = config.region.clone();
        let source = config.s3.clone();
        let client = handle.block_on(async move {
            let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
                .region(aws_config::Region::new(region.clone()))
                .load()
                .await;
            let mut b = aws_sdk_s3::config::Builder::from(&sdk);
            if let S3Source::Endpoint(url) = &source {
                b = b.endpoint_url(url).force_path_style(true);
                // A local S3-compatible server takes any credentials; without
                // any in the environment, use the test ones.
                let has_credentials = match sdk.credentials_provider() {
                    Some(p) => {
                        use aws_sdk_s3::config::ProvideCredentials as _;
                        p.provide_credentials().await.is_ok()
                    }
                    None => false,
                };
                if !has_credentials {
                    b = b.credentials_provider(aws_sdk_s3::config::Credentials::new(
                        crate::s3::TEST_ACCESS_KEY_ID,
                        crate::s3::TEST_SECRET_ACCESS_KEY,
                        None,
                        None,
                        "tsload-emulator",
                    ));
                }
            }
            aws_sdk_s3::Client::from_conf(b.build())
        });
        Self { handle, client }
    }

    fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<tsload_runner::input::Input>, String> {
        self.handle.block_on(async {
            let mut out = Vec::new();
            let mut pages = self
                .client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| {
                    // A sentence, as the service's `ErrorMessage`: the
                    // error's code and message, not the SDK's dump of it.
                    format!(
                        "cannot list s3://{bucket}/{prefix}: {}",
                        tsload_runner::aws::sdk_error_text(&e)
                    )
                })?;
                for o in page.contents() {
                    let Some(key) = o.key() else { continue };
                    out.push(tsload_runner::input::Input::S3 {
                        bucket: bucket.to_owned(),
                        key: key.to_owned(),
                        size: o.size().unwrap_or(0).max(0) as u64,
                    });
                }
            }
            Ok(out)
        })
    }

    fn get_all(&self, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
        self.handle.block_on(async {
            let resp = self
                .client
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "cannot read s3://{bucket}/{key}: {}",
                        aws_sdk_s3::error::DisplayErrorContext(&e)
                    )
                })?;
            let bytes = resp
                .body
                .collect()
                .await
                .map_err(|e| format!("cannot read s3://{bucket}/{key}: {e}"))?;
            Ok(bytes.into_bytes().to_vec())
        })
    }

    fn put(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), String> {
        self.handle.block_on(async {
            self.client
                .put_object()
                .bucket(bucket)
                .key(key)
                .content_type("application/json")
                .body(aws_sdk_s3::primitives::ByteStream::from(body))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    format!(
                        "cannot write s3://{bucket}/{key}: {}",
                        tsload_runner::aws::sdk_error_text(&e)
                    )
                })
        })
    }

    /// Whether S3 says `bucket` does not exist (HeadBucket answers 404).
    /// Any other answer (allowed, forbidden, unreachable) is not taken as
    /// a missing bucket: writing the report says what is wrong then.
    fn bucket_missing(&self, bucket: &str) -> bool {
        self.handle.block_on(async {
            match self.client.head_bucket().bucket(bucket).send().await {
                Ok(_) => false,
                Err(e) => e.raw_response().is_some_and(|r| r.status().as_u16() == 404),
            }
        })
    }
}

impl tsload_runner::validate::Opener for TaskS3 {
    fn open(&self, input: &tsload_runner::input::Input) -> io::Result<Box<dyn Read + Send>> {
        let tsload_runner::input::Input::S3 { bucket, key, .. } = input else {
            return Err(io::Error::new(io::ErrorKind::Unsupported, "only S3 inputs"));
        };
        let resp = self
            .handle
            .block_on(self.client.get_object().bucket(bucket).key(key).send())
            .map_err(|e| {
                io::Error::other(aws_sdk_s3::error::DisplayErrorContext(&e).to_string())
            })?;
        let (tx, rx) = mpsc::sync_channel::<io::Result<Option<Bytes>>>(4);
        let mut body = resp.body;
        self.handle.spawn(async move {
            loop {
                let (item, done) = match body.try_next().await {
                    Ok(Some(chunk)) => (Ok(Some(chunk)), false),
                    // The end is said explicitly: a sender dropped without
                    // it (runtime shut down) must not look like the end.
                    Ok(None) => (Ok(None), true),
                    Err(e) => (Err(io::Error::other(e)), true),
                };
                if tx.send(item).is_err() || done {
                    return;
                }
            }
        });
        Ok(Box::new(ChannelReader {
            rx,
            current: Bytes::new(),
            ended: false,
        }))
    }
}

/// A blocking `Read` over body pieces sent from the runtime; `None` marks
/// the end of the object.
struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Option<Bytes>>>,
    current: Bytes,
    ended: bool,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            if self.ended {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(Some(b))) => self.current = b,
                Ok(Ok(None)) => self.ended = true,
                Ok(Err(e)) => return Err(e),
                Err(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the S3 download stopped before the end of the object",
                    ));
                }
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        bytes::Buf::advance(&mut self.current, n);
        Ok(n)
    }
}

/// Stores the records the engine builds, chunk by chunk, and counts what
/// the store rejects, with the source line of each rejected record.
struct IngestWriter {
    emu: Arc<Emulator>,
    limits: TableLimits,
    stored: Arc<Mutex<IngestCounts>>,
    /// Set when the emulator shuts down: the next write aborts the file.
    stopping: Arc<AtomicBool>,
}

/// What the store did with one file's records.
#[derive(Debug, Default, Clone)]
struct IngestCounts {
    ingested: u64,
    rejected: u64,
    /// Rejection reasons, in order of first appearance, with the 1-based
    /// source lines of the rejected records as inclusive ranges.
    reasons: Vec<(String, Vec<[u64; 2]>)>,
}

impl IngestCounts {
    /// Counts a rejection of the record from `line` (`None` if unknown).
    fn reject(&mut self, reason: String, line: Option<u64>) {
        self.rejected += 1;
        let i = if let Some(i) = self.reasons.iter().position(|(r, _)| *r == reason) {
            i
        } else {
            self.reasons.push((reason, Vec::new()));
            self.reasons.len() - 1
        };
        let slot = &mut self.reasons[i].1;
        let Some(line) = line else { return };
        // Lines arrive in input order: extend the last range when adjacent
        // (records of one row share its line), so memory follows the
        // number of runs, not of rejected records.
        match slot.last_mut() {
            Some(last) if line >= last[0] && line <= last[1].saturating_add(1) => {
                last[1] = last[1].max(line);
            }
            _ => slot.push([line, line]),
        }
    }

    /// Adds `other` (a later part of the same file).
    fn absorb(&mut self, other: Self) {
        self.ingested += other.ingested;
        self.rejected += other.rejected;
        for (reason, ranges) in other.reasons {
            match self.reasons.iter_mut().find(|(r, _)| *r == reason) {
                Some(slot) => {
                    slot.1.extend(ranges);
                    tsload_runner::error_report::coalesce(&mut slot.1);
                }
                None => self.reasons.push((reason, ranges)),
            }
        }
    }
}

fn to_in_record(r: &tsload_mapper::WriteRecord) -> InRecord {
    InRecord {
        dimensions: r
            .dimensions
            .iter()
            .map(|d| (d.name.clone(), d.value.clone()))
            .collect(),
        measure_name: Some(r.measure_name.clone()),
        measure_value: r.measure_value.clone(),
        measure_value_type: Some(r.measure_value_type.as_str().to_owned()),
        measure_values: r.measure_values.as_ref().map(|v| {
            v.iter()
                .map(|m| {
                    (
                        m.name.clone(),
                        m.value.clone(),
                        m.value_type.as_str().to_owned(),
                    )
                })
                .collect()
        }),
        time: Some(r.time.clone()),
        time_unit: Some(r.time_unit.as_str().to_owned()),
        version: Some(r.version),
    }
}

/// The error that aborts a file when the emulator shuts down; the task
/// stays IN_PROGRESS and the file is read again on the next start.
fn shutting_down(emu: &Emulator) -> tsload_runner::emit::EmitError {
    tsload_runner::emit::EmitError::Write(tsload_runner::atomic::WriteError {
        path: emu_store_path(emu),
        source: io::Error::new(io::ErrorKind::Interrupted, "the emulator is shutting down"),
    })
}

impl tsload_runner::emit::RecordWriter for IngestWriter {
    fn write(
        &mut self,
        records: &[tsload_mapper::WriteRecord],
        lines: &[u64],
    ) -> Result<(), tsload_runner::emit::EmitError> {
        let now = now_ns();
        for (index, batch) in records.chunks(INGEST_BATCH).enumerate() {
            if self.stopping.load(Ordering::SeqCst) {
                return Err(shutting_down(&self.emu));
            }
            let first = index * INGEST_BATCH;
            let outcome = self.emu.store().with(|conn| {
                let tx = conn.transaction()?;
                let mut local = IngestCounts::default();
                for (i, r) in batch.iter().enumerate() {
                    match ingest(&tx, &self.limits, &to_in_record(r), now)? {
                        Ok(Stored::Memory | Stored::Magnetic) => local.ingested += 1,
                        Err(rej) => local.reject(rej.batch_reason(), lines.get(first + i).copied()),
                    }
                }
                tx.commit()?;
                Ok(local)
            });
            let local = outcome.map_err(|e| {
                tsload_runner::emit::EmitError::Write(tsload_runner::atomic::WriteError {
                    path: emu_store_path(&self.emu),
                    source: io::Error::other(e.message),
                })
            })?;
            match self.stored.lock() {
                Ok(mut g) => g.absorb(local),
                Err(p) => p.into_inner().absorb(local),
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<u64, tsload_runner::emit::EmitError> {
        let total = match self.stored.lock() {
            Ok(g) => g.ingested,
            Err(p) => p.into_inner().ingested,
        };
        Ok(total)
    }
}

fn emu_store_path(emu: &Emulator) -> std::path::PathBuf {
    emu.store().path().map_or_else(
        || std::path::PathBuf::from(":memory:"),
        std::path::Path::to_path_buf,
    )
}

/// Live progress: rows processed so far, saved as the engine advances.
struct LiveProgress {
    emu: Arc<Emulator>,
    id: String,
    base: Mutex<ProgressReport>,
    stored: Arc<Mutex<IngestCounts>>,
}

impl tsload_runner::progress::Progress for LiveProgress {
    fn advance(&self, _bytes: u64, rows: u64) {
        let mut p = match self.base.lock() {
            Ok(g) => g,
            Err(e) => e.into_inner(),
        };
        p.records_processed += rows as i64;
        let mut shown = *p;
        if let Ok(s) = self.stored.lock() {
            shown.records_ingested += s.ingested as i64;
            shown.record_ingestion_failures += s.rejected as i64;
        }
        let _ = save_progress(&self.emu, &self.id, &shown);
    }
}

/// Runs (or continues) one task to its end, or to a stop.
fn run_task(emu: &Arc<Emulator>, id: &str, stopping: &Arc<AtomicBool>) -> Result<(), ApiError> {
    let faults = emu.config().faults.clone();
    if !pause(faults.step_delay, stopping) {
        return Ok(());
    }
    let task = emu.store().with(|conn| require_task(conn, id))?;
    match task.status.as_str() {
        "CREATED" | "PENDING_RESUME" | "IN_PROGRESS" => {}
        _ => return Ok(()),
    }
    // The counters at the last file boundary: what a task continued after a
    // stop, a shutdown or a crash starts from (the live report may be ahead,
    // within a file that is read again).
    let base = task.checkpoint.unwrap_or_default();
    set_status(emu, id, "IN_PROGRESS")?;
    let handle = emu
        .batch
        .lock()
        .handle
        .clone()
        .ok_or_else(|| ApiError::internal("no runtime"))?;
    let s3 = TaskS3::new(emu.config(), handle);
    let table = emu
        .store()
        .with(|conn| require_table(conn, &task.database, &task.table));
    let table: TableRow = match table {
        Ok(t) => t,
        Err(e) => {
            fail_task(emu, id, &format!("The target table is gone: {}", e.message));
            return Ok(());
        }
    };
    // A report bucket that does not exist is a task-level error (spec §2.4
    // [INF]): the task fails before it reads anything, as its report could
    // not be written.
    if let Some(loc) = report_location(&task.request) {
        let bucket = loc.bucket_name.as_deref().unwrap_or_default();
        if s3.bucket_missing(bucket) {
            fail_task(
                emu,
                id,
                &format!(
                    "The report bucket {bucket} does not exist (S3 NoSuchBucket), so no error report could be written; the task stopped before reading any data [INF]"
                ),
            );
            return Ok(());
        }
    }

    // The data model: inline, or an object in S3.
    let req = &task.request;
    let wire_model = match req.data_model_configuration.as_ref() {
        Some(c) if c.data_model.is_some() => c.data_model.clone(),
        Some(c) => match c.data_model_s3_configuration.as_ref() {
            Some(loc) => {
                let bucket = loc.bucket_name.clone().unwrap_or_default();
                let key = loc.object_key.clone().unwrap_or_default();
                match s3.get_all(&bucket, &key).and_then(|b| {
                    serde_json::from_slice::<wire::DataModel>(&b).map_err(|e| {
                        format!("the data model s3://{bucket}/{key} is not valid JSON: {e}")
                    })
                }) {
                    Ok(m) => Some(m),
                    Err(msg) => {
                        return finish_failed(emu, &s3, &task, vec![msg], Vec::new(), base);
                    }
                }
            }
            None => None,
        },
        None => None,
    };
    let Some(wire_model) = wire_model else {
        // CreateBatchLoadTask refuses such a task: only a store edited
        // by hand gets here.
        return finish_failed(
            emu,
            &s3,
            &task,
            vec![no_data_model(req.data_model_configuration.as_ref())],
            Vec::new(),
            base,
        );
    };
    let model = match tsload_model::effective::DataModel::from_wire(&wire_model) {
        Ok(m) => m,
        Err(e) => {
            return finish_failed(
                emu,
                &s3,
                &task,
                vec![format!("The data model is not valid: {}", e.0)],
                Vec::new(),
                base,
            );
        }
    };
    let ds = req.data_source_configuration.clone().unwrap_or_default();
    let dialect =
        match tsload_model::effective::CsvDialect::from_wire(ds.csv_configuration.as_ref()) {
            Ok(d) => d,
            Err(e) => {
                return finish_failed(
                    emu,
                    &s3,
                    &task,
                    vec![format!("The CSV configuration is not valid: {}", e.0)],
                    Vec::new(),
                    base,
                );
            }
        };

    // Every object under the prefix, and the quotas of spec §4.1.
    let source = ds.data_source_s3_configuration.unwrap_or_default();
    let bucket = source.bucket_name.unwrap_or_default();
    let prefix = source.object_key_prefix.unwrap_or_default();
    let inputs = match s3.list(&bucket, &prefix) {
        Ok(i) => i,
        Err(msg) => return finish_failed(emu, &s3, &task, vec![msg], Vec::new(), base),
    };
    if inputs.is_empty() {
        return finish_failed(
            emu,
            &s3,
            &task,
            vec![format!(
                "No objects were found under s3://{bucket}/{prefix}."
            )],
            Vec::new(),
            base,
        );
    }
    let quota: Vec<String> = tsload_runner::input::check_quotas(&inputs)
        .into_iter()
        .filter(tsload_model::Diagnostic::is_error)
        .map(|d| d.message)
        .collect();
    if !quota.is_empty() {
        return finish_failed(emu, &s3, &task, quota, Vec::new(), base);
    }

    // Run the engine file by file.
    let context = tsload_mapper::CheckContext {
        reference_time_ns: now_ns(),
        table: Some(tsload_mapper::TableRetention {
            memory_store_retention_hours: table.memory_hours().max(0) as u64,
            magnetic_store_retention_days: table.magnetic_days().max(0) as u64,
            magnetic_store_writes: table.magnetic_writes(),
        }),
        required_dimensions: table.required_dimensions(),
        record_version: task.record_version,
        ..tsload_mapper::CheckContext::default()
    };
    let options = tsload_runner::validate::Options {
        threads: 1,
        context,
        duplicate_keys: 0,
        ..tsload_runner::validate::Options::default()
    };
    let pipeline = match tsload_runner::validate::Pipeline::new(&model, &dialect, options) {
        Ok(p) => p,
        Err(e) => {
            return finish_failed(emu, &s3, &task, vec![e.to_string()], Vec::new(), base);
        }
    };
    let limits = TableLimits::new(&table);
    let mut progress = base;
    let mut file_errors = load_file_errors(emu, id);
    let start = usize::try_from(task.files_done).unwrap_or(0);
    for (index, input) in inputs.iter().enumerate().skip(start) {
        if stopping.load(Ordering::SeqCst) {
            return Ok(());
        }
        let stored = Arc::new(Mutex::new(IngestCounts::default()));
        let writer = IngestWriter {
            emu: Arc::clone(emu),
            limits: limits.clone(),
            stored: Arc::clone(&stored),
            stopping: Arc::clone(stopping),
        };
        let live = LiveProgress {
            emu: Arc::clone(emu),
            id: id.to_owned(),
            base: Mutex::new(progress),
            stored: Arc::clone(&stored),
        };
        let run = pipeline.run(
            std::slice::from_ref(input),
            &s3,
            Some(Box::new(writer)),
            &live,
        );
        // Shutting down: drop this file's outcome (a read cut short, or a
        // write refused, is not the file's fault). Its records already
        // stored are stored again, as no-ops, when the file is read again.
        if stopping.load(Ordering::SeqCst) {
            return Ok(());
        }
        let validation = match run {
            Ok(v) => v,
            Err(e) => {
                return finish_failed(emu, &s3, &task, vec![e.to_string()], file_errors, progress);
            }
        };
        let ingest = match stored.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        for f in &validation.files {
            let c = f.result.counters;
            progress.records_processed += c.records_processed as i64;
            progress.parse_failures += c.parse_failures as i64;
            progress.record_ingestion_failures += c.record_ingestion_failures as i64;
            progress.file_failures += c.file_failures as i64;
            progress.bytes_metered += c.bytes_metered as i64;
            let mut errors: Vec<tsload_runner::error_report::FileError> = f
                .result
                .errors
                .iter()
                .map(|e| tsload_runner::error_report::FileError {
                    reason: e.reason.to_owned(),
                    line_ranges: e.line_ranges.clone(),
                })
                .collect();
            // Records the store refused (version or type conflicts), with
            // the lines of the rows they came from; a reason the engine
            // already reported gets the lines added to its ranges.
            for (reason, ranges) in &ingest.reasons {
                if let Some(e) = errors.iter_mut().find(|e| e.reason == *reason) {
                    e.line_ranges.extend_from_slice(ranges);
                    tsload_runner::error_report::coalesce(&mut e.line_ranges);
                } else {
                    let mut line_ranges = ranges.clone();
                    tsload_runner::error_report::coalesce(&mut line_ranges);
                    errors.push(tsload_runner::error_report::FileError {
                        reason: reason.clone(),
                        line_ranges,
                    });
                }
            }
            if !errors.is_empty() {
                file_errors.push(tsload_runner::error_report::FileErrors {
                    file_name: f.input.report_name(),
                    errors,
                });
            }
        }
        progress.records_ingested += ingest.ingested as i64;
        progress.record_ingestion_failures += ingest.rejected as i64;
        save_checkpoint(emu, id, &progress, index as i64 + 1, &file_errors)?;
        if let Some(after) = faults.stop_after_files
            && !task.stopped_once
            && index as u64 + 1 == after
            && index + 1 < inputs.len()
        {
            let until = now() + faults.resumable_for.as_secs_f64();
            emu.store().with(|conn| {
                conn.execute(
                    "UPDATE batch_load_tasks SET task_status = 'PROGRESS_STOPPED', resumable_until = ?2,
                         stopped_once = 1, last_updated_time = ?3 WHERE task_id = ?1",
                    params![id, until, now()],
                )?;
                Ok(())
            })?;
            return Ok(());
        }
        if !pause(faults.step_delay, stopping) {
            return Ok(());
        }
    }
    let failed = progress.parse_failures > 0
        || progress.record_ingestion_failures > 0
        || progress.file_failures > 0
        || !file_errors.is_empty();
    if failed {
        return finish_failed(emu, &s3, &task, Vec::new(), file_errors, progress);
    }
    save_progress(emu, id, &progress)?;
    set_status(emu, id, "SUCCEEDED")
}

fn load_file_errors(emu: &Emulator, id: &str) -> Vec<tsload_runner::error_report::FileErrors> {
    emu.store()
        .with(|conn| {
            let text: Option<String> = conn
                .query_row(
                    "SELECT file_errors FROM batch_load_tasks WHERE task_id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            Ok(text
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default())
        })
        .unwrap_or_default()
}

/// Records a file boundary in one statement: the counters (live and
/// checkpoint), how many files are done, and the file errors so far.
fn save_checkpoint(
    emu: &Emulator,
    id: &str,
    p: &ProgressReport,
    files_done: i64,
    errors: &[tsload_runner::error_report::FileErrors],
) -> Result<(), ApiError> {
    let progress = serde_json::to_string(p).unwrap_or_default();
    let errors = serde_json::to_string(errors).unwrap_or_default();
    emu.store().with(|conn| {
        conn.execute(
            "UPDATE batch_load_tasks SET progress_report = ?2, checkpoint = ?2, files_done = ?3,
                 file_errors = ?4, last_updated_time = ?5 WHERE task_id = ?1",
            params![id, progress, files_done, errors, now()],
        )?;
        Ok(())
    })
}

/// Ends a task in FAILED: writes the error report (§6.1 layout) to
/// `<report prefix>/<TaskId>/error-report.json` [INF: the key layout is
/// undocumented] and sets `ErrorMessage`.
fn finish_failed(
    emu: &Emulator,
    s3: &TaskS3,
    task: &TaskRow,
    task_errors: Vec<String>,
    file_errors: Vec<tsload_runner::error_report::FileErrors>,
    progress: ProgressReport,
) -> Result<(), ApiError> {
    let report = tsload_runner::error_report::ErrorReport {
        task_id: task.task_id.clone(),
        task_errors: task_errors
            .iter()
            .map(|r| tsload_runner::error_report::TaskError { reason: r.clone() })
            .collect(),
        file_errors,
    };
    let mut message = match task_errors.first() {
        Some(first) => first.clone(),
        None => "The task completed with errors; see the error report.".to_owned(),
    };
    if let Some(loc) = report_location(&task.request) {
        let bucket = loc.bucket_name.clone().unwrap_or_default();
        let key = report_key(loc.object_key_prefix.as_deref(), &task.task_id);
        let body = serde_json::to_vec_pretty(&report).unwrap_or_default();
        // The message so far is a sentence: it ends with a period.
        if !message.is_empty() && !message.ends_with('.') {
            message.push('.');
        }
        match s3.put(&bucket, &key, body) {
            Ok(()) => {
                let _ = write!(message, " Error report: s3://{bucket}/{key}");
            }
            Err(e) => {
                let _ = write!(message, " The error report could not be written: {e}");
            }
        }
    }
    save_progress(emu, &task.task_id, &progress)?;
    fail_task(emu, &task.task_id, &message);
    Ok(())
}

/// Where the task's error report goes, when it says.
fn report_location(req: &CreateBatchLoadTaskRequest) -> Option<&wire::ReportS3Configuration> {
    req.report_configuration
        .as_ref()
        .and_then(|r| r.report_s3_configuration.as_ref())
}

/// The report's key under the report prefix \[INF\].
pub fn report_key(prefix: Option<&str>, task_id: &str) -> String {
    match prefix.map(|p| p.trim_end_matches('/')) {
        Some(p) if !p.is_empty() => format!("{p}/{task_id}/error-report.json"),
        _ => format!("{task_id}/error-report.json"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_lines_become_coalesced_ranges() {
        let mut c = IngestCounts::default();
        for line in [2, 2, 3, 5, 7, 8] {
            c.reject("conflict".into(), Some(line));
        }
        c.reject("type".into(), Some(4));
        c.reject("conflict".into(), None);
        let mut later = IngestCounts::default();
        later.reject("conflict".into(), Some(9));
        later.reject("conflict".into(), Some(6));
        c.absorb(later);
        assert_eq!(c.rejected, 10);
        assert_eq!(
            c.reasons,
            vec![
                ("conflict".to_owned(), vec![[2, 3], [5, 9]]),
                ("type".to_owned(), vec![[4, 4]]),
            ]
        );
    }

    #[test]
    fn report_keys_sit_under_the_prefix() {
        assert_eq!(
            report_key(Some("errors/"), "ABC"),
            "errors/ABC/error-report.json"
        );
        assert_eq!(report_key(Some(""), "ABC"), "ABC/error-report.json");
        assert_eq!(report_key(None, "ABC"), "ABC/error-report.json");
    }
}
