//! `tsload validate TASK_OR_MODEL.json [INPUT...]`: offline pre-flight
//! validation and dry-run reports.

use std::path::{Path, PathBuf};

use crate::cli::Format;

/// Arguments of `tsload validate`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Inputs may be files, directories (every file under them, sorted), glob patterns, `-` for \
standard input, or `s3://bucket/prefix` URLs. Without inputs, the task's own S3 source \
(DataSourceS3Configuration) is listed and streamed.")]
pub(crate) struct Args {
    /// The task: a CreateBatchLoadTask request, a bare DataModel, or a
    /// DescribeBatchLoadTask response.
    pub(crate) task: PathBuf,
    /// CSV inputs (default: the task's S3 source).
    pub(crate) inputs: Vec<String>,

    /// Output format of the summary on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
    /// Write the error report in the service's own layout to this file.
    #[arg(long, value_name = "PATH")]
    pub(crate) report: Option<PathBuf>,
    /// Write every kept diagnostic, with full detail, as JSON lines.
    #[arg(long, value_name = "PATH")]
    pub(crate) diagnostics: Option<PathBuf>,
    /// Write the records the load would ingest (`.jsonl` or `.parquet`).
    #[arg(long, value_name = "PATH")]
    pub(crate) emit: Option<PathBuf>,
    /// Keep at most N diagnostics per file (counting goes on).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub(crate) max_errors: usize,
    /// Check only the first N data rows of each file (N ≥ 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) sample: Option<u64>,
    /// Worker threads, 1..=256 (default: all cores, at most 256).
    #[arg(
        long,
        short = 'j',
        value_name = "N",
        value_parser = threads_parser()
    )]
    pub(crate) threads: Option<usize>,
    /// The duplicate table's size.
    #[command(flatten)]
    pub(crate) duplicates: DuplicateArgs,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
    /// Exit 1 on warnings too.
    #[arg(long)]
    pub(crate) deny_warnings: bool,

    /// Column separator, for a bare data model (default `,`).
    #[arg(long, help_heading = "Dialect (bare data model only)")]
    pub(crate) separator: Option<String>,
    /// Quote character (default `"`).
    #[arg(long, help_heading = "Dialect (bare data model only)")]
    pub(crate) quote: Option<String>,
    /// Escape character (default none).
    #[arg(long, help_heading = "Dialect (bare data model only)")]
    pub(crate) escape: Option<String>,
    /// A field equal to this is null (1 to 256 characters, as in a task).
    #[arg(long, help_heading = "Dialect (bare data model only)", value_parser = null_value)]
    pub(crate) null_value: Option<String>,
    /// Trim leading and trailing white space.
    #[arg(long, help_heading = "Dialect (bare data model only)")]
    pub(crate) trim: bool,

    /// The ingestion window rows are checked against.
    #[command(flatten)]
    pub(crate) window: WindowArgs,

    /// S3 (inputs) and Timestream (`--describe-table`) settings.
    #[command(flatten)]
    pub(crate) aws: crate::aws::AwsArgs,
}

/// The size of the duplicate-key table (`validate`, and `submit`'s
/// pre-flight, whose summary hints at it).
#[derive(Debug, Clone, Copy, clap::Args)]
pub(crate) struct DuplicateArgs {
    /// Distinct record keys (dimensions, time, measure name) remembered to
    /// find duplicate records across the load; 0 turns duplicate detection
    /// off. The table takes 35-70 bytes per key (13 MiB at the default);
    /// past N keys, new ones are only compared with those tracked.
    #[arg(
        long,
        value_name = "N",
        default_value_t = tsload_mapper::DEFAULT_DUPLICATE_KEYS as u64,
        value_parser = clap::value_parser!(u64).range(..=tsload_mapper::MAX_DUPLICATE_KEYS as u64)
    )]
    pub(crate) duplicate_keys: u64,
}

impl Default for DuplicateArgs {
    fn default() -> Self {
        Self {
            duplicate_keys: tsload_mapper::DEFAULT_DUPLICATE_KEYS as u64,
        }
    }
}

impl DuplicateArgs {
    /// The capacity for [`Options::duplicate_keys`].
    pub(crate) fn capacity(self) -> usize {
        usize::try_from(self.duplicate_keys).unwrap_or(tsload_mapper::MAX_DUPLICATE_KEYS)
    }
}

