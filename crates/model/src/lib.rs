//! tsload-model: the task JSON of Amazon Timestream batch load, and static
//! checks of a task.
//!
//! - [`wire`]: serde types mirroring `CreateBatchLoadTask` and
//!   `DescribeBatchLoadTask` member for member.
//! - [`diag`]: rules, diagnostics and locations shared by every tsload crate.
//!
//! This crate does no I/O beyond what its callers hand it, and knows nothing
//! of CSV or AWS clients.

pub mod diag;
pub mod effective;
pub mod wire;

pub use diag::{Diagnostic, Evidence, Location, Rule, Severity};
