//! Progress callbacks. The library reports; the binary decides how progress
//! looks (an indicatif bar on a terminal, nothing otherwise), as uv does.

/// Receives progress from a validation run. Calls come from the thread that
/// drives the run, a few times per chunk, never per row.
pub trait Progress: Send + Sync {
    /// A new input starts; `size` is known for files and S3 objects.
    fn input_started(&self, name: &str, size: Option<u64>) {
        let _ = (name, size);
    }
    /// `bytes` more bytes and `rows` more rows were checked.
    fn advance(&self, bytes: u64, rows: u64) {
        let _ = (bytes, rows);
    }
    /// The input is done.
    fn input_finished(&self, name: &str) {
        let _ = name;
    }
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {}