/// The ingestion window: its reference time and the table's retention
/// (`validate` and `explain`).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct WindowArgs {
    /// Reference time of the ingestion window (RFC 3339; default now).
    #[arg(long, value_name = "RFC3339", help_heading = "Ingestion window")]
    pub(crate) now: Option<String>,
    /// The table's memory store retention, in hours.
    #[arg(long, value_name = "N", help_heading = "Ingestion window")]
    pub(crate) memory_retention_hours: Option<u64>,
    /// The table's magnetic store retention, in days.
    #[arg(long, value_name = "N", help_heading = "Ingestion window")]
    pub(crate) magnetic_retention_days: Option<u64>,
    /// The table has magnetic store writes enabled.
    #[arg(long, help_heading = "Ingestion window")]
    pub(crate) magnetic_writes: bool,
    /// Read retention, magnetic store writes and the partition key from the
    /// target table (DescribeTable).
    #[arg(long, help_heading = "Ingestion window")]
    pub(crate) describe_table: bool,
}

use std::io::Read;

use serde::Serialize;
use tsload_mapper::{CheckContext, Counters, TableRetention, Window};
use tsload_model::Loaded;
use tsload_model::diag::{ColumnNo, Diagnostic, Severity};
use tsload_model::effective::{CsvDialect, DataModel};
use tsload_runner::atomic::{self, AtomicFile, WriteError};
use tsload_runner::aws::AwsSettings;
use tsload_runner::emit;
use tsload_runner::error_report::{ErrorReport, FileError, FileErrors};
use tsload_runner::input::{self, Expanded, Input, InputSpec};
use tsload_runner::s3::S3Source;
use tsload_runner::validate::{Opener, Options, Pipeline, Validation};

use crate::exit::ExitStatus;
use crate::printer::{JsonDiagnostic, Printer};
use crate::progress::Bar;

/// Examples of each rule shown in the summary.
const EXAMPLES_PER_RULE: usize = 3;

/// A failure that ends the command with exit code 2.
pub(crate) struct Fatal(pub(crate) String);

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(e: E) -> Self {
        Fatal(e.to_string())
    }
}

/// Opens local inputs directly and S3 objects through the S3 client.
pub(crate) struct Inputs {
    pub(crate) s3: Option<S3Source>,
}

impl Opener for Inputs {
    fn open(&self, input: &Input) -> std::io::Result<Box<dyn Read + Send>> {
        match input {
            Input::S3 { bucket, key, .. } => {
                let s3 = self
                    .s3
                    .as_ref()
                    .ok_or_else(|| std::io::Error::other("no S3 client"))?;
                let body = s3.open(bucket, key).map_err(std::io::Error::other)?;
                Ok(Box::new(body))
            }
            local => tsload_runner::validate::LocalOpener.open(local),
        }
    }

    fn open_at(
        &self,
        input: &Input,
    ) -> std::io::Result<Option<std::sync::Arc<dyn tsload_csv::ReadAt>>> {
        tsload_runner::validate::LocalOpener.open_at(input)
    }
}

pub(crate) fn run(args: &Args, printer: &Printer) -> ExitStatus {
    match validate(args, printer) {
        Ok(status) => status,
        Err(fatal) => fatal.report(printer, args.format, "validate"),
    }
}

impl Fatal {
    /// Says why the command could not run, on stderr, and with `--format
    /// json` also as the command's document on stdout (`"ok": false` and an
    /// `error`), so that a pipeline reading stdout gets JSON either way.
    pub(crate) fn report(self, printer: &Printer, format: Format, command: &str) -> ExitStatus {
        printer.error(&self.0);
        if format == Format::Json {
            printer.json(&serde_json::json!({
                "version": 1,
                "command": command,
                "ok": false,
                "error": {"message": self.0},
            }));
        }
        ExitStatus::Error
    }
}

/// The most worker threads: each holds a few chunk buffers, and past the
/// cores more threads only wait (a user's `--threads 100000` ran for
/// minutes on a 24-row file).
const MAX_THREADS: usize = 256;

/// `--threads`: 1..=[`MAX_THREADS`] (validate and submit's pre-flight).
pub(crate) fn threads_parser() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_THREADS as u64)
}

/// The pipeline's options for `args` (`validate`, and `submit`'s
/// pre-flight through its validate arguments).
pub(crate) fn options(args: &Args, context: CheckContext) -> Options {
    Options {
        threads: args.threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, |n| usize::from(n).min(MAX_THREADS))
        }),
        sample_rows: args.sample,
        context,
        duplicate_keys: args.duplicates.capacity(),
        ..Options::default()
    }
}

