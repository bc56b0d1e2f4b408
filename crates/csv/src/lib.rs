//! tsload-csv: a CSV reader that follows Timestream's `CsvConfiguration`,
//! fast and in parallel, with positions and framing findings.
//!
//! (Full design notes: see the sections below.)

pub mod chunk;
mod header;
mod null;
mod parser;
mod reader;
pub mod record;
pub mod rules;
mod scan;

pub use chunk::ChunkStats;
pub use header::{Bom, Header, HeaderOutcome};
pub use null::{NullKind, NullMatcher};
pub use reader::{
    ChunkDone, ChunkSink, CsvReader, DialectError, MAX_RECORD_BYTES, ReadError, ReadOptions,
    ReadStats,
};
pub use record::{FieldSpan, Issue, OwnedRecord, Position, Record};
