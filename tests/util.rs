//! Helpers shared by the integration tests: run the binary from the
//! repository root with deterministic output, and render a run as one block
//! for snapshots (uv's layout).

use std::path::Path;
use std::process::{Command, Output};

/// The repository root.
pub(crate) fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tsload ARGS` from the repository root: no colour, no progress bar, no
/// AWS settings from the environment of the person running the tests.
pub(crate) fn tsload(args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("tsload"));
    cmd.current_dir(root())
        .args(args)
        .env("NO_COLOR", "1")
        .env("TSLOAD_NO_PROGRESS", "1")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_S3")
        .env_remove("AWS_ENDPOINT_URL_TIMESTREAM_WRITE");
    cmd
}

/// Exit code, stdout and stderr as one block.
pub(crate) fn block(out: &Output) -> String {
    format!(
        "exit_code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `tsload ARGS` and returns `(exit code, block)`.
pub(crate) fn run(args: &[&str]) -> (i32, String) {
    let out = tsload(args).output().expect("tsload runs");
    (out.status.code().unwrap_or(-1), block(&out))
}