/// Loads and checks the task; `Err(status)` when the command must stop.
pub(crate) fn load_task(
    args: &Args,
    printer: &Printer,
) -> Result<(Loaded, Vec<Diagnostic>), Result<ExitStatus, Fatal>> {
    let name = args.task.display().to_string();
    let bytes =
        std::fs::read(&args.task).map_err(|e| Err(Fatal(format!("cannot read `{name}`: {e}"))))?;
    let loaded = tsload_model::load_bytes(&bytes, &name).map_err(|e| {
        let p = e.position();
        Err(Fatal(format!(
            "`{name}`:{}:{}: {}",
            p.line,
            p.column,
            e.message()
        )))
    })?;
    let diags = tsload_model::check::check(&loaded);
    if tsload_model::check::has_errors(&diags) {
        if args.format == crate::cli::Format::Human {
            printer.diagnostics(&diags);
        }
        printer.error(&format!(
            "`{name}` has errors; fix them first (see `tsload check {name}`): no data was read"
        ));
        if args.format == crate::cli::Format::Json {
            printer.json(&serde_json::json!({
                "version": 1,
                "command": "validate",
                "task": {"file": name, "form": loaded.form},
                "ok": false,
                "task_diagnostics": JsonDiagnostic::all(&diags),
            }));
        }
        return Err(Ok(ExitStatus::Failure));
    }
    Ok((loaded, diags))
}

fn one_char(flag: &str, v: &str) -> Result<String, Fatal> {
    let s = if v == "\\t" || v.eq_ignore_ascii_case("tab") {
        "\t"
    } else {
        v
    };
    if s.chars().count() != 1 {
        return Err(Fatal(format!(
            "`--{flag}` takes one character, found `{v}`"
        )));
    }
    Ok(s.to_owned())
}

/// `--null-value`: 1..=256 characters, the task's `NullValue` constraint
/// (spec §2.2 \[MODEL\]); an empty field is null already.
fn null_value(s: &str) -> Result<String, String> {
    match s.chars().count() {
        1..=256 => Ok(s.to_owned()),
        0 => Err("must not be empty (an empty field is read as null already)".into()),
        n => Err(format!("must be at most 256 characters, found {n}")),
    }
}

pub(crate) fn dialect(args: &Args, loaded: &Loaded) -> Result<CsvDialect, Fatal> {
    let flags = args.separator.is_some()
        || args.quote.is_some()
        || args.escape.is_some()
        || args.null_value.is_some()
        || args.trim;
    if loaded.form.is_whole_task() {
        if flags {
            return Err(Fatal(format!(
                "the dialect flags apply to a bare data model; `{}` is a {} and its CsvConfiguration is used",
                args.task.display(),
                loaded.form.title()
            )));
        }
        let csv = loaded
            .request
            .data_source_configuration
            .as_ref()
            .and_then(|d| d.csv_configuration.as_ref());
        return Ok(CsvDialect::from_wire(csv)?);
    }
    let config = tsload_model::wire::CsvConfiguration {
        column_separator: args
            .separator
            .as_deref()
            .map(|s| one_char("separator", s))
            .transpose()?,
        quote_char: args
            .quote
            .as_deref()
            .map(|s| one_char("quote", s))
            .transpose()?,
        escape_char: args
            .escape
            .as_deref()
            .map(|s| one_char("escape", s))
            .transpose()?,
        null_value: args.null_value.clone(),
        trim_white_space: args.trim.then_some(true),
    };
    Ok(CsvDialect::from_wire(Some(&config))?)
}

