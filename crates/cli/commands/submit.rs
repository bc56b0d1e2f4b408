//! `tsload submit TASK.json [INPUT...]`: pre-flight validation, upload,
//! quota planning, CreateBatchLoadTask with a derived ClientToken, polling
//! with auto-resume, and an explained error report when the load fails.
//!
//! Also the pieces the other task commands share: the AWS arguments, the
//! connection (with `--verbose`), the progress display of a running task
//! and the rendering of task results.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tsload_model::wire::{BatchLoadStatus, BatchLoadTaskDescription, CreateBatchLoadTaskRequest};
use tsload_runner::input::{self, Input};
use tsload_runner::submit::api::{ApiError, BatchLoadApi, ErrorKind, TableSpec};
use tsload_runner::submit::explain::{Agreement, Explanation};
use tsload_runner::submit::plan::{self, Limits};
use tsload_runner::submit::report::{self, FoundReport, RangeWarning};
use tsload_runner::submit::run::{
    Event, Finished, Job, Observer, Outcome, PollOptions, RunResult, SystemClock,
};
use tsload_runner::submit::sdk::SdkApi;
use tsload_runner::submit::split;
use tsload_runner::submit::token::{self, Fingerprint};
use tsload_runner::submit::upload::{
    self, LocalObject, PieceRef, UploadOptions, UploadProgress, Uploaded,
};
use tsload_runner::timestream::TableInfo;
use tsload_runner::validate::{Options, Pipeline};

use super::validate::{self as v, Fatal};
use crate::aws::AwsArgs;
use crate::cli::Format;
use crate::exit::ExitStatus;
use crate::printer::Printer;
use crate::progress::Bar;

/// Polling arguments shared by `submit` and `wait`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct PollArgs {
    /// Seconds between two polls of a task (at most 5 calls a second are
    /// made whatever this is).
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 5.0,
        help_heading = "Polling"
    )]
    pub(crate) poll_interval: f64,
    /// Leave a PROGRESS_STOPPED task stopped instead of resuming it.
    #[arg(long, help_heading = "Polling")]
    pub(crate) no_resume: bool,
}

impl PollArgs {
    pub(crate) fn options(&self) -> Result<PollOptions, Fatal> {
        if !(self.poll_interval.is_finite() && self.poll_interval >= 0.2) {
            return Err(Fatal(format!(
                "`--poll-interval {}`: give at least 0.2 seconds",
                self.poll_interval
            )));
        }
        Ok(PollOptions {
            interval: Duration::from_secs_f64(self.poll_interval),
            auto_resume: !self.no_resume,
            ..PollOptions::default()
        })
    }
}

/// Arguments of `tsload submit`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Local inputs (files, directories, globs) are uploaded under the task's \
DataSourceS3Configuration prefix, keeping their paths relative to their common directory. \
Without inputs, the objects already under that prefix are validated and loaded. More than 100 \
files or 100 GB are split into several tasks, one sub-prefix (`part-001/`, ...) each. A rerun \
with the same task and inputs skips uploaded files and attaches to the tasks already created \
(the ClientToken is derived from both). Ctrl-C while waiting detaches without cancelling \
anything (exit 2) and prints the `tsload wait` command that re-attaches.")]
pub(crate) struct Args {
    /// The task: a CreateBatchLoadTask request (or a DescribeBatchLoadTask
    /// response, to run the same load again).
    pub(crate) task: PathBuf,
    /// CSV inputs to upload (default: what is already under the task's S3
    /// prefix).
    pub(crate) inputs: Vec<String>,

    /// Submit even when the pre-flight validation finds errors (the service
    /// charges for bad data too).
    #[arg(long)]
    pub(crate) force: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
    /// Ask for confirmation when the load holds at least this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1_000_000_000)]
    pub(crate) confirm_above: u64,
    /// Upload even when the prefix holds other objects (the service loads
    /// them too).
    #[arg(long)]
    pub(crate) allow_existing: bool,
    /// Return once the tasks are created.
    #[arg(long)]
    pub(crate) no_wait: bool,
    /// Create new tasks even when the same task and data were submitted
    /// before: a fresh ClientToken instead of the one derived from them
    /// (which makes a rerun follow the task it created).
    #[arg(long)]
    pub(crate) new_task: bool,
    /// Output format of the result on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
    /// No progress bars.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
    /// Worker threads of the pre-flight validation, 1..=256 (default: all
    /// cores, at most 256).
    #[arg(long, short = 'j', value_name = "N", value_parser = v::threads_parser())]
    pub(crate) threads: Option<usize>,
    /// The pre-flight's duplicate table (as `validate --duplicate-keys`).
    #[command(flatten)]
    pub(crate) duplicates: v::DuplicateArgs,
    /// Reference time of the ingestion window (RFC 3339; default now).
    #[arg(long, value_name = "RFC3339")]
    pub(crate) now: Option<String>,

    /// Create the database and the table when they are missing.
    #[arg(long, help_heading = "Table")]
    pub(crate) create_table: bool,
    /// Memory store retention of a created table, in hours (1..8766).
    #[arg(
        long,
        value_name = "N",
        requires = "create_table",
        help_heading = "Table"
    )]
    pub(crate) memory_retention_hours: Option<u64>,
    /// Magnetic store retention of a created table, in days (1..73000).
    #[arg(
        long,
        value_name = "N",
        requires = "create_table",
        help_heading = "Table"
    )]
    pub(crate) magnetic_retention_days: Option<u64>,
    /// Enable magnetic store writes on a created table.
    #[arg(long, requires = "create_table", help_heading = "Table")]
    pub(crate) magnetic_writes: bool,

    /// Files this large or larger are uploaded in parts (MiB).
    #[arg(
        long,
        value_name = "MIB",
        default_value_t = 64,
        help_heading = "Upload"
    )]
    pub(crate) multipart_threshold: u64,
    /// Size of each part (MiB, at least 5).
    #[arg(
        long,
        value_name = "MIB",
        default_value_t = 16,
        help_heading = "Upload"
    )]
    pub(crate) part_size: u64,
    /// Files larger than this are uploaded as pieces, cut at record
    /// boundaries with the header repeated (default: the 5 GB a file may
    /// hold).
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = 5_000_000_000,
        help_heading = "Upload"
    )]
    pub(crate) split_above: u64,
    /// Size of each piece of a split file (the service recommends 100 MB
    /// to 1 GB a file).
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = 1_000_000_000,
        help_heading = "Upload"
    )]
    pub(crate) piece_size: u64,
    /// Requests in flight at once (1..=64).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 4,
        help_heading = "Upload",
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64)
    )]
    pub(crate) upload_concurrency: usize,

    #[command(flatten)]
    pub(crate) poll: PollArgs,
    #[command(flatten)]
    pub(crate) aws: AwsArgs,
}

