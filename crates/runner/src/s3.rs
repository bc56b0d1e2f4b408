//! Reading the inputs of a load from S3: list the objects under a prefix,
//! stream each object's body into the (synchronous) CSV reader without a
//! temporary copy.
//!
//! The pipeline is synchronous (rayon); S3 calls run on a small tokio runtime
//! owned by [`S3Source`]. An object body is pumped by a tokio task into a
//! bounded channel and read through [`BodyReader`], so at most a few SDK
//! chunks are held in memory whatever the object's size.

use std::io::{self, Read};
use std::sync::mpsc;

use bytes::Bytes;

use crate::aws::{AwsSettings, s3_client, sdk_config};
use crate::input::Input;

/// An S3 call that failed; names the bucket and key or prefix.
#[derive(Debug, thiserror::Error)]
#[error("{what} `s3://{bucket}/{key}`: {message}")]
pub struct S3Error {
    /// What was attempted.
    pub what: &'static str,
    /// Bucket.
    pub bucket: String,
    /// Key or prefix.
    pub key: String,
    /// The service's code and message, or the transport error.
    pub message: String,
}

/// An S3 error for people: code and message, or the transport chain.
pub(crate) fn describe<E>(e: &aws_sdk_s3::error::SdkError<E>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_sdk_s3::error::ProvideErrorMetadata;
    match (e.code(), e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_owned(),
        _ => {
            // The transport error chain, without the raw response dump.
            let mut s = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(x) = src {
                s.push_str(": ");
                s.push_str(&x.to_string());
                src = x.source();
            }
            s
        }
    }
}

/// Lists and opens S3 objects.
#[derive(Debug)]
pub struct S3Source {
    rt: tokio::runtime::Runtime,
    client: aws_sdk_s3::Client,
}

impl S3Source {
    /// Builds a client from the AWS settings (default credential chain).
    pub fn new(settings: &AwsSettings) -> io::Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .thread_name("tsload-s3")
            .build()?;
        let client = rt.block_on(async {
            let config = sdk_config(settings).await;
            s3_client(&config, settings)
        });
        Ok(Self { rt, client })
    }

    /// Every object under `prefix`, in key order (all pages).
    pub fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<Input>, S3Error> {
        self.rt.block_on(async {
            let mut out = Vec::new();
            let mut pages = self
                .client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| S3Error {
                    what: "cannot list",
                    bucket: bucket.to_owned(),
                    key: prefix.to_owned(),
                    message: describe(&e),
                })?;
                for o in page.contents() {
                    let Some(key) = o.key() else { continue };
                    out.push(Input::S3 {
                        bucket: bucket.to_owned(),
                        key: key.to_owned(),
                        size: o.size().unwrap_or(0).max(0) as u64,
                    });
                }
            }
            out.sort_by_key(Input::name);
            Ok(out)
        })
    }

    /// Opens an object for streaming.
    pub fn open(&self, bucket: &str, key: &str) -> Result<BodyReader, S3Error> {
        let resp = self
            .rt
            .block_on(self.client.get_object().bucket(bucket).key(key).send())
            .map_err(|e| S3Error {
                what: "cannot read",
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                message: describe(&e),
            })?;
        let (tx, rx) = mpsc::sync_channel::<io::Result<Bytes>>(4);
        let mut body = resp.body;
        self.rt.spawn(async move {
            loop {
                match body.try_next().await {
                    Ok(Some(chunk)) => {
                        if tx.send(Ok(chunk)).is_err() {
                            return; // the reader was dropped
                        }
                    }
                    Ok(None) => return,
                    Err(e) => {
                        let _ = tx.send(Err(io::Error::other(e)));
                        return;
                    }
                }
            }
        });
        Ok(BodyReader {
            rx,
            current: Bytes::new(),
        })
    }

    /// Runs a future on this source's runtime (for callers that share it).
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// The S3 client.
    pub fn client(&self) -> &aws_sdk_s3::Client {
        &self.client
    }
}

/// A synchronous `Read` over an S3 object body.
#[derive(Debug)]
pub struct BodyReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.recv() {
                Ok(Ok(b)) => self.current = b,
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
}