pub(crate) fn context(args: &Args, loaded: &Loaded) -> Result<CheckContext, Fatal> {
    let w = &args.window;
    let mut ctx = CheckContext {
        max_findings: args.max_errors,
        record_version: loaded.request.record_version.unwrap_or(1),
        ..CheckContext::default()
    };
    if let Some(now) = &w.now {
        let t = chrono::DateTime::parse_from_rfc3339(now).map_err(|e| {
            Fatal(format!(
                "`--now {now}`: not an RFC 3339 time ({e}); e.g. 2024-05-01T12:00:00Z"
            ))
        })?;
        ctx.reference_time_ns = t
            .timestamp_nanos_opt()
            .ok_or_else(|| Fatal(format!("`--now {now}` is outside 1677..2262")))?;
    }
    let flags = w.memory_retention_hours.is_some()
        || w.magnetic_retention_days.is_some()
        || w.magnetic_writes;
    if flags && w.describe_table {
        return Err(Fatal(
            "give either `--describe-table` or the retention flags, not both".into(),
        ));
    }
    if flags {
        let d = TableRetention::default();
        let memory = w
            .memory_retention_hours
            .unwrap_or(d.memory_store_retention_hours);
        let magnetic = w
            .magnetic_retention_days
            .unwrap_or(d.magnetic_store_retention_days);
        if !(1..=8766).contains(&memory) {
            return Err(Fatal(format!(
                "`--memory-retention-hours {memory}`: the service allows 1 to 8766"
            )));
        }
        if !(1..=73000).contains(&magnetic) {
            return Err(Fatal(format!(
                "`--magnetic-retention-days {magnetic}`: the service allows 1 to 73000"
            )));
        }
        ctx.table = Some(TableRetention {
            memory_store_retention_hours: memory,
            magnetic_store_retention_days: magnetic,
            magnetic_store_writes: w.magnetic_writes,
        });
    }
    if w.describe_table {
        let (db, table) =
            match (
                &loaded.request.target_database_name,
                &loaded.request.target_table_name,
            ) {
                (Some(d), Some(t)) => (d.clone(), t.clone()),
                _ => return Err(Fatal(
                    "`--describe-table` needs a task with TargetDatabaseName and TargetTableName"
                        .into(),
                )),
            };
        let settings = args.aws.timestream();
        let info =
            tsload_runner::timestream::describe_table(&settings, &db, &table).map_err(|e| {
                Fatal(format!(
                    "`--describe-table`: cannot describe table `{table}` of database `{db}`: {}",
                    e.message
                ))
            })?;
        ctx.table = Some(info.retention);
        ctx.required_dimensions = info.required_dimensions;
    }
    Ok(ctx)
}

/// The data model: inline, or fetched from `DataModelS3Configuration`.
pub(crate) fn data_model(
    loaded: &Loaded,
    aws: &AwsSettings,
) -> Result<(DataModel, Vec<Diagnostic>), Fatal> {
    if let Some(m) = loaded.data_model() {
        return Ok((DataModel::from_wire(m)?, Vec::new()));
    }
    let s3conf = loaded
        .request
        .data_model_configuration
        .as_ref()
        .and_then(|c| c.data_model_s3_configuration.as_ref())
        .ok_or_else(|| Fatal("the task has no data model".into()))?;
    let (Some(bucket), Some(key)) = (&s3conf.bucket_name, &s3conf.object_key) else {
        return Err(Fatal(
            "DataModelS3Configuration needs BucketName and ObjectKey".into(),
        ));
    };
    let s3 = S3Source::new(aws)?;
    let mut text = Vec::new();
    s3.open(bucket, key)?.read_to_end(&mut text)?;
    let name = format!("s3://{bucket}/{key}");
    let model = tsload_model::load_bytes(&text, &name)
        .map_err(|e| Fatal(format!("`{name}`: {}", e.message())))?;
    let diags = tsload_model::check::check(&model);
    if tsload_model::check::has_errors(&diags) {
        return Err(Fatal(format!(
            "the data model `{name}` has errors; run `tsload check` on a copy of it"
        )));
    }
    let m = model
        .data_model()
        .ok_or_else(|| Fatal(format!("`{name}` holds no data model")))?;
    Ok((DataModel::from_wire(m)?, diags))
}

pub(crate) fn inputs(
    args: &Args,
    loaded: &Loaded,
    s3: &mut Option<S3Source>,
    aws: &AwsSettings,
) -> Result<Vec<Input>, Fatal> {
    let specs: Vec<InputSpec> = if args.inputs.is_empty() {
        let src = loaded
            .request
            .data_source_configuration
            .as_ref()
            .and_then(|d| d.data_source_s3_configuration.as_ref())
            .and_then(|s| {
                s.bucket_name
                    .as_ref()
                    .map(|b| (b, s.object_key_prefix.clone().unwrap_or_default()))
            });
        match src {
            Some((bucket, prefix)) => vec![InputSpec::S3 {
                bucket: bucket.clone(),
                prefix,
            }],
            None => {
                return Err(Fatal(
                    "no inputs: give CSV files, directories, globs, `-` or `s3://` URLs (a bare data model has no S3 source)"
                        .into(),
                ));
            }
        }
    } else {
        args.inputs.iter().map(|a| InputSpec::parse(a)).collect()
    };
    let mut out = Vec::new();
    for e in input::expand_local(&specs)? {
        match e {
            Expanded::Local(i) => out.push(i),
            Expanded::Remote { bucket, prefix } => {
                if s3.is_none() {
                    *s3 = Some(S3Source::new(aws)?);
                }
                let listed = s3.as_ref().expect("just made").list(&bucket, &prefix)?;
                if listed.is_empty() {
                    return Err(Fatal(format!(
                        "`s3://{bucket}/{prefix}`: no objects under this prefix"
                    )));
                }
                out.extend(listed);
            }
        }
    }
    // Each input once: a file twice would count its rows twice (and
    // `submit` would upload it twice).
    input::check_distinct(&out)?;
    Ok(out)
}

