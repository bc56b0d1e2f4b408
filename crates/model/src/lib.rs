//! tsload-model: the task JSON of Amazon Timestream batch load, and static
//! checks of a task.
//!
//! - [`wire`]: serde types mirroring `CreateBatchLoadTask` and
//!   `DescribeBatchLoadTask` member for member.
//! - [`load`](mod@load): one loader for the three forms a task comes in (the request,
//!   a bare `DataModel`, a describe response), with every unknown member
//!   reported and every member's line and column indexed ([`span`]).
//! - [`check`]: the static checks, one [`Rule`] each ([`rules`]), producing
//!   [`Diagnostic`]s that point into the file.
//! - [`effective`]: the model with the documented defaults filled in, in
//!   types that cannot express an invalid state.
//! - [`diag`]: rules, diagnostics and locations shared by every tsload crate.
//!
//! # Design decisions
//!
//! - **Wire types accept anything typed right.** Every member is an
//!   `Option` and enums keep unknown values, so a task with ten mistakes
//!   loads and all ten are reported with positions, instead of the first one
//!   stopping deserialisation. Only what cannot be represented (bad JSON, a
//!   wrong JSON type) is a [`load::LoadError`].
//! - **Unknown members are found by a walk, not `deny_unknown_fields`.**
//!   serde stops at the first unknown field; the loader walks the syntax tree
//!   against a table of member names (the private `schema` module, kept equal to the wire
//!   types by a test) and reports all of them with a "did you mean".
//! - **Positions come from a syntax tree with byte ranges**
//!   (`jsonc-parser` in strict mode) indexed by JSON pointer, so the checks
//!   work on typed values and still report `file:line:column`.
//! - **Checks are stricter than conversion.** A task without error
//!   diagnostics always converts to the effective model; the reverse is not
//!   promised (some errors, such as a scalar `TIMESTAMP` measure, are
//!   representable but rejected by the service).
//!
//! This crate does no I/O beyond what its callers hand it, and knows nothing
//! of CSV or AWS clients.
//!
//! ```
//! use tsload_model::{check::check, load::load};
//!
//! let text = r#"{"TimeColumn": "time", "DimensionMappings": [{"SourceColumn": "host"}],
//!   "MultiMeasureMappings": {"TargetMultiMeasureName": "metrics",
//!     "MultiMeasureAttributeMappings": [{"SourceColumn": "cpu"}]}}"#;
//! let loaded = load(text, "model.json").unwrap();
//! let diagnostics = check(&loaded);
//! assert_eq!(diagnostics[0].rule.code, "T219"); // no MeasureValueType
//! ```

pub mod check;
pub mod diag;
pub mod effective;
pub mod load;
pub mod rules;
mod schema;
pub mod span;
pub mod wire;

pub use diag::{Diagnostic, Evidence, Location, Rule, Severity};
pub use load::{Form, LoadError, Loaded, load, load_bytes};
