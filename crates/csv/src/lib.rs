//! tsload-csv: a CSV reader that follows Timestream's `CsvConfiguration`.
//!
//! (Reader implementation: issue [csv].)

pub mod record;

pub use record::{FieldSpan, Issue, OwnedRecord, Position, Record};
