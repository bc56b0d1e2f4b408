//! Integration tests of the tsload binary.

/// `tsload check` and the task model: fixtures, round trips, rule coverage, CLI output.
mod check;