pub(crate) fn run(args: &Args, printer: &Printer) -> ExitStatus {
    match submit(args, printer) {
        Ok(status) => status,
        Err(fatal) => fatal.report(printer, args.format, "submit"),
    }
}

/// A runtime for the AWS calls (the validation runs outside it).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Fatal> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("tsload-aws")
        .build()?)
}

/// The API and an S3 client for `aws`, with `--verbose` printed.
pub(crate) async fn connect(
    aws: &AwsArgs,
    printer: &Printer,
) -> Result<(SdkApi, aws_sdk_s3::Client), Fatal> {
    if aws.verbose {
        printer.err(&aws.describe().await?);
    }
    let api = SdkApi::connect(&aws.timestream())
        .await
        .map_err(|e| Fatal(e.to_string()))?;
    let s = aws.settings();
    let config = tsload_runner::aws::sdk_config(&s).await?;
    Ok((api, tsload_runner::aws::s3_client(&config, &s)))
}

fn validate_args(args: &Args, table: Option<&TableInfo>) -> v::Args {
    let r = table.map(|t| t.retention);
    v::Args {
        task: args.task.clone(),
        inputs: args.inputs.clone(),
        format: args.format,
        report: None,
        diagnostics: None,
        emit: None,
        max_errors: 1000,
        sample: None,
        threads: args.threads,
        duplicates: args.duplicates,
        quiet: args.quiet,
        deny_warnings: false,
        separator: None,
        quote: None,
        escape: None,
        null_value: None,
        trim: false,
        window: v::WindowArgs {
            now: args.now.clone(),
            memory_retention_hours: r.map(|r| r.memory_store_retention_hours),
            magnetic_retention_days: r.map(|r| r.magnetic_store_retention_days),
            magnetic_writes: r.is_some_and(|r| r.magnetic_store_writes),
            describe_table: false,
        },
        // The command printed `--verbose` itself, if asked.
        aws: AwsArgs {
            verbose: false,
            ..args.aws.clone()
        },
    }
}

/// The target table, created when missing and `--create-table` is given.
async fn ensure_table(
    api: &SdkApi,
    args: &Args,
    db: &str,
    table: &str,
    printer: &Printer,
) -> Result<TableInfo, Fatal> {
    match api.describe_table(db, table).await {
        Ok(info) => {
            if args.create_table
                && (args.memory_retention_hours.is_some()
                    || args.magnetic_retention_days.is_some()
                    || args.magnetic_writes)
            {
                printer.note(&format!(
                    "table `{db}`.`{table}` exists; the retention flags are not applied to it"
                ));
            }
            Ok(info)
        }
        Err(e) if e.kind == ErrorKind::ResourceNotFound && args.create_table => {
            let spec = TableSpec {
                memory_retention_hours: args.memory_retention_hours.map(|h| h as i64),
                magnetic_retention_days: args.magnetic_retention_days.map(|d| d as i64),
                magnetic_writes: args.magnetic_writes,
            };
            if api
                .create_database(db)
                .await
                .map_err(|e| Fatal(e.to_string()))?
            {
                printer.note(&format!("created database `{db}`"));
            }
            if api
                .create_table(db, table, &spec)
                .await
                .map_err(|e| Fatal(e.to_string()))?
            {
                printer.note(&format!("created table `{db}`.`{table}`"));
            }
            api.describe_table(db, table)
                .await
                .map_err(|e| Fatal(e.to_string()))
        }
        Err(e) if e.kind == ErrorKind::ResourceNotFound => Err(Fatal(format!(
            "{e}\n  hint: pass --create-table (with --memory-retention-hours, --magnetic-retention-days, --magnetic-writes as needed)"
        ))),
        Err(e) => Err(Fatal(e.to_string())),
    }
}

fn check_retention(args: &Args) -> Result<(), Fatal> {
    if let Some(h) = args.memory_retention_hours
        && !(1..=8766).contains(&h)
    {
        return Err(Fatal(format!(
            "`--memory-retention-hours {h}`: the service allows 1 to 8766"
        )));
    }
    if let Some(d) = args.magnetic_retention_days
        && !(1..=73000).contains(&d)
    {
        return Err(Fatal(format!(
            "`--magnetic-retention-days {d}`: the service allows 1 to 73000"
        )));
    }
    Ok(())
}

/// Asks on the terminal; `Err` when there is none.
fn confirm(printer: &Printer, question: &str) -> Result<bool, Fatal> {
    if !std::io::stdin().is_terminal() {
        return Err(Fatal(format!(
            "{question}: no terminal to ask on; pass --yes to go ahead"
        )));
    }
    printer.err(&format!("{question} [y/N] "));
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

fn human_bytes(n: u64) -> String {
    indicatif::HumanBytes(n).to_string()
}

/// Bytes of an upload, as a bar on a terminal.
struct UploadBar {
    bar: Option<ProgressBar>,
}

impl UploadBar {
    fn new(quiet: bool, total: u64) -> Self {
        if quiet
            || !std::io::stderr().is_terminal()
            || std::env::var_os("TSLOAD_NO_PROGRESS").is_some()
        {
            return Self { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "upload [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} {msg}",
            )
            .expect("valid template"),
        );
        Self { bar: Some(bar) }
    }
}

impl UploadProgress for UploadBar {
    fn advance(&self, bytes: u64) {
        if let Some(b) = &self.bar {
            b.inc(bytes);
        }
    }
    fn finished(&self, key: &str, how: Uploaded) {
        if let Some(b) = &self.bar {
            let key = crate::printer::escape_line(key);
            b.set_message(format!("{key}: {}", uploaded_word(how)));
        }
    }
}

fn uploaded_word(how: Uploaded) -> String {
    match how {
        Uploaded::Put => "uploaded".to_owned(),
        Uploaded::Multipart(n) => format!("uploaded in {n} parts"),
        Uploaded::Skipped => "already there".to_owned(),
    }
}

/// Follows running tasks: a bar of RecordsProcessed per task on a
/// terminal, notes otherwise.
pub(crate) struct TaskProgress<'a> {
    printer: &'a Printer,
    bars: Option<indicatif::MultiProgress>,
    state: Mutex<TaskState>,
    expected_rows: Option<u64>,
    /// When this run started creating tasks (seconds since the epoch), to
    /// tell a task it created from one an earlier run created with the
    /// same ClientToken.
    since: Option<f64>,
}

#[derive(Default)]
struct TaskState {
    /// Task id → its bar and last status.
    tasks: Vec<(String, Option<ProgressBar>, Option<BatchLoadStatus>)>,
    /// Created (part, task id), in order.
    created: Vec<(usize, String)>,
}

