//! Argument definitions (clap derive). Each subcommand's arguments live next
//! to its implementation in `commands/<name>.rs`.

use clap::{Parser, Subcommand, ValueEnum};

use crate::commands;

/// Exit codes, shown at the end of `--help`.
const EXIT_CODES: &str = "\
Exit codes:
  0  clean: no errors (warnings allowed unless --deny-warnings); task SUCCEEDED
  1  the input has errors, validation found failures, or the task FAILED
  2  usage error, unreadable or unparseable input, or an AWS error";

/// Pre-flight validation, dry runs and orchestrated imports for Amazon
/// Timestream for LiveAnalytics batch load.
#[derive(Debug, Parser)]
#[command(name = "tsload", version, about, after_help = EXIT_CODES, max_term_width = 100)]
pub(crate) struct Cli {
    /// When to use colour (`NO_COLOR` is respected by `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Colour choice for human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colour when the stream is a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Output format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum Format {
    /// Text for people.
    #[default]
    Human,
    /// One JSON document on stdout: tsload's reports carry `version` and
    /// `command` (README); `status` and `list` print the service's response,
    /// as `aws timestream-write` does.
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check a task definition (or a bare data model) offline.
    #[command(after_help = EXIT_CODES)]
    Check(commands::check::Args),
    /// Validate CSV inputs against a task offline: the records, the
    /// ProgressReport and the error report the load would produce.
    #[command(after_help = EXIT_CODES)]
    Validate(Box<commands::validate::Args>),
    /// Run a local Timestream Write endpoint that executes batch loads
    /// (and, with `--serve-s3`, an S3-compatible server).
    Emulate(commands::emulate::Args),
    /// Validate, upload and load: CreateBatchLoadTask with a derived
    /// ClientToken, polled to the end, failures explained.
    #[command(after_help = EXIT_CODES)]
    Submit(Box<commands::submit::Args>),
    /// Follow batch-load tasks until they end (resuming stopped ones).
    #[command(after_help = EXIT_CODES)]
    Wait(commands::wait::Args),
    /// Show one batch-load task (DescribeBatchLoadTask).
    Status(commands::status::Args),
    /// List batch-load tasks (every page).
    List(commands::list::Args),
    /// Resume a PROGRESS_STOPPED batch-load task.
    Resume(commands::resume::Args),
    /// Explain a service error report: its line ranges mapped to the rows
    /// of the inputs and re-checked locally.
    Explain(Box<commands::explain::Args>),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
