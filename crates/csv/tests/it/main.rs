//! Tests of the CSV reader (one test binary, modules by theme).

/// A first look at each feature.
mod basics;
/// Owned snapshots and the option sets every test runs under.
mod common;
/// Differential proptest against the `csv` crate.
mod differential;
/// One fixture per framing rule, with its expected findings.
mod fixtures;
/// Hostile records: long runs of bad bytes stay linear.
mod hostile;
/// The dialect matrix.
mod matrix;
/// Parallel and sequential reading agree at chunk boundaries.
mod parallel;
