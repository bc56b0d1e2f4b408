//! tsload-runner: the local validation pipeline and its reports, and the S3
//! and Timestream calls of tsload.
//!
//! - [`input`]: expanding files, directories, globs, stdin and S3 prefixes;
//!   the quota checks of §4.1.
//! - [`error_report`]: the service's error-report layout (§6.1).
//! - [`atomic`]: output files appear whole or not at all.
//! - [`submit`]: orchestrated imports (upload, quota planning, tasks,
//!   polling, reports, explanations).

pub mod atomic;
pub mod aws;
pub mod emit;
pub mod error_report;
pub mod input;
pub mod progress;
pub mod rules;
pub mod s3;
pub mod submit;
pub mod timestream;
pub mod validate;