impl<'a> TaskProgress<'a> {
    pub(crate) fn new(printer: &'a Printer, quiet: bool, expected_rows: Option<u64>) -> Self {
        let bars = (!quiet
            && std::io::stderr().is_terminal()
            && std::env::var_os("TSLOAD_NO_PROGRESS").is_none())
        .then(|| indicatif::MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Self {
            printer,
            bars,
            state: Mutex::new(TaskState::default()),
            expected_rows,
            since: None,
        }
    }

    /// Notes, at a task's first description, when an earlier run created it
    /// ([`created_before`] `since`).
    pub(crate) fn created_since(mut self, since: f64) -> Self {
        self.since = Some(since);
        self
    }

    /// Tasks created so far, in part order.
    pub(crate) fn created(&self) -> Vec<(usize, String)> {
        let mut c = self.state.lock().expect("progress lock").created.clone();
        c.sort();
        c
    }

    pub(crate) fn finish(&self) {
        let state = self.state.lock().expect("progress lock");
        for (_, bar, _) in &state.tasks {
            if let Some(b) = bar {
                b.finish_and_clear();
            }
        }
    }

    fn bar(&self, state: &mut TaskState, id: &str) -> usize {
        if let Some(i) = state.tasks.iter().position(|t| t.0 == id) {
            return i;
        }
        let bar = self.bars.as_ref().map(|m| {
            let b = m.add(ProgressBar::new(self.expected_rows.unwrap_or(0)));
            let template = if self.expected_rows.is_some() {
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} rows {msg}"
            } else {
                "{spinner} [{elapsed_precise}] {pos} rows {msg}"
            };
            b.set_style(ProgressStyle::with_template(template).expect("valid template"));
            b.enable_steady_tick(Duration::from_millis(200));
            b
        });
        state.tasks.push((id.to_owned(), bar, None));
        state.tasks.len() - 1
    }
}

impl Observer for TaskProgress<'_> {
    fn event(&self, event: &Event<'_>) {
        let mut state = self.state.lock().expect("progress lock");
        match event {
            Event::Created { part, task_id } => {
                state.created.push((*part, (*task_id).to_owned()));
                // The answer is the same for a new task and for a repeat
                // with the same ClientToken (the service returns the task
                // that token created): both are said.
                self.printer.note(&format!(
                    "task {task_id} (created now, or earlier with the same ClientToken)"
                ));
            }
            Event::WaitingForCapacity {
                part,
                table_active,
                account_active,
            } => self.printer.note(&format!(
                "part {} waits: {table_active} active tasks on the table (at most 5), {account_active} in the account (at most 10)",
                part + 1
            )),
            Event::Status(d) => {
                let id = d.task_id.clone().unwrap_or_default();
                let first = !state.tasks.iter().any(|t| t.0 == id);
                if first && self.since.is_some_and(|since| created_before(d, since)) {
                    self.printer.note(&earlier_note(&id, d));
                }
                let i = self.bar(&mut state, &id);
                let status = d.task_status.clone();
                let p = d.progress_report.unwrap_or_default();
                let msg = format!(
                    "{id} {} · {} ingested, {} parse failures, {} ingestion failures, {} file failures",
                    status.as_ref().map_or("?", BatchLoadStatus::as_str),
                    p.records_ingested,
                    p.parse_failures,
                    p.record_ingestion_failures,
                    p.file_failures
                );
                let changed = state.tasks[i].2 != status;
                if let Some(b) = &state.tasks[i].1 {
                    b.set_position(p.records_processed.max(0) as u64);
                    // Task ids and statuses come from the endpoint.
                    b.set_message(crate::printer::escape_line(&msg).into_owned());
                } else if changed {
                    self.printer.note(&msg);
                }
                state.tasks[i].2 = status;
            }
            Event::Retrying { error, delay } => self.printer.note(&format!(
                "{}: {}; retrying in {:.1} s",
                error.operation,
                error.code.as_deref().unwrap_or("no answer"),
                delay.as_secs_f64()
            )),
            Event::Resuming { task_id, attempt } => self.printer.note(&format!(
                "task {task_id} stopped (PROGRESS_STOPPED); resuming it (resume {attempt})"
            )),
        }
    }
}

/// The command that re-attaches to tasks.
pub(crate) fn reattach_hint(ids: &[String], aws: &AwsArgs) -> String {
    let mut cmd = format!("tsload wait {}", ids.join(" "));
    if let Some(p) = &aws.profile {
        let _ = write!(cmd, " --profile {p}");
    }
    if let Some(r) = &aws.region {
        let _ = write!(cmd, " --region {r}");
    }
    if let Some(e) = &aws.endpoint_url {
        let _ = write!(cmd, " --endpoint-url {e}");
    }
    cmd
}

/// Runs `jobs`, detaching on Ctrl-C or SIGTERM; `Ok(None)` when detached.
pub(crate) async fn run_jobs(
    api: &SdkApi,
    jobs: Vec<Job>,
    options: &PollOptions,
    wait: bool,
    observer: &TaskProgress<'_>,
) -> Result<Option<RunResult>, ApiError> {
    let work = tsload_runner::submit::run::run(api, &SystemClock, jobs, options, wait, observer);
    let done = tokio::select! {
        r = work => r.map(Some),
        _ = signalled() => return Ok(None),
    };
    // The handlers stay installed for the life of the process, and would
    // swallow a later Ctrl-C or SIGTERM (fetching and explaining reports
    // can take a while): from here on, either ends the process.
    exit_on_signal();
    done
}

/// Ends the process at the next Ctrl-C (exit 130) or SIGTERM (143), as if
/// no handler were installed. The tasks were followed to their end; what
/// is left is reading and explaining reports.
fn exit_on_signal() {
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(|| {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let code = rt.block_on(signalled());
            // The printer is on the main thread, busy; one line, unstyled.
            let _ = std::io::Write::write_all(&mut std::io::stderr(), b"interrupted\n");
            std::process::exit(code);
        });
    drop(spawned);
}

/// What to do about parts not created: rerun the same `submit`, whose
/// derived ClientTokens find the parts already created. With `--new-task`
/// the tokens were fresh, and a rerun (with or without it) would create
/// every part again.
fn rerun_hint(new_task: bool, what: &str) -> String {
    if new_task {
        format!(
            "{what}; the created parts had fresh ClientTokens (--new-task), so running the \
             submit again would create every part again: submit the missing parts on their own"
        )
    } else {
        format!("{what}; run the same `tsload submit` again to create them")
    }
}

/// Resolves at Ctrl-C or at SIGTERM (a CI job's timeout, `kill`), with
/// the exit code a shell gives for the signal (130, 143).
async fn signalled() -> i32 {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => 130,
                _ = term.recv() => 143,
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    130
}

