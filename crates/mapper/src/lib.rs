//! tsload-mapper: turns CSV rows into the records Amazon Timestream batch
//! load would write, or into the failure it would count.
//!
//! # How the pieces connect
//!
//! 1. [`Plan::compile`] resolves the effective data model against one
//!    file's header, once: every source column becomes a field index and
//!    every cell gets its parser. A missing or ambiguous mapped column is a
//!    file failure (`H001`, `H002`); unmapped columns are warnings.
//! 2. Each worker runs a [`ChunkChecker`] over its chunk's rows
//!    ([`ChunkChecker::check_row`]) and ends with a [`ChunkOutcome`].
//! 3. A [`FileMerger`] takes the outcomes in file order with each chunk's
//!    absolute base [`Position`](tsload_csv::Position) and produces a
//!    [`FileResult`]: predicted `ProgressReport` [`Counters`], diagnostics,
//!    per-rule counts, failed line ranges per reason (the service report's
//!    `fileErrors`), duplicates. [`TaskTotals`] sums files.
//! 4. For `--emit` and the emulator, [`ChunkChecker::check_and_build`]
//!    also builds [`WriteRecord`]s, the WriteRecords `Record` shape.
//!
//! ```
//! use tsload_csv::record::OwnedRecord;
//! use tsload_mapper::{CheckContext, ChunkChecker, Duplicates, FileMerger, Plan};
//! use tsload_model::effective::{CsvDialect, DataModel};
//!
//! let wire = serde_json::from_str(r#"{"TimeColumn":"time","TimeUnit":"SECONDS",
//!     "DimensionMappings":[{"SourceColumn":"host"}],
//!     "MultiMeasureMappings":{"TargetMultiMeasureName":"metrics",
//!       "MultiMeasureAttributeMappings":[{"SourceColumn":"cpu","MeasureValueType":"DOUBLE"}]}}"#).unwrap();
//! let model = DataModel::from_wire(&wire).unwrap();
//! let ctx = CheckContext { reference_time_ns: 1_700_000_000_000_000_000, ..Default::default() };
//! let plan = Plan::compile(&model, &CsvDialect::default(), &["time", "host", "cpu"], &ctx).unwrap();
//!
//! let mut checker = ChunkChecker::new(&plan);
//! checker.check_row(&OwnedRecord::from_fields(&["1699999999", "web-1", "0.5"]).as_record());
//! checker.check_row(&OwnedRecord::from_fields(&["1699999999", "web-2", "n/a"]).as_record());
//!
//! let mut dups = Duplicates::default();
//! let mut merger = FileMerger::new(&plan, "hosts.csv", &mut dups);
//! merger.push(checker.finish(), Default::default());
//! let result = merger.finish(64);
//! assert_eq!(result.counters.records_processed, 2);
//! assert_eq!(result.counters.records_ingested, 1);
//! assert_eq!(result.counters.parse_failures, 1);
//! assert_eq!(result.diagnostics[0].rule.code, "R010");
//! ```
//!
//! # Design decisions
//!
//! - **Compile once, loop fast.** Names are resolved in `Plan::compile`;
//!   the row loop indexes fields and matches a small type enum per cell. It
//!   allocates nothing for rows that produce records (a counting-allocator
//!   test enforces it): no records are built, findings are small structs
//!   kept up to a cap (counting goes on), messages are rendered by the
//!   merger on the cold path.
//! - **A fast path for plain rows.** Most rows of a real load have nothing
//!   remarkable in them. The plan is compiled once more into a flat
//!   per-column program (`fast.rs`); such a row is checked with one
//!   specialised step per column and counted only at the end. At the first
//!   remarkable thing (a null, a value that does not convert, a limit, a
//!   framing issue) the row goes to the general path, which checks it again
//!   with every rule. The general path is the reference: a property test
//!   and the mapper fuzz target compare the two row by row
//!   ([`ChunkChecker::general_only`] turns the fast path off). It hashes a
//!   row for duplicate detection only while the row could meet a tracked
//!   key: a full [`Duplicates`] table tells the checkers its times
//!   ([`DupHorizon`], [`ChunkChecker::with_horizon`]), and rows outside
//!   them are only counted.
//! - **Pure chunk state.** A [`ChunkChecker`] depends only on its rows
//!   (and the horizon, which decides what it hashes, never what a merged
//!   result says); positions in it are chunk-relative and rebased when
//!   merged, so chunks can be checked in parallel and re-run.
//! - **Every rule carries its evidence.** Most of what the service does with
//!   a row is undocumented; those rules are tagged \[INF\] and their messages
//!   never claim the service documents them. The decisions:
//!   - columns match the header by exact bytes; unmapped columns are
//!     ignored with a warning \[INF\];
//!   - nulls follow the CSV reader's decision \[INF\]: an unquoted field that
//!     is empty or equals `NullValue` is null; a quoted field never is
//!     (`""` is an empty string: `R019` for VARCHAR, `R024` for a
//!     dimension). A null measure is left out of its record, a null
//!     dimension is left out with a warning (`R020`), a record left without
//!     dimensions (`R022`, \[3P\]) or measures (`R031`) fails;
//!   - a null time, a non-integer time, and any value that does not convert
//!     fail the whole row as a parse failure (one per row) \[INF\];
//!   - BOOLEAN accepts `true`/`false`; with warning `R015` any other letter
//!     case (`TRUE`, `False`), and with warning `R041` `1`/`0` and `t`/`f`
//!     (spec §3: undocumented, warn) \[INF\]; anything else fails;
//!   - time 0 gets warning `R004` (usually a missing value) \[INF\] and,
//!     like any time, fails only outside the ingestion window; TIMESTAMP
//!     attributes take 0 and are not bound by the window \[DOC\];
//!   - window failures, size limits, missing partition keys and measure
//!     name problems are record ingestion failures \[INF\];
//!   - `MixedMeasureMappings` without `MeasureNameColumn` gives each row one
//!     record per mapping; with it, the records of the mappings whose
//!     `MeasureName` equals the row's value; a value matching none fails the
//!     row as one record ingestion failure (`R036`) \[INF\]; a null scalar
//!     value writes no record for that mapping (not a failure) \[INF\];
//!   - counts: see [`Counters`]; `BytesMetered`: see
//!     [`bytes_metered_estimate`];
//!   - duplicates: see [`Duplicates`].

mod check;
mod fast;
mod merge;
mod plan;
mod record;
mod render;
pub mod rules;
mod sink;
#[cfg(test)]
mod tests;
mod value;

pub use check::{
    ChunkChecker, ChunkOutcome, MAX_DIMENSION_PAIR_BYTES, MAX_MEASURE_NAME_BYTES, MAX_MEASURES,
    MAX_RECORD_BYTES, MAX_VARCHAR_BYTES, RowOutcome,
};
pub use merge::{
    Counters, DEFAULT_DUPLICATE_KEYS, DupHorizon, DuplicateStats, Duplicates, FileMerger,
    FileResult, MAX_DUPLICATE_KEYS, ReasonLines, RuleCount, TaskTotals, bytes_metered_estimate,
};
pub use plan::{CheckContext, FUTURE_LIMIT_NS, Plan, TableRetention, Window, now_ns};
pub use record::{
    DimensionValueType, MeasureValueType, RecordTimeUnit, WriteDimension, WriteMeasureValue,
    WriteRecord,
};
pub use rules::RULES;
pub use sink::{
    Dimension, DimensionIter, Measure, MeasureIter, RecordSink, RecordView, SlotInfo, Value,
    ValueVisitor,
};
