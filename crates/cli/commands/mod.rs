//! One module per subcommand: `fn run(args, printer) -> ExitStatus`.

pub(crate) mod check;
pub(crate) mod emulate;
pub(crate) mod explain;
pub(crate) mod list;
pub(crate) mod resume;
pub(crate) mod status;
pub(crate) mod submit;
pub(crate) mod validate;
pub(crate) mod wait;

use crate::cli::{Cli, Command};
use crate::exit::ExitStatus;
use crate::printer::Printer;

/// Dispatches to the subcommand.
pub(crate) fn run(cli: Cli) -> ExitStatus {
    let printer = Printer::new(cli.color);
    let status = match cli.command {
        Command::Check(args) => check::run(&args, &printer),
        Command::Validate(args) => validate::run(&args, &printer),
        Command::Emulate(args) => emulate::run(&args, &printer),
        Command::Submit(args) => submit::run(&args, &printer),
        Command::Wait(args) => wait::run(&args, &printer),
        Command::Status(args) => status::run(&args, &printer),
        Command::List(args) => list::run(&args, &printer),
        Command::Resume(args) => resume::run(&args, &printer),
        Command::Explain(args) => explain::run(&args, &printer),
    };
    match printer.stdout_error() {
        Some(e) => {
            printer.error(&format!("cannot write to standard output: {e}"));
            ExitStatus::Error
        }
        None => status,
    }
}