fn validate(args: &Args, printer: &Printer) -> Result<ExitStatus, Fatal> {
    let (loaded, mut task_diags) = match load_task(args, printer) {
        Ok(x) => x,
        Err(Ok(status)) => return Ok(status),
        Err(Err(fatal)) => return Err(fatal),
    };
    let aws = args.aws.settings();
    if args.aws.verbose {
        let settings = super::submit::runtime()?.block_on(args.aws.describe())?;
        printer.err(&settings);
    }
    let dialect = dialect(args, &loaded)?;
    let (model, model_diags) = data_model(&loaded, &aws)?;
    task_diags.extend(model_diags);
    let ctx = context(args, &loaded)?;
    let mut s3 = None;
    let inputs = inputs(args, &loaded, &mut s3, &aws)?;
    let quota = input::check_quotas(&inputs);
    let outputs: Vec<(&'static str, &Path)> = [
        ("--report", args.report.as_deref()),
        ("--diagnostics", args.diagnostics.as_deref()),
        ("--emit", args.emit.as_deref()),
    ]
    .into_iter()
    .filter_map(|(flag, path)| Some((flag, path?)))
    .collect();
    let reads = inputs.iter().filter_map(|i| match i {
        Input::File { path, .. } => Some(path.as_path()),
        _ => None,
    });
    atomic::check_outputs(&outputs, std::iter::once(args.task.as_path()).chain(reads))?;
    // Every output is started (its temporary file created beside it) before
    // any input is read: a path that cannot be written fails now, not after
    // an hour of reading, and no output appears unless all of them can.
    let report_file = args.report.as_deref().map(AtomicFile::create).transpose()?;
    let diagnostics_file = args
        .diagnostics
        .as_deref()
        .map(AtomicFile::create)
        .transpose()?;
    let writer = match &args.emit {
        Some(path) => Some(emit::open(path, &model)?),
        None => None,
    };
    let pipeline = Pipeline::new(&model, &dialect, options(args, ctx))?;
    let total_bytes: Option<u64> = inputs.iter().map(Input::size).sum();
    let bar = Bar::new(args.quiet, total_bytes);
    let opener = Inputs { s3 };
    let validation = pipeline.run(&inputs, &opener, writer, &bar)?;
    bar.finish();

    if let Some(file) = report_file {
        let report = error_report(&validation);
        let mut text = serde_json::to_vec_pretty(&report)?;
        text.push(b'\n');
        finish_output(file, &text)?;
    }
    if let Some(file) = diagnostics_file {
        let mut text = Vec::new();
        for d in task_diags
            .iter()
            .chain(&quota)
            .chain(validation.files.iter().flat_map(|f| &f.result.diagnostics))
        {
            serde_json::to_writer(&mut text, &JsonDiagnostic::new(d))?;
            text.push(b'\n');
        }
        finish_output(file, &text)?;
    }
    let summary = Summary::new(args, &loaded, &task_diags, &quota, &validation);
    match args.format {
        crate::cli::Format::Json => printer.json(&summary.document()),
        crate::cli::Format::Human => {
            if !task_diags.is_empty() {
                printer.diagnostics(&task_diags);
            }
            printer.out_styled(&summary.human());
        }
    }
    Ok(summary.status())
}

/// Writes `bytes` to a started output file and puts it in place.
fn finish_output(mut file: AtomicFile, bytes: &[u8]) -> Result<(), WriteError> {
    use std::io::Write as _;
    file.write_all(bytes).map_err(|source| WriteError {
        path: file.path().to_path_buf(),
        source,
    })?;
    file.commit()
}

