//! `tsload check FILE`: static checks of a task or data model.
//!
//! Reads a `CreateBatchLoadTask` request, a bare `DataModel`, a
//! `DescribeBatchLoadTask` response or a `DataModelConfiguration`
//! ([`tsload_model::load()`]), runs every
//! static check ([`tsload_model::check`]) and reports the diagnostics.
//!
//! Exit codes: 0 no errors (and no warnings under `--deny-warnings`); 1 the
//! file has errors (or warnings under `--deny-warnings`); 2 the file cannot
//! be read or is not a task (not JSON, wrong JSON types).
//!
//! # `--format json` (document version 1)
//!
//! One JSON object on stdout:
//!
//! | field | type | meaning |
//! |---|---|---|
//! | `version` | number | `1`; bumped on incompatible changes |
//! | `command` | string | `"check"` |
//! | `file` | string | the file as named on the command line |
//! | `form` | `"request"` \| `"data_model"` \| `"describe"` \| `"data_model_configuration"` \| null | what the file holds; null when it could not be loaded |
//! | `ok` | bool | whether the exit code is 0 |
//! | `diagnostics` | array | [`JsonDiagnostic`]s, sorted by position |
//! | `summary` | object | `{"errors": n, "warnings": n}` |
//! | `error` | object? | only when the file could not be loaded: `{"message", "line"?, "column"?, "pointer"?}` |
//! | `effective` | object \| null | only with `--effective`: the effective task (see below), null when the task has errors |
//!
//! # `--effective`
//!
//! The task with every default filled in: for a request or a describe
//! response, the `CreateBatchLoadTask` request with `DestinationColumn`,
//! `TargetMultiMeasureAttributeName`, `TimeUnit`, the CSV dialect and
//! `RecordVersion` written out; for a bare data model, the data model; for a
//! data model configuration, the configuration with its model filled in. In
//! human format it is printed on stdout as JSON (diagnostics stay on
//! stderr, with a note of each default's evidence: some are inferred);
//! with `--format json` it is the `effective` member.

use std::path::PathBuf;

use serde::Serialize;
use tsload_model::{Form, LoadError, check, effective, load, wire};

use crate::cli::Format;
use crate::exit::ExitStatus;
use crate::printer::{Counts, JsonDiagnostic, Printer};

/// Arguments of `tsload check`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// A CreateBatchLoadTask request (`--cli-input-json` form), a bare
    /// DataModel, a DescribeBatchLoadTask response, or a
    /// DataModelConfiguration (`--data-model-configuration` form).
    pub(crate) file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
    /// Print the effective task: defaults filled in.
    #[arg(long)]
    pub(crate) effective: bool,
    /// Exit 1 on warnings too.
    #[arg(long)]
    pub(crate) deny_warnings: bool,
}

/// The `--format json` document (version 1; see the module doc).
#[derive(Debug, Serialize)]
struct Document<'a> {
    version: u32,
    command: &'static str,
    file: &'a str,
    form: Option<Form>,
    ok: bool,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: Counts,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<JsonError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    effective: Option<EffectiveTask>,
}

/// What `--effective` prints: a request, or a bare data model; `null` in
/// JSON when the task has errors.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum EffectiveTask {
    /// The task has errors, so it has no effective form.
    Withheld,
    Request(Box<wire::CreateBatchLoadTaskRequest>),
    DataModel(Box<wire::DataModel>),
    DataModelConfiguration(Box<wire::DataModelConfiguration>),
}

#[derive(Debug, Serialize)]
struct JsonError {
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pointer: Option<String>,
}

