//! `tsload list [--status S]`: every batch-load task (all pages).
//! `--format json` prints the service's `ListBatchLoadTasks` shape with
//! every page merged: `{"BatchLoadTasks": [...]}`.

use tsload_model::wire::BatchLoadStatus;
use tsload_runner::submit::api::BatchLoadApi;

use super::submit::{connect, runtime, time};
use super::validate::Fatal;
use crate::aws::AwsArgs;
use crate::cli::Format;
use crate::exit::ExitStatus;
use crate::printer::Printer;

/// Task statuses (spec §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum Status {
    /// Created.
    Created,
    /// In progress.
    InProgress,
    /// Completed with errors.
    Failed,
    /// Completed without errors.
    Succeeded,
    /// Stopped; may be resumed.
    ProgressStopped,
    /// Pending resume.
    PendingResume,
}

impl Status {
    fn wire(self) -> BatchLoadStatus {
        match self {
            Self::Created => BatchLoadStatus::Created,
            Self::InProgress => BatchLoadStatus::InProgress,
            Self::Failed => BatchLoadStatus::Failed,
            Self::Succeeded => BatchLoadStatus::Succeeded,
            Self::ProgressStopped => BatchLoadStatus::ProgressStopped,
            Self::PendingResume => BatchLoadStatus::PendingResume,
        }
    }
}

/// Arguments of `tsload list`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only tasks in this status.
    #[arg(long, value_enum, ignore_case = true)]
    pub(crate) status: Option<Status>,
    /// Tasks asked for per ListBatchLoadTasks call (MaxResults, 1..100);
    /// every page is read whatever this is.
    #[arg(long, value_name = "N", default_value_t = 100,
          value_parser = clap::value_parser!(i32).range(1..=100))]
    pub(crate) page_size: i32,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) format: Format,
    #[command(flatten)]
    pub(crate) aws: AwsArgs,
}

pub(crate) fn run(args: &Args, printer: &Printer) -> ExitStatus {
    match list(args, printer) {
        Ok(s) => s,
        Err(Fatal(m)) => {
            printer.error(&m);
            ExitStatus::Error
        }
    }
}

fn list(args: &Args, printer: &Printer) -> Result<ExitStatus, Fatal> {
    let rt = runtime()?;
    let status = args.status.map(Status::wire);
    let mut tasks = rt.block_on(async {
        let (api, _) = connect(&args.aws, printer).await?;
        let api = api.with_page_size(args.page_size);
        api.list_tasks(status.as_ref())
            .await
            .map_err(|e| Fatal(e.to_string()))
    })?;
    tasks.sort_by(|a, b| {
        b.creation_time
            .partial_cmp(&a.creation_time)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.task_id.cmp(&b.task_id))
    });
    match args.format {
        Format::Json => {
            // A struct, not a `json!` map: the members keep the service's
            // order instead of being sorted.
            #[derive(serde::Serialize)]
            struct Listed<'a> {
                #[serde(rename = "BatchLoadTasks")]
                tasks: &'a [tsload_runner::submit::api::TaskSummary],
            }
            printer.json(&Listed { tasks: &tasks });
        }
        Format::Human => {
            use std::fmt::Write as _;
            let mut s = String::new();
            if tasks.is_empty() {
                s.push_str("no batch load tasks\n");
            } else {
                let _ = writeln!(
                    s,
                    "{:<32}  {:<16}  {:<30}  {:<20}  {:<20}  RESUMABLE UNTIL",
                    "TASK ID", "STATUS", "TABLE", "CREATED", "UPDATED"
                );
            }
            for t in &tasks {
                let table = format!(
                    "{}.{}",
                    t.database_name.as_deref().unwrap_or("?"),
                    t.table_name.as_deref().unwrap_or("?")
                );
                let _ = writeln!(
                    s,
                    "{:<32}  {:<16}  {:<30}  {:<20}  {:<20}  {}",
                    t.task_id,
                    t.task_status.as_str(),
                    table,
                    time(t.creation_time),
                    time(t.last_updated_time),
                    if t.resumable_until.is_some() {
                        time(t.resumable_until)
                    } else {
                        "-".to_owned()
                    }
                );
            }
            printer.out(&s);
        }
    }
    Ok(ExitStatus::Success)
}
