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

use std::sync::Arc;

use tsload_csv::Record;
use tsload_mapper::{ChunkChecker, Plan, RowOutcome, WriteRecord};
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
    /// A batch reached a writer that did not ask for its layout (a bug).
    #[error("internal error: a batch of records in a layout its writer did not ask for")]
    Mismatch,
    /// The extension names no known format.
    #[error("`{}`: unknown output format; use a `.jsonl` or `.parquet` file name", .0.display())]
    UnknownFormat(PathBuf),
}

/// Receives records in input order.
///
/// Records reach a writer in one of two ways. The owned way is
/// [`RecordWriter::write`]: [`WriteRecord`]s with their source lines (the
/// emulator takes them so). A writer that lays records out itself says so
/// by its [`Encoding`]: the pipeline then fills one [`Batch`] per chunk on
/// the worker threads, straight from the rows ([`tsload_mapper::RecordView`]),
/// and hands the batches to [`RecordWriter::write_batch`] in input order.
pub trait RecordWriter: Send {
    /// How this writer wants records; asked once per run, before any row.
    /// The default: owned records ([`Encoding::Owned`]).
    fn encoding(&self) -> Encoding {
        Encoding::Owned
    }
    /// Appends records. `lines[i]` is the 1-based physical line of the CSV
    /// row that produced `records[i]` (header = line 1), so a writer that
    /// rejects a record can say which row it came from.
    fn write(&mut self, records: &[WriteRecord], lines: &[u64]) -> Result<(), EmitError>;
    /// Appends the records of one chunk, in the shape this writer's
    /// [`encoding`](Self::encoding) asked for. The default takes owned
    /// batches through [`write`](Self::write).
    fn write_batch(&mut self, batch: Batch) -> Result<(), EmitError> {
        match batch {
            Batch::Owned(b) => self.write(&b.records, &b.lines),
            _ => Err(EmitError::Mismatch),
        }
    }
    /// Completes the file; returns the number of records written.
    fn finish(self: Box<Self>) -> Result<u64, EmitError>;
}

/// How a writer takes records, for the whole run. `Sync`: the worker
/// threads derive each file's [`Layout`] from it.
#[derive(Debug, Clone)]
pub enum Encoding {
    /// Owned [`WriteRecord`]s and their lines.
    Owned,
    /// JSON lines, written by the workers ([`tsload_mapper::RecordView::write_json`]).
    Jsonl,
    /// Columns of the Parquet table.
    Parquet(Arc<parquet::TableShape>),
}

impl Encoding {
    /// The layout of one file's records: the plan's dimensions and value
    /// slots resolved to columns once, before the rows.
    pub fn layout(&self, plan: &Plan) -> Result<Layout, EmitError> {
        Ok(match self {
            Self::Owned => Layout::Owned,
            Self::Jsonl => Layout::Jsonl,
            Self::Parquet(shape) => Layout::Parquet(Arc::new(shape.layout(plan)?)),
        })
    }
}

/// How the records of one file are laid out ([`Encoding::layout`]).
#[derive(Debug, Clone)]
pub enum Layout {
    /// Owned records.
    Owned,
    /// JSON lines.
    Jsonl,
    /// Parquet columns.
    Parquet(Arc<parquet::FileLayout>),
}

impl Layout {
    /// An empty batch for one chunk, with room for about `rows` records.
    pub fn batch(&self, rows: usize) -> Batch {
        match self {
            Self::Owned => Batch::Owned(OwnedBatch::default()),
            Self::Jsonl => Batch::Jsonl(JsonlBatch {
                lines: Vec::with_capacity(rows * 256),
                count: 0,
            }),
            Self::Parquet(l) => Batch::Parquet(parquet::ColumnBatch::for_chunk(l, rows)),
        }
    }
}

/// The records of one chunk, laid out for a writer.
#[derive(Debug)]
pub enum Batch {
    /// Owned records.
    Owned(OwnedBatch),
    /// JSON lines.
    Jsonl(JsonlBatch),
    /// Parquet columns.
    Parquet(parquet::ColumnBatch),
}

impl Batch {
    /// Checks a row and adds the records it would write.
    #[inline]
    pub fn add(&mut self, checker: &mut ChunkChecker<'_>, record: &Record<'_>) -> RowOutcome {
        match self {
            Self::Owned(b) => {
                let outcome = checker.check_and_build(record, &mut b.records);
                b.lines.resize(b.records.len(), record.position().line);
                outcome
            }
            Self::Jsonl(b) => {
                let outcome = checker.check_into(record, &mut b.lines);
                if let RowOutcome::Records { ingested, .. } = outcome {
                    b.count += u64::from(ingested);
                }
                outcome
            }
            Self::Parquet(b) => checker.check_into(record, b),
        }
    }

    /// Makes the chunk-relative lines of the records absolute: `base` is
    /// the line before the chunk's first (as in [`tsload_csv::Position`]).
    pub fn rebase(&mut self, base: u64) {
        if let Self::Owned(b) = self {
            for l in &mut b.lines {
                *l += base;
            }
        }
    }
}

/// Owned records of a chunk, with the line of the row each came from.
#[derive(Debug, Default)]
pub struct OwnedBatch {
    /// The records.
    pub records: Vec<WriteRecord>,
    /// `lines[i]`: the physical line of the row of `records[i]`.
    pub lines: Vec<u64>,
}

/// JSON lines of a chunk.
#[derive(Debug, Default)]
pub struct JsonlBatch {
    /// The lines, each ended by `\n`.
    pub lines: Vec<u8>,
    /// How many records they hold.
    pub count: u64,
}

/// Opens a writer for `path`, choosing the format from the extension.
pub fn open(path: &Path, model: &DataModel) -> Result<Box<dyn RecordWriter>, EmitError> {
    match EmitFormat::from_path(path) {
        Some(EmitFormat::Jsonl) => Ok(Box::new(jsonl::JsonlWriter::create(path)?)),
        Some(EmitFormat::Parquet) => Ok(Box::new(parquet::ParquetWriter::create(path, model)?)),
        None => Err(EmitError::UnknownFormat(path.to_path_buf())),
    }
}
