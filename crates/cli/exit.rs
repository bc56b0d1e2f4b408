//! Exit codes shared by every command (documented in `--help` and README).

use std::process::ExitCode;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    /// 0: clean (warnings allowed unless `--deny-warnings`); task SUCCEEDED.
    Success,
    /// 1: the input has errors; validation found failures; task FAILED.
    Failure,
    /// 2: usage error, unreadable or unparseable input, AWS error.
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> Self {
        match s {
            ExitStatus::Success => ExitCode::SUCCESS,
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
        }
    }
}
