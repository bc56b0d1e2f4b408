//! `tsload wait TASK_ID...`: follows tasks until they end (resuming
//! PROGRESS_STOPPED ones unless `--no-resume`), and explains the error
//! report of a failed one against the objects under its S3 prefix.

use tsload_model::effective::{CsvDialect, DataModel};
use tsload_model::wire::BatchLoadTaskDescription;
use tsload_runner::input::Input;
use tsload_runner::submit::report::{self, FoundReport};
use tsload_runner::submit::run::{Job, Outcome};

use super::submit::{
    PollArgs, TaskProgress, connect, explain_reports, finished_json, finished_text, resolve_local,
    run_jobs, runtime, status_of,
};
use super::validate::{Fatal, Inputs};
use crate::aws::AwsArgs;
use crate::cli::Format;
use crate::exit::ExitStatus;
use crate::printer::Printer;

/// Arguments of `tsload wait`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The task ids.
    #[arg(required = true, value_name = "TASK_ID")]
    pub(crate) task_ids: Vec<String>,
    /// Output format of the result on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
    /// No progress bars.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
    #[command(flatten)]
    pub(crate) poll: PollArgs,
    #[command(flatten)]
    pub(crate) aws: AwsArgs,
}

pub(crate) fn run(args: &Args, printer: &Printer) -> ExitStatus {
    match wait(args, printer) {
        Ok(s) => s,
        Err(fatal) => fatal.report(printer, args.format, "wait"),
    }
}

/// Explains reports with the model, dialect and S3 objects of the task's
/// own description (an S3-hosted data model is read too).
pub(crate) fn explain_from_description(
    d: &BatchLoadTaskDescription,
    reports: &[FoundReport],
    aws: &AwsArgs,
) -> Result<Vec<super::submit::ReportExplained>, Fatal> {
    if reports.is_empty() {
        return Ok(Vec::new());
    }
    let settings = aws.settings();
    // The description read back as a task (its describe form).
    let text = serde_json::to_string(&tsload_model::wire::DescribeBatchLoadTaskResponse {
        batch_load_task_description: Some(d.clone()),
    })?;
    let name = format!("task {}", d.task_id.as_deref().unwrap_or("?"));
    let loaded = tsload_model::load(&text, &name).map_err(|e| Fatal(e.message()))?;
    let (model, _) = super::validate::data_model(&loaded, &settings)?;
    let model: DataModel = model;
    let dialect = CsvDialect::from_wire(
        d.data_source_configuration
            .as_ref()
            .and_then(|c| c.csv_configuration.as_ref()),
    )?;
    let source = d
        .data_source_configuration
        .as_ref()
        .and_then(|c| c.data_source_s3_configuration.as_ref());
    let (Some(bucket), prefix) = (
        source.and_then(|s| s.bucket_name.clone()),
        source
            .and_then(|s| s.object_key_prefix.clone())
            .unwrap_or_default(),
    ) else {
        return Ok(Vec::new());
    };
    let s3 = tsload_runner::s3::S3Source::new(&settings)?;
    let objects: Vec<(String, Input)> = s3
        .list(&bucket, &prefix)?
        .into_iter()
        .filter_map(|i| match &i {
            Input::S3 { key, .. } => Some((key.clone(), i.clone())),
            _ => None,
        })
        .collect();
    let ctx = tsload_mapper::CheckContext {
        record_version: d.record_version.unwrap_or(1),
        ..tsload_mapper::CheckContext::default()
    };
    let opener = Inputs { s3: Some(s3) };
    let resolve = |name: &str| resolve_local(name, &objects);
    explain_reports(reports, &model, &dialect, ctx, &opener, &resolve)
}

fn wait(args: &Args, printer: &Printer) -> Result<ExitStatus, Fatal> {
    let poll = args.poll.options()?;
    let rt = runtime()?;
    let (api, s3) = rt.block_on(connect(&args.aws, printer))?;
    let jobs = args
        .task_ids
        .iter()
        .map(|id| Job::Attach {
            task_id: id.clone(),
        })
        .collect();
    let observer = TaskProgress::new(printer, args.quiet, None);
    let result = rt.block_on(run_jobs(&api, jobs, &poll, true, &observer));
    observer.finish();
    let Some(result) = result.map_err(|e| Fatal(e.to_string()))? else {
        super::submit::detached(printer, args.format, "wait", &args.task_ids, &args.aws);
        return Ok(ExitStatus::Error);
    };
    let mut per_task = Vec::new();
    for f in &result.finished {
        if f.outcome != Outcome::Failed {
            per_task.push((Vec::new(), None));
            continue;
        }
        let found = rt.block_on(report::fetch(&s3, &f.description));
        match found {
            Ok(found) => match explain_from_description(&f.description, &found, &args.aws) {
                Ok(ex) => per_task.push((ex, None)),
                Err(Fatal(m)) => per_task.push((Vec::new(), Some(m))),
            },
            Err(e) => per_task.push((Vec::new(), Some(e.to_string()))),
        }
    }
    match args.format {
        Format::Json => printer.json(&serde_json::json!({
            "version": 1,
            "command": "wait",
            "ok": status_of(&result.finished) == ExitStatus::Success,
            "tasks": result.finished.iter().zip(&per_task)
                .map(|(f, (ex, e))| finished_json(f, ex, e.as_deref())).collect::<Vec<_>>(),
        })),
        Format::Human => {
            let mut s = String::new();
            for (f, (ex, e)) in result.finished.iter().zip(&per_task) {
                s.push_str(&finished_text(f, ex, e.as_deref()));
            }
            printer.out(&s);
        }
    }
    Ok(status_of(&result.finished))
}
