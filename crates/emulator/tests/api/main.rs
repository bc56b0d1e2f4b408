#![allow(
    clippy::many_single_char_names,
    clippy::redundant_closure_for_method_calls,
    clippy::format_push_string
)]
//! The emulator's endpoints driven through the AWS SDK for Rust, as users
//! drive them (one test binary; modules by endpoint).

mod batch;
mod common;
mod control;
mod faults;
mod restart;
mod s3;
mod write;
