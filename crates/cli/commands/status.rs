//! `tsload status TASK_ID`: one DescribeBatchLoadTask. `--format json`
//! prints the service's own `DescribeBatchLoadTask` response shape, which
//! `tsload check` and `tsload validate` read back as a task.

use tsload_model::wire::{BatchLoadStatus, DescribeBatchLoadTaskResponse};
use tsload_runner::submit::api::BatchLoadApi;

use super::submit::{connect, progress_lines, runtime, time};
use super::validate::Fatal;
use crate::aws::AwsArgs;
use crate::cli::Format;
use crate::exit::ExitStatus;
use crate::printer::Printer;

/// Arguments of `tsload status`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The task id.
    pub(crate) task_id: String,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
    #[command(flatten)]
    pub(crate) aws: AwsArgs,
}

pub(crate) fn run(args: &Args, printer: &Printer) -> ExitStatus {
    match status(args, printer) {
        Ok(s) => s,
        Err(Fatal(m)) => {
            printer.error(&m);
            ExitStatus::Error
        }
    }
}

fn status(args: &Args, printer: &Printer) -> Result<ExitStatus, Fatal> {
    let rt = runtime()?;
    let d = rt.block_on(async {
        let (api, _) = connect(&args.aws, printer).await?;
        api.describe_task(&args.task_id)
            .await
            .map_err(|e| Fatal(e.to_string()))
    })?;
    // As `wait` and the README's table: a task that FAILED is exit 1; one
    // still running, stopped or succeeded is 0.
    let exit = match d.task_status {
        Some(BatchLoadStatus::Failed) => ExitStatus::Failure,
        _ => ExitStatus::Success,
    };
    match args.format {
        Format::Json => printer.json(&DescribeBatchLoadTaskResponse {
            batch_load_task_description: Some(d),
        }),
        Format::Human => {
            use std::fmt::Write as _;
            let mut s = String::new();
            let status = d.task_status.as_ref().map_or("?", BatchLoadStatus::as_str);
            let _ = writeln!(s, "task {}: {status}", args.task_id);
            let _ = writeln!(
                s,
                "  table          {}.{}",
                d.target_database_name.as_deref().unwrap_or("?"),
                d.target_table_name.as_deref().unwrap_or("?")
            );
            if let Some(src) = d
                .data_source_configuration
                .as_ref()
                .and_then(|c| c.data_source_s3_configuration.as_ref())
            {
                let _ = writeln!(
                    s,
                    "  source         s3://{}/{}",
                    src.bucket_name.as_deref().unwrap_or("?"),
                    src.object_key_prefix.as_deref().unwrap_or("")
                );
            }
            let _ = writeln!(s, "  created        {}", time(d.creation_time));
            let _ = writeln!(s, "  last updated   {}", time(d.last_updated_time));
            if d.resumable_until.is_some() {
                let _ = writeln!(s, "  resumable until {}", time(d.resumable_until));
            }
            if let Some(v) = d.record_version {
                let _ = writeln!(s, "  record version {v}");
            }
            s.push_str("ProgressReport:\n");
            s.push_str(&progress_lines(&d));
            if let Some(m) = &d.error_message {
                let _ = writeln!(s, "error message: {m}");
            }
            if d.task_status == Some(BatchLoadStatus::ProgressStopped) {
                let _ = writeln!(s, "{}", super::submit::resume_hint(&args.task_id, &d));
            }
            printer.out(&s);
        }
    }
    Ok(exit)
}
