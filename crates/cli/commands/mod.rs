//! One module per subcommand: `fn run(args, printer) -> ExitStatus`.

pub(crate) mod check;
pub(crate) mod emulate;
pub(crate) mod validate;

use crate::cli::{Cli, Command};
use crate::exit::ExitStatus;
use crate::printer::Printer;

/// Dispatches to the subcommand.
pub(crate) fn run(cli: Cli) -> ExitStatus {
    let printer = Printer::new(cli.color);
    match cli.command {
        Command::Check(args) => check::run(&args, &printer),
        Command::Validate(args) => validate::run(&args, &printer),
        Command::Emulate(args) => emulate::run(&args, &printer),
    }
}
