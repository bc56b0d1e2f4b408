//! Rules about the set of inputs (`F` codes): the batch-load quotas of
//! `batchload-spec.md` §4.1 and what the service would read under a prefix.

use tsload_model::diag::{Evidence, Rule, Severity};

/// More than 100 files in one task.
pub static F001: Rule = Rule {
    code: "F001",
    slug: "too-many-files",
    severity: Severity::Error,
    evidence: Evidence::Doc,
    summary: "a batch load task cannot have more than 100 files",
};

/// A file over 5 GB.
pub static F002: Rule = Rule {
    code: "F002",
    slug: "file-too-large",
    severity: Severity::Error,
    evidence: Evidence::Doc,
    summary: "a file in a batch load task cannot exceed 5 GB (read as 5,000,000,000 bytes, the stricter unit)",
};

/// More than 100 GB in all.
pub static F003: Rule = Rule {
    code: "F003",
    slug: "task-too-large",
    severity: Severity::Error,
    evidence: Evidence::Doc,
    summary: "a batch load task cannot exceed 100 GB (read as 100,000,000,000 bytes)",
};

/// An object whose name does not end in `.csv`.
pub static F004: Rule = Rule {
    code: "F004",
    slug: "not-a-csv-object",
    severity: Severity::Warning,
    evidence: Evidence::Inf,
    summary: "every object under the source prefix is read as CSV, whatever its name",
};

/// A zero-byte object (often a folder marker).
pub static F005: Rule = Rule {
    code: "F005",
    slug: "empty-object",
    severity: Severity::Warning,
    evidence: Evidence::Inf,
    summary: "a zero-byte object under the prefix probably counts toward the 100-file limit and has no header",
};

/// An input that could not be opened or read.
pub static F006: Rule = Rule {
    code: "F006",
    slug: "unreadable-input",
    severity: Severity::Error,
    evidence: Evidence::Inf,
    summary: "an object the service cannot read fails as a file",
};

/// Every rule of this crate.
pub static RULES: &[&Rule] = &[&F001, &F002, &F003, &F004, &F005, &F006];

/// Files per task [DOC: LIMITS].
pub const MAX_FILES: usize = 100;
/// Bytes per file [DOC: LIMITS "5 GB"].
pub const MAX_FILE_BYTES: u64 = 5_000_000_000;
/// Bytes per task [DOC: LIMITS "100 GB"].
pub const MAX_TASK_BYTES: u64 = 100_000_000_000;
