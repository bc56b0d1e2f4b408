//! `--emit`: the records a load would write, streamed to a file with
//! bounded memory.
//!
//! - `.jsonl`: one WriteRecords `Record` per line, in the API's JSON shape.
//! - `.parquet`: the shape of the Timestream table (see [`parquet`]).
//!
//! Output files are written atomically: they appear complete, or not at all.

pub mod jsonl;
pub mod parquet;

use std::path::{Path, PathBuf};

use tsload_mapper::WriteRecord;
use tsload_model::effective::DataModel;

/// The format of an `--emit` file, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmitFormat {
    /// JSON lines.
    Jsonl,
    /// Apache Parquet.
    Parquet,
}

impl EmitFormat {
    /// From the path's extension (`.jsonl`, `.ndjson`, `.parquet`).
    pub fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Some(Self::Jsonl),
            "parquet" | "pq" => Some(Self::Parquet),
            _ => None,
        }
    }
}

/// Writing the emitted records failed.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    /// The file could not be written.
    #[error(transparent)]
    Write(#[from] crate::atomic::WriteError),
    /// The Parquet writer failed.
    #[error("cannot write Parquet to `{}`: {message}", path.display())]
    Parquet {
        /// The output.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The data model has no single table shape.
    #[error("cannot emit Parquet: {0}")]
    Shape(String),
    /// The extension names no known format.
    #[error("`{}`: unknown output format; use a `.jsonl` or `.parquet` file name", .0.display())]
    UnknownFormat(PathBuf),
}

/// Receives records in input order.
pub trait RecordWriter: Send {
    /// Appends records. `lines[i]` is the 1-based physical line of the CSV
    /// row that produced `records[i]` (header = line 1), so a writer that
    /// rejects a record can say which row it came from.
    fn write(&mut self, records: &[WriteRecord], lines: &[u64]) -> Result<(), EmitError>;
    /// Completes the file; returns the number of records written.
    fn finish(self: Box<Self>) -> Result<u64, EmitError>;
}

/// Opens a writer for `path`, choosing the format from the extension.
pub fn open(path: &Path, model: &DataModel) -> Result<Box<dyn RecordWriter>, EmitError> {
    match EmitFormat::from_path(path) {
        Some(EmitFormat::Jsonl) => Ok(Box::new(jsonl::JsonlWriter::create(path)?)),
        Some(EmitFormat::Parquet) => Ok(Box::new(parquet::ParquetWriter::create(path, model)?)),
        None => Err(EmitError::UnknownFormat(path.to_path_buf())),
    }
}
