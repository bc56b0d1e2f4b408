//! Orchestrated imports: everything `tsload submit`, `wait`, `status`,
//! `list`, `resume` and `explain` do beyond local validation.
//!
//! - [`api`]: the narrow [`BatchLoadApi`](api::BatchLoadApi) trait (the
//!   seven Timestream calls tsload makes), our own result types, and the
//!   errors people read ([`ApiError`](api::ApiError) names the IAM action,
//!   the resource or the member).
//! - [`sdk`]: its implementation over `aws-sdk-timestreamwrite`, and the
//!   conversion of the task JSON (tsload-model's `wire` types) into SDK
//!   builders and back.
//! - [`plan`]: quota planning (spec §4.1): inputs split into parts of at
//!   most 100 files and 100 GB, one sub-prefix and one task each.
//! - [`token`]: the `ClientToken` derived from the task and its inputs, so a
//!   rerun after a crash attaches to the task it already created.
//! - [`split`]: files over the 5 GB limit cut into pieces at record
//!   boundaries (header repeated), uploaded without copies on disk.
//! - [`upload`]: local inputs to the source bucket, multipart and parallel,
//!   checksummed, skipping objects that are already there.
//! - [`run`]: the scheduler and poll loop: creates tasks within the
//!   active-task limits, polls at most 5 calls a second with backoff on
//!   throttling, resumes `PROGRESS_STOPPED` tasks while they are resumable.
//! - [`report`]: finds and downloads a failed task's error report.
//! - [`explain`]: maps each `lineRanges` entry of a report back to the rows
//!   of the input and re-checks them with the local validator.
//!
//! # Design decisions
//!
//! - **Async at the edges, synchronous validation.** The SDK is async; the
//!   validation pipeline is synchronous (rayon) and owns its S3 runtime. The
//!   binary runs pre-flight validation and `explain` outside any runtime and
//!   everything that talks to AWS inside one, so the two never nest.
//! - **Testable without AWS.** The scheduler is generic over
//!   [`BatchLoadApi`](api::BatchLoadApi) and a [`Clock`](run::Clock); its
//!   timing and backoff are tested against a scripted fake under tokio's
//!   paused clock, and end to end against `tsload-emulator`.
//! - **What is inferred is marked.** Which statuses count as active, where
//!   the report lands and what `ResumableUntil` means are undocumented
//!   (spec §4.1, §6.1, §6.3, §10); the code says so where it relies on them.

pub mod api;
pub mod explain;
pub mod plan;
pub mod report;
pub mod run;
pub mod sdk;
pub mod split;
pub mod token;
pub mod upload;
