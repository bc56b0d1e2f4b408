//! `tsload explain REPORT TASK.json [INPUT...]`: each `lineRanges` entry of
//! a service error report mapped back to the rows of the input (local
//! files, or the task's S3 prefix without inputs), re-checked with the
//! local validator, with the likely cause per range.
//!
//! A report entry tsload cannot read as a range (not two positive integers
//! in order) is named in a warning, before the explanation and in the
//! JSON's `warnings`, and makes the exit code 1: the explanation is
//! incomplete, though nothing crashed.

use std::path::PathBuf;

use tsload_runner::input::Input;
use tsload_runner::submit::{plan, report};

use super::submit::{explain_reports, explanation_text, resolve_local, runtime, warnings_text};
use super::validate::{self as v, Fatal};
use crate::aws::AwsArgs;
use crate::cli::Format;
use crate::exit::ExitStatus;
use crate::printer::Printer;

/// Arguments of `tsload explain`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
A report's `fileName` is matched to the input uploaded to that S3 key, else to the input with \
the same relative path or file name. `lineRanges` are read as 1-based physical lines with the \
header as line 1 [INF].")]
pub(crate) struct Args {
    /// The error report: a file, or an `s3://bucket/key` URL.
    pub(crate) report: String,
    /// The task the report belongs to (for its data model and CSV dialect).
    pub(crate) task: PathBuf,
    /// The inputs of the load (default: the task's S3 source).
    pub(crate) inputs: Vec<String>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,

    /// The ingestion window the local check uses.
    #[command(flatten)]
    pub(crate) window: v::WindowArgs,

    #[command(flatten)]
    pub(crate) aws: crate::aws::AwsArgs,
}

pub(crate) fn run(args: &Args, printer: &Printer) -> ExitStatus {
    match explain(args, printer) {
        Ok(s) => s,
        Err(fatal) => fatal.report(printer, args.format, "explain"),
    }
}

fn validate_args(args: &Args) -> v::Args {
    v::Args {
        task: args.task.clone(),
        inputs: args.inputs.clone(),
        format: args.format,
        report: None,
        diagnostics: None,
        emit: None,
        max_errors: 100_000,
        sample: None,
        threads: None,
        duplicates: v::DuplicateArgs::default(),
        quiet: true,
        deny_warnings: false,
        separator: None,
        quote: None,
        escape: None,
        null_value: None,
        trim: false,
        window: args.window.clone(),
        // The command printed `--verbose` itself, if asked.
        aws: AwsArgs {
            verbose: false,
            ..args.aws.clone()
        },
    }
}

fn explain(args: &Args, printer: &Printer) -> Result<ExitStatus, Fatal> {
    let vargs = validate_args(args);
    let (loaded, _) = match v::load_task(&vargs, printer) {
        Ok(x) => x,
        Err(Ok(status)) => return Ok(status),
        Err(Err(fatal)) => return Err(fatal),
    };
    let aws = vargs.aws.settings();
    let rt = runtime()?;
    let client = if args.report.starts_with("s3://") {
        let config = rt.block_on(tsload_runner::aws::sdk_config(&aws))?;
        Some(tsload_runner::aws::s3_client(&config, &aws))
    } else {
        None
    };
    let found = rt.block_on(report::read(client.as_ref(), &args.report))?;
    let warnings = &found.warnings;
    let dialect = v::dialect(&vargs, &loaded)?;
    let (model, _) = v::data_model(&loaded, &aws)?;
    let ctx = v::context(&vargs, &loaded)?;
    let mut s3 = None;
    let inputs = v::inputs(&vargs, &loaded, &mut s3, &aws)?;
    let paths: Vec<PathBuf> = inputs
        .iter()
        .filter_map(|i| match i {
            Input::File { path, .. } => Some(path.clone()),
            _ => None,
        })
        .collect();
    let mut names = plan::key_names(&paths).into_iter();
    let keys: Vec<(String, Input)> = inputs
        .iter()
        .map(|i| match i {
            Input::S3 { key, .. } => (key.clone(), i.clone()),
            _ => (names.next().unwrap_or_default(), i.clone()),
        })
        .collect();
    let opener = v::Inputs { s3 };
    let resolve = |name: &str| resolve_local(name, &keys);
    let explained = explain_reports(
        std::slice::from_ref(&found),
        &model,
        &dialect,
        ctx,
        &opener,
        &resolve,
    )?;
    let (_, e, _) = &explained[0];
    match args.format {
        Format::Json => printer.json(&serde_json::json!({
            "version": 1,
            "command": "explain",
            // As the exit code: every entry of the report was explained.
            "ok": warnings.is_empty(),
            "report": found.url,
            "warnings": warnings,
            "explanation": e,
        })),
        Format::Human => {
            let mut s = warnings_text(warnings);
            s.push_str(&explanation_text(e));
            printer.out(&s);
        }
    }
    // Entries left unexplained: the input (the report) has errors.
    Ok(if warnings.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