/// After a detach: the note with the command that re-attaches, and with
/// `--format json` a document saying so on stdout (the tasks go on).
pub(crate) fn detached(
    printer: &Printer,
    format: Format,
    command: &str,
    ids: &[String],
    aws: &crate::aws::AwsArgs,
) {
    let hint = (!ids.is_empty()).then(|| reattach_hint(ids, aws));
    match &hint {
        Some(hint) => printer.note(&format!(
            "detached; the task(s) go on. Re-attach with: {hint}"
        )),
        None => printer.note("interrupted before any task was created; nothing runs"),
    }
    if format == Format::Json {
        printer.json(&serde_json::json!({
            "version": 1,
            "command": command,
            "ok": false,
            "detached": true,
            "tasks": ids.iter().map(|id| serde_json::json!({"TaskId": id})).collect::<Vec<_>>(),
            "reattach": hint,
        }));
    }
}

/// The six counters, aligned.
pub(crate) fn progress_lines(d: &BatchLoadTaskDescription) -> String {
    let p = d.progress_report.unwrap_or_default();
    let mut s = String::new();
    for (k, v) in [
        ("RecordsProcessed", p.records_processed),
        ("RecordsIngested", p.records_ingested),
        ("ParseFailures", p.parse_failures),
        ("RecordIngestionFailures", p.record_ingestion_failures),
        ("FileFailures", p.file_failures),
        ("BytesMetered", p.bytes_metered),
    ] {
        let _ = writeln!(s, "  {k:<24}{v:>12}");
    }
    s
}

/// How far the service's clock may be behind ours before a task's
/// `CreationTime` says an earlier run created it.
const CLOCK_SKEW_S: f64 = 10.0;

/// Whether the task described by `d` was created before `since` (seconds
/// since the epoch, taken before this run's first `CreateBatchLoadTask`):
/// the service answered with the task the same ClientToken created then.
pub(crate) fn created_before(d: &BatchLoadTaskDescription, since: f64) -> bool {
    d.creation_time
        .is_some_and(|created| created < since - CLOCK_SKEW_S)
}

/// What to say of a task an earlier run created.
fn earlier_note(id: &str, d: &BatchLoadTaskDescription) -> String {
    format!(
        "task {id} was created at {} by an earlier run of this task and data (the same ClientToken), \
         or this machine's clock is ahead: this run follows that task and loads nothing new; \
         `--new-task` creates a new one",
        time(d.creation_time)
    )
}

/// What can be done with a task in `PROGRESS_STOPPED`: resume it while
/// `ResumableUntil` is ahead (or unknown), else submit the load again.
pub(crate) fn resume_hint(id: &str, d: &BatchLoadTaskDescription) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |t| t.as_secs_f64());
    match d.resumable_until {
        Some(until) if until <= now => format!(
            "it can no longer be resumed: ResumableUntil passed at {}; submit the load again (`tsload submit … --new-task`)",
            time(Some(until))
        ),
        Some(until) => format!(
            "resume it with `tsload resume {id}` (until {})",
            time(Some(until))
        ),
        None => format!("resume it with `tsload resume {id}`"),
    }
}

/// An epoch time as RFC 3339 (UTC, seconds).
pub(crate) fn time(t: Option<f64>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t.floor() as i64, 0))
        .map_or_else(
            || "-".to_owned(),
            |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
}

/// Renders an explanation for people.
/// A report's entries that are not explained as written, one line each.
pub(crate) fn warnings_text(warnings: &[RangeWarning]) -> String {
    let mut s = String::new();
    for w in warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    s
}

pub(crate) fn explanation_text(e: &Explanation) -> String {
    let mut s = String::new();
    for t in &e.task_errors {
        let _ = writeln!(s, "task error: {t}");
    }
    for f in &e.files {
        let _ = writeln!(
            s,
            "{}{}",
            f.file_name,
            f.input
                .as_deref()
                .filter(|i| *i != f.file_name)
                .map(|i| format!(" ({i})"))
                .unwrap_or_default()
        );
        if let Some(n) = &f.note {
            let _ = writeln!(s, "  note: {n}");
        }
        for r in &f.ranges {
            let lines = if r.lines[0] == r.lines[1] {
                format!("line {}", r.lines[0])
            } else {
                format!("lines {}-{}", r.lines[0], r.lines[1])
            };
            let _ = writeln!(s, "  {lines}: {}", r.reason);
            for row in &r.rows {
                let _ = writeln!(s, "    {:>6} | {}", row.line, row.text);
            }
            if r.rows.last().is_some_and(|x| x.line < r.lines[1]) {
                let _ = writeln!(
                    s,
                    "         | … {} more",
                    r.lines[1] - r.rows.last().map_or(0, |x| x.line)
                );
            }
            for f in &r.findings {
                let col = f
                    .column
                    .as_deref()
                    .map(|c| format!(" `{c}`"))
                    .unwrap_or_default();
                let val = f
                    .value
                    .as_deref()
                    .map(|v| format!(" (value `{v}`)"))
                    .unwrap_or_default();
                let _ = writeln!(
                    s,
                    "    local {}[{}] line {}{col}: {}{val}",
                    f.severity, f.code, f.line, f.message
                );
            }
            let tag = match r.agreement {
                Agreement::Agrees if !r.inferred => "",
                Agreement::NotChecked => "",
                _ => " [INF]",
            };
            let _ = writeln!(s, "    likely cause{tag}: {}", r.likely_cause);
        }
    }
    s
}

/// Which local input a report's `fileName` names: the file uploaded to that
/// key, else one with the same relative name or base name.
pub(crate) fn resolve_local(name: &str, objects: &[(String, Input)]) -> Option<Input> {
    if let Some((_, i)) = objects.iter().find(|(k, _)| k == name) {
        return Some(i.clone());
    }
    let base = name.rsplit('/').next().unwrap_or(name);
    let mut same = objects
        .iter()
        .filter(|(k, _)| k.ends_with(&format!("/{name}")) || k.rsplit('/').next() == Some(base));
    let first = same.next()?;
    same.next().is_none().then(|| first.1.clone())
}

/// A report explained: its URL, the explanation, and the entries it does
/// not explain as written (`report::parse`'s warnings).
pub(crate) type ReportExplained = (String, Explanation, Vec<RangeWarning>);

/// Explains `reports` with `model`, `dialect` and `ctx`.
pub(crate) fn explain_reports(
    reports: &[FoundReport],
    model: &tsload_model::effective::DataModel,
    dialect: &tsload_model::effective::CsvDialect,
    mut ctx: tsload_mapper::CheckContext,
    opener: &dyn tsload_runner::validate::Opener,
    resolve: &dyn Fn(&str) -> Option<Input>,
) -> Result<Vec<ReportExplained>, Fatal> {
    ctx.max_findings = 100_000;
    let options = Options {
        context: ctx,
        ..Options::default()
    };
    let pipeline = Pipeline::new(model, dialect, options)?;
    let mut out = Vec::new();
    for r in reports {
        let e = tsload_runner::submit::explain::explain(&r.report, &pipeline, opener, resolve)?;
        out.push((r.url.clone(), e, r.warnings.clone()));
    }
    Ok(out)
}

