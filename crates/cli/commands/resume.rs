//! `tsload resume TASK_ID`: ResumeBatchLoadTask for a PROGRESS_STOPPED
//! task that is still resumable (checked first, so the message can say why
//! not).

use tsload_model::wire::BatchLoadStatus;
use tsload_runner::submit::api::BatchLoadApi;
use tsload_runner::submit::run::{Clock, SystemClock};

use super::submit::{connect, reattach_hint, runtime, time};
use super::validate::Fatal;
use crate::aws::AwsArgs;
use crate::exit::ExitStatus;
use crate::printer::Printer;

/// Arguments of `tsload resume`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The task id.
    pub(crate) task_id: String,
    #[command(flatten)]
    pub(crate) aws: AwsArgs,
}

pub(crate) fn run(args: &Args, printer: &Printer) -> ExitStatus {
    match resume(args, printer) {
        Ok(s) => s,
        Err(Fatal(m)) => {
            printer.error(&m);
            ExitStatus::Error
        }
    }
}

fn resume(args: &Args, printer: &Printer) -> Result<ExitStatus, Fatal> {
    let rt = runtime()?;
    let id = &args.task_id;
    rt.block_on(async {
        let (api, _) = connect(&args.aws, printer).await?;
        let d = api
            .describe_task(id)
            .await
            .map_err(|e| Fatal(e.to_string()))?;
        let status = d.task_status.clone();
        if status != Some(BatchLoadStatus::ProgressStopped) {
            return Err(Fatal(format!(
                "task {id} is {}, not PROGRESS_STOPPED: only a stopped task can be resumed",
                status.as_ref().map_or("?", BatchLoadStatus::as_str)
            )));
        }
        if let Some(until) = d.resumable_until
            && until <= SystemClock.now()
        {
            return Err(Fatal(format!(
                "task {id} was resumable until {}; it can no longer be resumed",
                time(Some(until))
            )));
        }
        api.resume_task(id).await.map_err(|e| Fatal(e.to_string()))
    })?;
    printer.out(&format!("task {id}: resume requested\n"));
    printer.note(&format!(
        "follow it with: {}",
        reattach_hint(std::slice::from_ref(id), &args.aws)
    ));
    Ok(ExitStatus::Success)
}
