//! The progress bar of long runs (indicatif), on stderr only when stderr is
//! a terminal and `--quiet` is not given.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tsload_runner::progress::Progress;

/// A bar of bytes (with rows and the current input in its message), or
/// nothing.
pub(crate) struct Bar {
    bar: Option<ProgressBar>,
    /// Rows so far and the current input's name.
    state: Mutex<(u64, String)>,
}

impl Bar {
    /// A bar sized to `total_bytes` when known; hidden when `quiet` or when
    /// stderr is not a terminal.
    pub(crate) fn new(quiet: bool, total_bytes: Option<u64>) -> Self {
        if quiet
            || !std::io::stderr().is_terminal()
            || std::env::var_os("TSLOAD_NO_PROGRESS").is_some()
        {
            return Self {
                bar: None,
                state: Mutex::new((0, String::new())),
            };
        }
        let bar = match total_bytes {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
        )
        .expect("valid template");
        bar.set_style(style);
        Self {
            bar: Some(bar),
            state: Mutex::new((0, String::new())),
        }
    }

    /// Clears the bar.
    pub(crate) fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn input_started(&self, name: &str, _size: Option<u64>) {
        if let Some(b) = &self.bar {
            let mut state = self.state.lock().expect("progress lock");
            // File names come from the user and from S3 listings.
            state.1 = crate::printer::escape_line(name).into_owned();
            b.set_message(format!("{} rows · {}", state.0, state.1));
        }
    }

    fn advance(&self, bytes: u64, rows: u64) {
        if let Some(b) = &self.bar {
            let mut state = self.state.lock().expect("progress lock");
            state.0 += rows;
            b.inc(bytes);
            b.set_message(format!("{} rows · {}", state.0, state.1));
        }
    }
}