/// One finished task as JSON.
pub(crate) fn finished_json(
    f: &Finished,
    reports: &[ReportExplained],
    report_error: Option<&str>,
) -> serde_json::Value {
    let d = &f.description;
    serde_json::json!({
        "part": f.part.map(|p| p + 1),
        "TaskId": f.task_id,
        "TaskStatus": d.task_status,
        "outcome": match &f.outcome {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Stopped { .. } => "stopped",
        },
        "stopped_reason": match &f.outcome {
            Outcome::Stopped { reason } => Some(reason),
            _ => None,
        },
        "resumes": f.resumes,
        "ProgressReport": d.progress_report,
        "ErrorMessage": d.error_message,
        "ResumableUntil": d.resumable_until,
        "reports": reports.iter().map(|(url, e, w)| serde_json::json!({"url": url, "warnings": w, "explanation": e})).collect::<Vec<_>>(),
        "report_error": report_error,
    })
}

/// One finished task for people.
pub(crate) fn finished_text(
    f: &Finished,
    reports: &[ReportExplained],
    report_error: Option<&str>,
) -> String {
    let d = &f.description;
    let mut s = String::new();
    let part = f
        .part
        .map(|p| format!(" (part {})", p + 1))
        .unwrap_or_default();
    let status = d.task_status.as_ref().map_or("?", BatchLoadStatus::as_str);
    let _ = writeln!(s, "task {}{part}: {status}", f.task_id);
    s.push_str(&progress_lines(d));
    if f.resumes > 0 {
        let _ = writeln!(s, "  resumed {} time(s)", f.resumes);
    }
    if let Outcome::Stopped { reason } = &f.outcome {
        let _ = writeln!(s, "  left in PROGRESS_STOPPED: {reason}");
        let _ = writeln!(s, "  {}", resume_hint(&f.task_id, d));
    }
    if let Some(m) = &d.error_message {
        let _ = writeln!(s, "  error message: {m}");
    }
    if let Some(e) = report_error {
        let _ = writeln!(s, "  the error report could not be read: {e}");
    }
    for (url, e, warnings) in reports {
        let _ = writeln!(s, "\nerror report {url}:");
        s.push_str(&warnings_text(warnings));
        s.push_str(&explanation_text(e));
    }
    s
}

/// Exit status of finished tasks: 0 when every one succeeded.
pub(crate) fn status_of(finished: &[Finished]) -> ExitStatus {
    if finished.iter().all(|f| f.outcome == Outcome::Succeeded) {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    }
}

/// The explained reports of one task, or why there are none.
type Explained = (Vec<ReportExplained>, Option<String>);

/// Local inputs or S3 objects, and what the pre-flight found.
struct Preflight {
    loaded: tsload_model::Loaded,
    model: tsload_model::effective::DataModel,
    dialect: tsload_model::effective::CsvDialect,
    ctx: tsload_mapper::CheckContext,
    inputs: Vec<Input>,
    rows: u64,
    metered: u64,
}

fn submit(args: &Args, printer: &Printer) -> Result<ExitStatus, Fatal> {
    check_retention(args)?;
    let poll = args.poll.options()?;
    if args.piece_size == 0 || args.piece_size > 4_000_000_000 {
        return Err(Fatal(format!(
            "`--piece-size {}`: give 1 to 4000000000 bytes (a piece and its header must stay under 5 GB)",
            args.piece_size
        )));
    }
    if args.part_size < 5 {
        return Err(Fatal(format!(
            "`--part-size {}`: S3 parts are at least 5 MiB",
            args.part_size
        )));
    }
    // The task, checked (errors stop here).
    let vargs0 = validate_args(args, None);
    let (loaded, mut task_diags) = match v::load_task(&vargs0, printer) {
        Ok(x) => x,
        Err(Ok(status)) => return Ok(status),
        Err(Err(fatal)) => return Err(fatal),
    };
    if !loaded.form.is_whole_task() {
        return Err(Fatal(format!(
            "`{}` is a {}; submit needs a whole task (a CreateBatchLoadTask request with the data source, the report location and the target table)",
            args.task.display(),
            loaded.form.title()
        )));
    }
    let req = &loaded.request;
    if args.new_task && req.client_token.is_some() {
        return Err(Fatal(format!(
            "`--new-task` asks for a fresh ClientToken, but `{}` sets its own `ClientToken`; drop one of them",
            args.task.display()
        )));
    }
    let db = req.target_database_name.clone().unwrap_or_default();
    let table = req.target_table_name.clone().unwrap_or_default();
    let source = req
        .data_source_configuration
        .as_ref()
        .and_then(|d| d.data_source_s3_configuration.as_ref());
    let bucket = source
        .and_then(|s| s.bucket_name.clone())
        .unwrap_or_default();
    let base_prefix = source
        .and_then(|s| s.object_key_prefix.clone())
        .unwrap_or_default();

    let rt = runtime()?;
    let (api, s3) = rt.block_on(connect(&args.aws, printer))?;
    let info = rt.block_on(ensure_table(&api, args, &db, &table, printer))?;

    // Pre-flight: the same checks as `tsload validate`, against the table's
    // own retention and partition key.
    let vargs = validate_args(args, Some(&info));
    let aws = vargs.aws.settings();
    let dialect = v::dialect(&vargs, &loaded)?;
    let (model, model_diags) = v::data_model(&loaded, &aws)?;
    task_diags.extend(model_diags);
    let mut ctx = v::context(&vargs, &loaded)?;
    ctx.required_dimensions
        .clone_from(&info.required_dimensions);
    let mut s3src = None;
    let inputs = v::inputs(&vargs, &loaded, &mut s3src, &aws)?;
    let local = !args.inputs.is_empty();
    if inputs.iter().any(|i| matches!(i, Input::Stdin)) {
        return Err(Fatal(
            "standard input cannot be uploaded: save it to a file first".into(),
        ));
    }
    if local && inputs.iter().any(|i| matches!(i, Input::S3 { .. })) {
        return Err(Fatal(
            "give local files to upload, or no inputs to load what is under the task's S3 prefix; S3 inputs cannot be submitted"
                .into(),
        ));
    }
    let mut quota = input::check_quotas(&inputs);
    if local {
        // More than 100 files or 100 GB: split into parts below.
        quota.retain(|d| d.rule.code != "F001" && d.rule.code != "F003");
        if args.split_above <= tsload_runner::rules::MAX_FILE_BYTES {
            // Files over 5 GB: uploaded as pieces.
            quota.retain(|d| d.rule.code != "F002");
        }
    }
    let pipeline = Pipeline::new(&model, &dialect, v::options(&vargs, ctx.clone()))?;
    let total: u64 = inputs.iter().filter_map(Input::size).sum();
    let bar = Bar::new(args.quiet, Some(total));
    let opener = v::Inputs { s3: s3src };
    let validation = pipeline.run(&inputs, &opener, None, &bar)?;
    bar.finish();
    let summary = v::Summary::new(&vargs, &loaded, &task_diags, &quota, &validation);
    printer.err("Pre-flight validation:\n");
    if !task_diags.is_empty() {
        printer.diagnostics(&task_diags);
    }
    printer.err_styled(&summary.human());
    let c = validation.totals.counters;
    let pre = Preflight {
        loaded: loaded.clone(),
        model,
        dialect,
        ctx,
        inputs,
        rows: c.records_processed,
        metered: c.bytes_metered,
    };
    if summary.failed() && !args.force {
        if args.format == Format::Json {
            printer.json(&serde_json::json!({
                "version": 1,
                "command": "submit",
                "ok": false,
                "refused": "preflight",
                "preflight": summary.document(),
            }));
        }
        printer.error(
            "the pre-flight validation found problems: nothing was uploaded or submitted; fix them, or pass --force to submit anyway (the service charges for bad data too [DOC: BP])",
        );
        return Ok(ExitStatus::Failure);
    }
    if summary.failed() {
        printer.note("--force: submitting despite the pre-flight findings");
    }
    let question = format!(
        "The load reads {} in {} file(s), {} rows; predicted BytesMetered {} (estimate [INF]); the service charges for bad data too. Submit?",
        human_bytes(total),
        pre.inputs.len(),
        pre.rows,
        human_bytes(pre.metered)
    );
    if total >= args.confirm_above && !args.yes && !confirm(printer, &question)? {
        printer.note("not submitted");
        return Ok(ExitStatus::Failure);
    }
    drop(opener);
    submit_checked(
        args,
        printer,
        &rt,
        &api,
        &s3,
        &pre,
        &bucket,
        &base_prefix,
        poll,
    )
}