pub(crate) fn run(args: &Args, printer: &Printer) -> ExitStatus {
    let name = args.file.display().to_string();
    let loaded = match fs_err::read(&args.file) {
        Err(e) => {
            let message = error_chain(&e);
            let json = JsonError {
                message: message.clone(),
                line: None,
                column: None,
                pointer: None,
            };
            fail(args, printer, &name, &message, json);
            return ExitStatus::Error;
        }
        Ok(bytes) => match load::load_bytes(&bytes, &name) {
            Ok(l) => l,
            Err(e) => {
                let (message, json) = load_error(&e);
                fail(args, printer, &name, &message, json);
                return ExitStatus::Error;
            }
        },
    };

    let diagnostics = check::check(&loaded);
    let counts = Counts::of(&diagnostics);
    let failed = counts.errors > 0 || (args.deny_warnings && counts.warnings > 0);
    let effective = args.effective.then(|| {
        (counts.errors == 0)
            .then(|| effective_task(&loaded))
            .flatten()
            .unwrap_or(EffectiveTask::Withheld)
    });

    match args.format {
        Format::Human => {
            printer.diagnostics(&diagnostics);
            let mut what = loaded.form.title().to_owned();
            if args.deny_warnings && counts.errors == 0 && counts.warnings > 0 {
                what.push_str("; warnings are denied");
            }
            printer.summary(&name, counts, &what);
            match effective {
                Some(EffectiveTask::Withheld) => {
                    printer.note("no effective task: fix the errors first");
                }
                Some(e) => {
                    printer.json(&e);
                    printer.note(DEFAULTS_EVIDENCE);
                }
                None => {}
            }
        }
        Format::Json => printer.json(&Document {
            version: 1,
            command: "check",
            file: &name,
            form: Some(loaded.form),
            ok: !failed,
            diagnostics: JsonDiagnostic::all(&diagnostics),
            summary: counts,
            error: None,
            effective,
        }),
    }
    if failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
}

/// Where the filled-in defaults come from (spec §1.4): not all of them are
/// documented, and the JSON itself cannot say so.
const DEFAULTS_EVIDENCE: &str = "the defaults filled in, and their evidence: \
TimeUnit MILLISECONDS [MODEL]; DestinationColumn and TargetMultiMeasureAttributeName = SourceColumn [EX]; \
TargetMeasureName = MeasureName, else SourceColumn [INF]; RecordVersion 1 [EX]; \
CsvConfiguration: ColumnSeparator `,` and QuoteChar `\"` [INF], no EscapeChar [INF], TrimWhiteSpace false [INF]";

/// The effective task, or `None` when conversion fails (which the checks
/// rule out for tasks without errors).
fn effective_task(loaded: &load::Loaded) -> Option<EffectiveTask> {
    Some(match loaded.form {
        Form::DataModel => {
            let m = effective::DataModel::from_wire(loaded.data_model()?).ok()?;
            EffectiveTask::DataModel(Box::new(m.to_wire()))
        }
        Form::DataModelConfiguration => {
            let mut c = loaded.request.data_model_configuration.clone()?;
            if let Some(m) = c.data_model.as_mut() {
                *m = effective::DataModel::from_wire(m).ok()?.to_wire();
            }
            EffectiveTask::DataModelConfiguration(Box::new(c))
        }
        Form::Request | Form::Describe => EffectiveTask::Request(Box::new(
            effective::request_with_defaults(&loaded.request).ok()?,
        )),
    })
}

fn load_error(e: &LoadError) -> (String, JsonError) {
    let pos = e.position();
    let json = JsonError {
        message: e.message(),
        line: Some(pos.line),
        column: Some(pos.column),
        pointer: e.pointer().map(str::to_owned),
    };
    (e.to_string(), json)
}

/// Reports a file that could not be loaded: on stderr always, and as the
/// JSON document's `error` with `--format json`.
fn fail(args: &Args, printer: &Printer, name: &str, message: &str, error: JsonError) {
    printer.error(message);
    if args.format == Format::Json {
        printer.json(&Document {
            version: 1,
            command: "check",
            file: name,
            form: None,
            ok: false,
            diagnostics: Vec::new(),
            summary: Counts::default(),
            error: Some(error),
            effective: args.effective.then_some(EffectiveTask::Withheld),
        });
    }
}

/// `e` followed by its sources, `: `-separated (fs-err names the path, the
/// OS error comes from the source).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = inner.source();
    }
    s
}