/// The service-layout error report of a dry run.
fn error_report(v: &Validation) -> ErrorReport {
    ErrorReport {
        task_id: "LOCAL".to_owned(),
        task_errors: Vec::new(),
        file_errors: v
            .files
            .iter()
            .filter(|f| !f.result.errors.is_empty())
            .map(|f| FileErrors {
                file_name: f.input.report_name(),
                errors: f
                    .result
                    .errors
                    .iter()
                    .map(|e| FileError {
                        reason: e.reason.to_owned(),
                        line_ranges: e.line_ranges.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// The six counters under the service's names.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ProgressReport {
    records_processed: u64,
    records_ingested: u64,
    parse_failures: u64,
    record_ingestion_failures: u64,
    file_failures: u64,
    bytes_metered: u64,
}

impl From<Counters> for ProgressReport {
    fn from(c: Counters) -> Self {
        Self {
            records_processed: c.records_processed,
            records_ingested: c.records_ingested,
            parse_failures: c.parse_failures,
            record_ingestion_failures: c.record_ingestion_failures,
            file_failures: c.file_failures,
            bytes_metered: c.bytes_metered,
        }
    }
}

/// What a run found, for both output formats.
pub(crate) struct Summary<'a> {
    args: &'a Args,
    loaded: &'a Loaded,
    task: &'a [Diagnostic],
    quota: &'a [Diagnostic],
    v: &'a Validation,
}

/// One rule's count and first examples.
struct RuleLine<'a> {
    rule: &'static tsload_model::Rule,
    count: u64,
    examples: Vec<&'a Diagnostic>,
}

impl<'a> Summary<'a> {
    pub(crate) fn new(
        args: &'a Args,
        loaded: &'a Loaded,
        task: &'a [Diagnostic],
        quota: &'a [Diagnostic],
        v: &'a Validation,
    ) -> Self {
        Self {
            args,
            loaded,
            task,
            quota,
            v,
        }
    }

    fn diagnostics(&self) -> impl Iterator<Item = &'a Diagnostic> {
        self.quota
            .iter()
            .chain(self.v.files.iter().flat_map(|f| &f.result.diagnostics))
    }

    /// Rules by count (most frequent first, errors before warnings), with
    /// the first examples kept.
    fn rules(&self) -> Vec<RuleLine<'a>> {
        let mut lines: Vec<RuleLine<'a>> = Vec::new();
        for c in &self.v.totals.rule_counts {
            lines.push(RuleLine {
                rule: c.rule,
                count: c.count,
                examples: Vec::new(),
            });
        }
        for d in self.diagnostics() {
            let i = if let Some(i) = lines.iter().position(|l| std::ptr::eq(l.rule, d.rule)) {
                i
            } else {
                lines.push(RuleLine {
                    rule: d.rule,
                    count: 1,
                    examples: Vec::new(),
                });
                lines.len() - 1
            };
            let line = &mut lines[i];
            if line.examples.len() < EXAMPLES_PER_RULE {
                line.examples.push(d);
            }
        }
        lines.sort_by(|a, b| {
            a.rule
                .severity
                .cmp(&b.rule.severity)
                .then(b.count.cmp(&a.count))
                .then(a.rule.code.cmp(b.rule.code))
        });
        lines
    }

    pub(crate) fn failed(&self) -> bool {
        let c = self.v.totals.counters;
        c.parse_failures + c.record_ingestion_failures + c.file_failures > 0
            || self.diagnostics().any(Diagnostic::is_error)
    }

    fn warned(&self) -> bool {
        self.task
            .iter()
            .chain(self.diagnostics())
            .any(|d| d.severity == Severity::Warning)
    }

    /// Warnings were found and `--deny-warnings` makes them fail the run.
    fn denied(&self) -> bool {
        self.args.deny_warnings && self.warned()
    }

    fn status(&self) -> ExitStatus {
        if self.failed() || self.denied() {
            ExitStatus::Failure
        } else {
            ExitStatus::Success
        }
    }

    fn window(&self) -> serde_json::Value {
        let w = self.v.files.iter().find_map(|f| f.result.window);
        let mut v = serde_json::to_value(w).expect("window serialises");
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "retention_checked".into(),
                self.v.totals.window_checked.into(),
            );
        }
        v
    }

    /// The `--format json` document, version 1 (documented in README).
    pub(crate) fn document(&self) -> serde_json::Value {
        let files: Vec<serde_json::Value> = self
            .v
            .files
            .iter()
            .map(|f| {
                serde_json::json!({
                    "file": f.input.name(),
                    "bytes": f.bytes,
                    "sampled": f.sampled,
                    "ProgressReport": ProgressReport::from(f.result.counters),
                    "rules": f.result.rule_counts,
                    "errors": f.result.errors,
                    "diagnostics_kept": f.result.diagnostics.len(),
                    "diagnostics_dropped": f.result.diagnostics_dropped,
                })
            })
            .collect();
        let rules: Vec<serde_json::Value> = self
            .rules()
            .iter()
            .map(|l| {
                serde_json::json!({
                    "code": l.rule.code,
                    "slug": l.rule.slug,
                    "severity": l.rule.severity,
                    "evidence": l.rule.evidence,
                    "summary": l.rule.summary,
                    "count": l.count,
                    "examples": l.examples.iter().map(|d| JsonDiagnostic::new(d)).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::json!({
            "version": 1,
            "command": "validate",
            "ok": !self.failed() && !self.denied(),
            "task": {"file": self.args.task.display().to_string(), "form": self.loaded.form},
            "ProgressReport": ProgressReport::from(self.v.totals.counters),
            "BytesMeteredIsEstimate": true,
            "window": self.window(),
            "files": files,
            "rules": rules,
            "diagnostics_dropped": self.v.totals.diagnostics_dropped,
            "duplicates": self.v.duplicates,
            "emitted": self.v.emitted.map(|n| serde_json::json!({
                "path": self.args.emit.as_ref().map(|p| p.display().to_string()),
                "records": n,
            })),
            "task_diagnostics": JsonDiagnostic::all(self.task),
            "input_diagnostics": JsonDiagnostic::all(self.quota),
        })
    }

    pub(crate) fn human(&self) -> String {
        use crate::printer::{BOLD, ERROR, INFERRED, WARNING, count, escape_line as esc, plural};
        use std::fmt::Write as _;
        use tsload_model::{Evidence, Severity};
        // Text from the user (file and column names, values, messages
        // quoting them) is escaped, line breaks too, so that each entry keeps
        // its line: the stream only strips the styles.
        let mut s = String::new();
        let c = self.v.totals.counters;
        let n = self.v.files.len();
        let _ = writeln!(
            s,
            "{}, {}{}",
            count(n as u64, "input", "inputs"),
            count(c.records_processed, "data row", "data rows"),
            if self.v.files.iter().any(|f| f.sampled) {
                " (sampled)"
            } else {
                ""
            }
        );
        let _ = writeln!(s, "\n{BOLD}ProgressReport (predicted):{BOLD:#}");
        for (k, v) in [
            ("RecordsProcessed", c.records_processed),
            ("RecordsIngested", c.records_ingested),
            ("ParseFailures", c.parse_failures),
            ("RecordIngestionFailures", c.record_ingestion_failures),
            ("FileFailures", c.file_failures),
        ] {
            let _ = writeln!(s, "  {k:<24}{v:>12}");
        }
        let _ = writeln!(
            s,
            "  {:<24}{:>12}  (estimate [INF])",
            "BytesMetered", c.bytes_metered
        );
        let window = match self.v.files.iter().find_map(|f| f.result.window) {
            Some(Window::Checked { retention, .. }) if self.v.totals.window_checked => format!(
                "checked against the table's retention ({} h memory, {} d magnetic, magnetic writes {})",
                retention.memory_store_retention_hours,
                retention.magnetic_store_retention_days,
                if retention.magnetic_store_writes { "on" } else { "off" }
            ),
            Some(_) => "NOT checked against the table's retention (only 1970..2262 and at most 15 minutes ahead); \
                        give --memory-retention-hours/--magnetic-retention-days/--magnetic-writes or --describe-table"
                .to_owned(),
            None => "not evaluated (no rows were checked)".to_owned(),
        };
        let _ = writeln!(s, "\n{BOLD}Ingestion window:{BOLD:#} {window}");
        if n > 1 || c.file_failures > 0 {
            let _ = writeln!(s, "\n{BOLD}Inputs:{BOLD:#}");
            for f in &self.v.files {
                let fc = f.result.counters;
                let state = if fc.file_failures > 0 {
                    "FILE FAILURE".to_owned()
                } else {
                    format!(
                        "{}, {} ingested, {}, {}",
                        count(fc.records_processed, "row", "rows"),
                        fc.records_ingested,
                        count(fc.parse_failures, "parse failure", "parse failures"),
                        count(
                            fc.record_ingestion_failures,
                            "ingestion failure",
                            "ingestion failures"
                        )
                    )
                };
                let _ = writeln!(s, "  {}: {state}", esc(&f.input.name()));
            }
        }
        let rules = self.rules();
        if rules.is_empty() {
            let _ = writeln!(s, "\n{BOLD}No problems found.{BOLD:#}");
        } else {
            let _ = writeln!(
                s,
                "\n{BOLD}Problems, errors first, most frequent first:{BOLD:#}"
            );
            for l in &rules {
                let style = match l.rule.severity {
                    Severity::Error => ERROR,
                    Severity::Warning => WARNING,
                };
                let _ = writeln!(
                    s,
                    "  {style}{}[{}]{style:#} {} x{}: {}",
                    l.rule.severity, l.rule.code, l.rule.slug, l.count, l.rule.summary
                );
                let evidence = if l.rule.evidence == Evidence::Inf {
                    INFERRED
                } else {
                    anstyle::Style::new()
                };
                let _ = writeln!(
                    s,
                    "      evidence: {evidence}{}{evidence:#}",
                    crate::printer::evidence_label(l.rule.evidence)
                );
                for d in &l.examples {
                    let place = match &d.location {
                        tsload_model::Location::Data {
                            line,
                            column,
                            field,
                            ..
                        } => {
                            // The column's name, or its number when it has
                            // none (an empty header field).
                            let col = column.clone().filter(|c| !c.is_empty()).or_else(|| {
                                field.map(|f| format!("column {}", ColumnNo(f as usize)))
                            });
                            match col {
                                Some(col) => {
                                    format!("{}:{line}:{col}", d.file.as_deref().unwrap_or("-"))
                                }
                                None => format!("{}:{line}", d.file.as_deref().unwrap_or("-")),
                            }
                        }
                        _ => d.file.clone().unwrap_or_else(|| "-".into()),
                    };
                    let _ = write!(s, "      {}: {}", esc(&place), esc(&d.message));
                    if let Some(v) = &d.value {
                        let _ = write!(s, " (value `{}`)", esc(v));
                    }
                    let _ = writeln!(s);
                    if let Some(h) = &d.hint {
                        let _ = writeln!(s, "        hint: {}", esc(h));
                    }
                }
            }
        }
        if self.v.totals.diagnostics_dropped > 0 {
            let _ = writeln!(
                s,
                "\n{} more {} counted but not kept (--max-errors {}).",
                self.v.totals.diagnostics_dropped,
                plural(
                    self.v.totals.diagnostics_dropped,
                    "finding was",
                    "findings were"
                ),
                self.args.max_errors
            );
        }
        let d = self.v.duplicates;
        if d.capacity == 0 {
            let _ = writeln!(s, "\nDuplicate detection was off (--duplicate-keys 0).");
        } else if d.saturated() {
            let _ = writeln!(
                s,
                "\nDuplicate detection was partial: the table filled at {} distinct keys; {} later records were not remembered, so a duplicate among them goes unnoticed.",
                d.tracked_keys, d.untracked_records
            );
            // Distinct keys are at most the tracked ones plus the records
            // past them.
            let all = d.tracked_keys as u64 + d.untracked_records;
            let max = tsload_mapper::MAX_DUPLICATE_KEYS as u64;
            let _ = if all <= max {
                writeln!(
                    s,
                    "    hint: --duplicate-keys {all} tracks them all (35-70 bytes of memory per key)"
                )
            } else {
                writeln!(
                    s,
                    "    hint: --duplicate-keys {max} (the most) tracks more (35-70 bytes of memory per key)"
                )
            };
        }
        if let Some(nrec) = self.v.emitted {
            let _ = writeln!(
                s,
                "\nWrote {} to {}.",
                count(nrec, "record", "records"),
                self.args
                    .emit
                    .as_ref()
                    .map_or_else(String::new, |p| esc(&p.display().to_string()).into_owned())
            );
        }
        let (style, verdict) = if self.failed() {
            (ERROR, "FAILURES FOUND")
        } else if self.denied() {
            (WARNING, "warnings found, denied by --deny-warnings")
        } else {
            (BOLD, "clean")
        };
        let _ = writeln!(s, "\n{BOLD}Result:{BOLD:#} {style}{verdict}{style:#}");
        s
    }
}
