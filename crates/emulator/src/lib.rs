//! tsload-emulator: a local Amazon Timestream Write endpoint that runs batch
//! loads, and an S3-compatible server for tests and offline rehearsals.

mod http;
pub mod s3;