#[derive(Debug)]
struct Upload {
    objects: Vec<LocalObject>,
    /// What each object is read as when its report is explained: the file,
    /// or a piece's stand-in path ([`split::piece_path`]).
    inputs: Vec<Input>,
    /// Indices into `objects`, per part.
    parts: Vec<Vec<usize>>,
    /// Files cut into pieces.
    cut: Vec<split::Pieces>,
}

/// One object to upload: a whole file, or a piece of one.
struct Unit {
    name: String,
    path: PathBuf,
    size: u64,
    piece: Option<(usize, usize)>,
}

fn plan_local(pre: &Preflight, args: &Args, base_prefix: &str) -> Result<Upload, Fatal> {
    let paths: Vec<PathBuf> = pre
        .inputs
        .iter()
        .filter_map(|i| match i {
            Input::File { path, .. } => Some(path.clone()),
            _ => None,
        })
        .collect();
    let names = plan::key_names(&paths);
    // S3 keys are UTF-8: a name that is not would be uploaded under a lossy
    // spelling (U+FFFD), which two such names could share.
    if let Some((path, _)) = paths
        .iter()
        .zip(&names)
        .find(|(p, n)| p.to_str().is_none() && n.contains('\u{FFFD}'))
    {
        return Err(Fatal(format!(
            "`{}`: the file name is not UTF-8, and S3 keys are; rename the file before submitting",
            path.to_string_lossy()
        )));
    }
    let sizes: Vec<u64> = pre.inputs.iter().filter_map(Input::size).collect();
    let mut cut: Vec<split::Pieces> = Vec::new();
    let mut units: Vec<Unit> = Vec::new();
    for ((path, name), &size) in paths.iter().zip(&names).zip(&sizes) {
        if size > args.split_above {
            let pieces = split::cut(path, &pre.dialect, args.piece_size)?;
            let n = pieces.pieces.len();
            for j in 0..n {
                units.push(Unit {
                    name: split::piece_name(name, j, n),
                    path: path.clone(),
                    size: pieces.size(j),
                    piece: Some((cut.len(), j)),
                });
            }
            cut.push(pieces);
        } else {
            units.push(Unit {
                name: name.clone(),
                path: path.clone(),
                size,
                piece: None,
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    for u in &units {
        if !seen.insert(&u.name) {
            return Err(Fatal(format!(
                "two inputs would be uploaded to the same key `{}`; give them from distinct directories",
                u.name
            )));
        }
    }
    let unit_names: Vec<String> = units.iter().map(|u| u.name.clone()).collect();
    let unit_sizes: Vec<u64> = units.iter().map(|u| u.size).collect();
    let parts = plan::split(&unit_names, &unit_sizes, &Limits::default())
        .map_err(|e| Fatal(e.to_string()))?;
    let mut objects = Vec::with_capacity(units.len());
    let mut inputs = Vec::with_capacity(units.len());
    let mut order = Vec::with_capacity(units.len());
    for (pi, part) in parts.iter().enumerate() {
        let prefix = plan::part_prefix(base_prefix, pi, parts.len());
        for &i in part {
            let u = &units[i];
            let unreadable =
                |e: std::io::Error| Fatal(format!("cannot read `{}`: {e}", u.path.display()));
            let (sha256, piece, input) = match u.piece {
                None => (
                    upload::sha256_file(&u.path).map_err(unreadable)?,
                    None,
                    Input::File {
                        path: u.path.clone(),
                        size: u.size,
                    },
                ),
                Some((f, j)) => {
                    let pieces = &cut[f];
                    (
                        upload::sha256_read(pieces.open(j).map_err(unreadable)?)
                            .map_err(unreadable)?,
                        Some(PieceRef {
                            header: pieces.header.clone(),
                            start: pieces.pieces[j].start,
                        }),
                        Input::File {
                            path: split::piece_path(&u.path, j),
                            size: u.size,
                        },
                    )
                }
            };
            order.push(i);
            objects.push(LocalObject {
                path: u.path.clone(),
                key: plan::join(&prefix, &u.name),
                size: u.size,
                sha256,
                piece,
            });
            inputs.push(input);
        }
    }
    // Back to input order; parts index into that order.
    let mut idx: Vec<usize> = (0..objects.len()).collect();
    idx.sort_by_key(|&k| order[k]);
    let objects: Vec<LocalObject> = idx.iter().map(|&k| objects[k].clone()).collect();
    let inputs: Vec<Input> = idx.iter().map(|&k| inputs[k].clone()).collect();
    Ok(Upload {
        objects,
        inputs,
        parts,
        cut,
    })
}

fn requests(
    loaded: &tsload_model::Loaded,
    prefixes: &[String],
    fingerprints: &[Vec<Fingerprint>],
    new_task: bool,
) -> Vec<CreateBatchLoadTaskRequest> {
    let user_token = loaded.request.client_token.clone();
    prefixes
        .iter()
        .zip(fingerprints)
        .map(|(prefix, fps)| {
            let mut r = loaded.request.clone();
            if let Some(s3) = r
                .data_source_configuration
                .as_mut()
                .and_then(|d| d.data_source_s3_configuration.as_mut())
            {
                s3.object_key_prefix = (!prefix.is_empty()).then(|| prefix.clone());
            }
            r.client_token = match &user_token {
                // The task's own token: kept for a single task; each part
                // of a split gets its own, derived from it.
                Some(t) if prefixes.len() == 1 => Some(t.clone()),
                _ if new_task => Some(token::fresh_client_token(&r, fps)),
                _ => Some(token::client_token(&r, fps)),
            };
            r
        })
        .collect()
}

fn submit_checked(
    args: &Args,
    printer: &Printer,
    rt: &tokio::runtime::Runtime,
    api: &SdkApi,
    s3: &aws_sdk_s3::Client,
    pre: &Preflight,
    bucket: &str,
    base_prefix: &str,
    poll: PollOptions,
) -> Result<ExitStatus, Fatal> {
    let local = !args.inputs.is_empty();
    let mut uploads_json = Vec::new();
    let mut local_keys: Vec<(String, Input)> = Vec::new();
    let mut cut: Vec<split::Pieces> = Vec::new();
    let (prefixes, fingerprints): (Vec<String>, Vec<Vec<Fingerprint>>) = if local {
        let up = plan_local(pre, args, base_prefix)?;
        cut.clone_from(&up.cut);
        if !up.cut.is_empty() {
            for c in &up.cut {
                printer.note(&format!(
                    "`{}` is over {} bytes: uploaded as {} pieces of about {} bytes, cut at record boundaries, each with the header",
                    c.path.display(),
                    args.split_above,
                    c.pieces.len(),
                    args.piece_size
                ));
            }
        }
        // The service reads every object under the prefix: refuse others.
        let existing = rt.block_on(upload::list(s3, bucket, base_prefix))?;
        let ours: std::collections::HashSet<&str> =
            up.objects.iter().map(|o| o.key.as_str()).collect();
        let foreign: Vec<&upload::RemoteObject> = existing
            .iter()
            .filter(|o| !ours.contains(o.key.as_str()))
            .collect();
        if !foreign.is_empty() {
            let list: Vec<String> = foreign
                .iter()
                .take(5)
                .map(|o| format!("`{}`", o.key))
                .collect();
            let more = if foreign.len() > 5 {
                format!(" and {} more", foreign.len() - 5)
            } else {
                String::new()
            };
            if !args.allow_existing {
                return Err(Fatal(format!(
                    "`s3://{bucket}/{base_prefix}` already holds {} other object(s): {}{more}; the service would load them too\n  hint: use an empty prefix, remove them, or pass --allow-existing",
                    foreign.len(),
                    list.join(", ")
                )));
            }
            printer.note(&format!(
                "--allow-existing: {} other object(s) under the prefix ({}{more}) are not part of this upload",
                foreign.len(),
                list.join(", ")
            ));
        }
        let total: u64 = up.objects.iter().map(|o| o.size).sum();
        let bar = UploadBar::new(args.quiet, total);
        let options = UploadOptions {
            multipart_threshold: args.multipart_threshold.saturating_mul(1024 * 1024),
            part_size: args.part_size.saturating_mul(1024 * 1024),
            concurrency: args.upload_concurrency,
        };
        let done = rt.block_on(upload::upload_all(s3, bucket, &up.objects, &options, &bar))?;
        if let Some(b) = &bar.bar {
            b.finish_and_clear();
        }
        let sent = done.iter().filter(|d| **d != Uploaded::Skipped).count();
        printer.note(&format!(
            "{sent} file(s) uploaded, {} already there, to s3://{bucket}/{base_prefix}",
            done.len() - sent
        ));
        for ((o, how), input) in up.objects.iter().zip(&done).zip(&up.inputs) {
            uploads_json.push(serde_json::json!({
                "file": o.path.display().to_string(),
                "key": o.key,
                "bytes": o.size,
                "sha256": token::hex(&o.sha256),
                "action": match how {
                    Uploaded::Put => "uploaded",
                    Uploaded::Multipart(_) => "uploaded_multipart",
                    Uploaded::Skipped => "skipped",
                },
            }));
            local_keys.push((o.key.clone(), input.clone()));
        }
        let n = up.parts.len();
        if n > 1 {
            printer.note(&format!(
                "{} files in {n} parts (at most 100 files and 100 GB a task [DOC: LIMITS]), one task each",
                up.objects.len()
            ));
        }
        up.parts
            .iter()
            .enumerate()
            .map(|(pi, part)| {
                (
                    plan::part_prefix(base_prefix, pi, n),
                    part.iter()
                        .map(|&i| Fingerprint {
                            key: up.objects[i].key.clone(),
                            size: up.objects[i].size,
                            checksum: token::hex(&up.objects[i].sha256),
                        })
                        .collect(),
                )
            })
            .unzip()
    } else {
        let listed = rt.block_on(upload::list(s3, bucket, base_prefix))?;
        (
            vec![base_prefix.to_owned()],
            vec![
                listed
                    .iter()
                    .map(|o| Fingerprint {
                        key: o.key.clone(),
                        size: o.size,
                        checksum: o.etag.clone().unwrap_or_default(),
                    })
                    .collect(),
            ],
        )
    };
    let reqs = requests(&pre.loaded, &prefixes, &fingerprints, args.new_task);
    let jobs: Vec<Job> = reqs
        .iter()
        .enumerate()
        .map(|(part, request)| Job::Create {
            part,
            request: Box::new(request.clone()),
        })
        .collect();
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let observer = TaskProgress::new(
        printer,
        args.quiet,
        (prefixes.len() == 1).then_some(pre.rows),
    )
    .created_since(since);
    let result = rt
        .block_on(run_jobs(api, jobs, &poll, !args.no_wait, &observer))
        .map_err(|e| Fatal(e.to_string()));
    observer.finish();
    let created = observer.created();
    let ids: Vec<String> = created.iter().map(|(_, id)| id.clone()).collect();
    let result = match result {
        Ok(Some(r)) => r,
        Ok(None) => {
            detached(printer, args.format, "submit", &ids, &args.aws);
            if created.len() < reqs.len() {
                printer.note(&rerun_hint(
                    args.new_task,
                    "some parts were not created yet",
                ));
            }
            return Ok(ExitStatus::Error);
        }
        Err(e) => {
            if !ids.is_empty() {
                printer.note(&format!(
                    "created so far: {}; follow with `{}`",
                    ids.join(", "),
                    reattach_hint(&ids, &args.aws)
                ));
            }
            return Err(e);
        }
    };
    if args.no_wait {
        let running: Vec<serde_json::Value> = result
            .running
            .iter()
            .map(|(part, id)| {
                serde_json::json!({"part": part.map(|p| p + 1), "TaskId": id, "prefix": part.map(|p| &prefixes[p]), "ClientToken": part.map(|p| &reqs[p].client_token)})
            })
            .collect();
        match args.format {
            Format::Json => printer.json(&serde_json::json!({
                "version": 1,
                "command": "submit",
                // As the exit code: every part was created.
                "ok": result.not_created.is_empty(),
                "waited": false,
                "uploads": uploads_json,
                "tasks": running,
                "not_created": result.not_created.iter().map(|p| p + 1).collect::<Vec<_>>(),
            })),
            Format::Human => {
                let mut s = String::new();
                for (part, id) in &result.running {
                    let part = part
                        .map(|p| format!(" (part {}, s3://{bucket}/{})", p + 1, prefixes[p]))
                        .unwrap_or_default();
                    let _ = writeln!(
                        s,
                        "task {id}{part}: created (now, or earlier with the same ClientToken)"
                    );
                }
                printer.out(&s);
                let running_ids: Vec<String> =
                    result.running.iter().map(|(_, id)| id.clone()).collect();
                printer.note(&format!(
                    "follow with: {}",
                    reattach_hint(&running_ids, &args.aws)
                ));
            }
        }
        if !result.not_created.is_empty() {
            printer.note(&rerun_hint(
                args.new_task,
                &format!(
                    "{} part(s) not created: the active-task limits are reached",
                    result.not_created.len()
                ),
            ));
            return Ok(ExitStatus::Failure);
        }
        return Ok(ExitStatus::Success);
    }
    // Reports of failed tasks, explained with the local inputs (or the
    // objects under the prefix).
    let mut per_task: Vec<Explained> = Vec::new();
    let s3src = if local {
        None
    } else {
        Some(tsload_runner::s3::S3Source::new(&args.aws.settings())?)
    };
    let inner = v::Inputs { s3: s3src };
    let opener = split::PieceOpener {
        inner: &inner,
        files: &cut,
    };
    let s3_objects: Vec<(String, Input)> = pre
        .inputs
        .iter()
        .filter_map(|i| match i {
            Input::S3 { key, .. } => Some((key.clone(), i.clone())),
            _ => None,
        })
        .collect();
    let keys = if local { &local_keys } else { &s3_objects };
    let mut finished = result.finished;
    finished.sort_by_key(|f| f.part);
    for f in &finished {
        if f.outcome != Outcome::Failed {
            per_task.push((Vec::new(), None));
            continue;
        }
        match rt.block_on(report::fetch(s3, &f.description)) {
            Ok(found) => {
                let resolve = |name: &str| resolve_local(name, keys);
                let mut ex = explain_reports(
                    &found,
                    &pre.model,
                    &pre.dialect,
                    pre.ctx.clone(),
                    &opener,
                    &resolve,
                )?;
                // Pieces are explained in the lines of the user's file.
                for file in ex.iter_mut().flat_map(|(_, e, _)| e.files.iter_mut()) {
                    let found = file
                        .input
                        .as_deref()
                        .and_then(|i| opener.find(std::path::Path::new(i)));
                    if let Some((pieces, i)) = found {
                        split::to_file_lines(file, pieces, i);
                    }
                }
                let note = found.is_empty().then(|| "no error report was found under the report location [INF: its layout is undocumented]".to_owned());
                per_task.push((ex, note));
            }
            Err(e) => per_task.push((Vec::new(), Some(e.to_string()))),
        }
    }
    match args.format {
        Format::Json => printer.json(&serde_json::json!({
            "version": 1,
            "command": "submit",
            "waited": true,
            "ok": status_of(&finished) == ExitStatus::Success,
            "preflight": {"rows": pre.rows, "BytesMeteredEstimate": pre.metered},
            "uploads": uploads_json,
            "tasks": finished.iter().zip(&per_task).map(|(f, (ex, err))| {
                let mut v = finished_json(f, ex, err.as_deref());
                v["created_before_this_run"] = created_before(&f.description, since).into();
                if let Some(p) = f.part {
                    v["prefix"] = serde_json::json!(prefixes[p]);
                    v["ClientToken"] = serde_json::json!(reqs[p].client_token);
                }
                v
            }).collect::<Vec<_>>(),
        })),
        Format::Human => {
            let mut s = String::new();
            for (f, (ex, err)) in finished.iter().zip(&per_task) {
                // Parts are named only when there are several.
                let mut f = f.clone();
                if prefixes.len() == 1 {
                    f.part = None;
                }
                s.push_str(&finished_text(&f, ex, err.as_deref()));
                if created_before(&f.description, since) {
                    let _ = writeln!(
                        s,
                        "  created at {} by an earlier run (the same ClientToken): nothing new was loaded by this run",
                        time(f.description.creation_time)
                    );
                }
            }
            let ok = finished
                .iter()
                .filter(|f| f.outcome == Outcome::Succeeded)
                .count();
            let _ = writeln!(s, "\nResult: {ok} of {} task(s) SUCCEEDED", finished.len());
            printer.out(&s);
        }
    }
    Ok(status_of(&finished))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rerun_is_suggested_only_where_it_finds_the_created_parts() {
        assert!(
            rerun_hint(false, "2 part(s) not created")
                .ends_with("run the same `tsload submit` again to create them")
        );
        let fresh = rerun_hint(true, "2 part(s) not created");
        assert!(!fresh.contains("run the same"), "{fresh}");
        assert!(fresh.contains("would create every part again"), "{fresh}");
    }

    #[test]
    fn resume_hints_follow_resumable_until() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let mut d = BatchLoadTaskDescription {
            resumable_until: Some(now + 3600.0),
            ..Default::default()
        };
        assert!(resume_hint("T", &d).starts_with("resume it with `tsload resume T` (until "));
        d.resumable_until = Some(now - 60.0);
        assert!(
            resume_hint("T", &d)
                .starts_with("it can no longer be resumed: ResumableUntil passed at ")
        );
        d.resumable_until = None;
        assert_eq!(resume_hint("T", &d), "resume it with `tsload resume T`");
    }

    #[test]
    fn a_task_is_an_earlier_runs_past_the_clock_skew() {
        let d = |created: f64| BatchLoadTaskDescription {
            creation_time: Some(created),
            ..Default::default()
        };
        assert!(created_before(&d(1_000.0), 1_000.0 + CLOCK_SKEW_S + 1.0));
        assert!(!created_before(&d(1_000.0), 1_000.0 + CLOCK_SKEW_S - 1.0));
        assert!(!created_before(&BatchLoadTaskDescription::default(), 1e12));
    }
}
