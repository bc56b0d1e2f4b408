//! tsload-emulator: a local Amazon Timestream Write endpoint that runs batch
//! loads, and an S3-compatible server for tests and offline rehearsals.

pub mod batch;
mod control;
pub mod faults;
mod http;
pub mod protocol;
pub mod s3;
pub mod service;
pub mod store;
pub mod write;

pub use faults::Faults;
pub use service::{Config, Emulator, EmulatorError, S3Source, Server, serve};
