//! The `tsload` command line: arguments, settings, printing and progress.
//! Everything else lives in the library crates under `crates/`.

mod aws;
mod cli;
mod commands;
mod exit;
mod printer;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let status = commands::run(cli);
    status.into()
}
