//! The one place that writes to stdout and stderr.

use crate::cli::ColorChoice;

/// Decides colour and where output goes.
#[derive(Debug)]
pub(crate) struct Printer {
    pub(crate) color: ColorChoice,
}

impl Printer {
    pub(crate) fn new(color: ColorChoice) -> Self {
        Self { color }
    }
}
