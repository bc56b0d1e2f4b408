//! Reading the inputs of a load from S3: list the objects under a prefix,
//! stream each object's body into the (synchronous) CSV reader without a
//! temporary copy.
//!
//! The pipeline is synchronous (rayon); S3 calls run on a small tokio runtime
//! owned by [`S3Source`]. An object body is pumped by a tokio task into a
//! bounded channel and read through [`BodyReader`], so at most a few SDK
//! chunks are held in memory whatever the object's size.
//!
//! No call waits for ever: each page of a listing, the answer to
//! `GetObject` and each next part of a body must arrive within the source's
//! idle timeout ([`IDLE_TIMEOUT`] by default), else the input fails with an
//! error that says so. Before, an endpoint that accepted the connection and
//! never answered, or a body that stalled half-way, hung the run.

use std::io::{self, Read};
use std::time::Duration;

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

/// Lists and opens S3 objects.
#[derive(Debug)]
pub struct S3Source {
    rt: tokio::runtime::Runtime,
    client: aws_sdk_s3::Client,
    idle: Duration,
}

/// How long an S3 read may wait for its next bytes: a page of a listing,
/// the answer to `GetObject` (its retries included), each next part of a
/// body. S3 answers in milliseconds; two minutes leaves room for a slow
/// link without hanging for ever on a dead one.
pub const IDLE_TIMEOUT: Duration = Duration::from_mins(2);

impl S3Source {
    /// Builds a client from the AWS settings (default credential chain).
    pub fn new(settings: &AwsSettings) -> io::Result<Self> {
        let rt = Self::runtime()?;
        let client = rt.block_on(async {
            let config = sdk_config(settings).await.map_err(io::Error::other)?;
            Ok::<_, io::Error>(s3_client(&config, settings))
        })?;
        Ok(Self {
            rt,
            client,
            idle: IDLE_TIMEOUT,
        })
    }

    /// A source over a client built by the caller (credentials, endpoint
    /// and all).
    pub fn with_client(client: aws_sdk_s3::Client) -> io::Result<Self> {
        Ok(Self {
            rt: Self::runtime()?,
            client,
            idle: IDLE_TIMEOUT,
        })
    }

    /// The same source with another idle timeout (see [`IDLE_TIMEOUT`]).
    #[must_use]
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self
    }

    fn runtime() -> io::Result<tokio::runtime::Runtime> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .thread_name("tsload-s3")
            .build()
    }

    /// The message of a request S3 did not answer within the idle timeout.
    fn unanswered(&self) -> String {
        format!(
            "S3 did not answer within {} s (check the network, and the endpoint if one is set)",
            self.idle.as_secs_f64()
        )
    }

    /// Every object under `prefix`, in key order (all pages).
    pub fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<Input>, S3Error> {
        let err = |message| S3Error {
            what: "cannot list",
            bucket: bucket.to_owned(),
            key: prefix.to_owned(),
            message,
        };
        self.rt.block_on(async {
            let mut out = Vec::new();
            let mut pages = self
                .client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .into_paginator()
                .send();
            loop {
                let next = tokio::time::timeout(self.idle, pages.next())
                    .await
                    .map_err(|_| err(self.unanswered()))?;
                let Some(page) = next else { break };
                let page = page.map_err(|e| err(crate::aws::sdk_error_text(&e)))?;
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
        let err = |message| S3Error {
            what: "cannot read",
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            message,
        };
        let send = self.client.get_object().bucket(bucket).key(key).send();
        let resp = self
            .rt
            .block_on(async { tokio::time::timeout(self.idle, send).await })
            .map_err(|_| err(self.unanswered()))?
            .map_err(|e| err(crate::aws::sdk_error_text(&e)))?;
        // A tokio channel: the task awaits room in it instead of blocking
        // the runtime's one worker thread, whose timers (this body's and
        // other objects') must keep running.
        let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(4);
        let mut body = resp.body;
        let idle = self.idle;
        self.rt.spawn(async move {
            let mut received = 0u64;
            loop {
                let Ok(next) = tokio::time::timeout(idle, body.try_next()).await else {
                    let message = format!(
                        "the object stopped arriving after {received} bytes: nothing more from S3 within {} s",
                        idle.as_secs_f64()
                    );
                    let _ = tx
                        .send(Err(io::Error::new(io::ErrorKind::TimedOut, message)))
                        .await;
                    return;
                };
                match next {
                    Ok(Some(chunk)) => {
                        received += chunk.len() as u64;
                        if tx.send(Ok(chunk)).await.is_err() {
                            return; // the reader was dropped
                        }
                    }
                    Ok(None) => return,
                    Err(e) => {
                        let _ = tx.send(Err(io::Error::other(e))).await;
                        return;
                    }
                }
            }
        });
        Ok(BodyReader {
            rx,
            current: Bytes::new(),
            failed: None,
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

/// A synchronous `Read` over an S3 object body. Read it outside any tokio
/// runtime (it blocks). Once reading failed, every later read fails the
/// same way: a cut-off object never reads as complete.
#[derive(Debug)]
pub struct BodyReader {
    rx: tokio::sync::mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
    /// The error reading stopped at.
    failed: Option<(io::ErrorKind, String)>,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some((kind, message)) = &self.failed {
            return Err(io::Error::new(*kind, message.clone()));
        }
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.current = b,
                Some(Err(e)) => {
                    self.failed = Some((e.kind(), e.to_string()));
                    return Err(e);
                }
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};
    use std::net::TcpListener;
    use std::time::Instant;

    use super::*;

    /// An endpoint that reads each request, writes `reply` and then says
    /// nothing more, holding the connection open.
    fn stalling_endpoint(reply: &'static [u8]) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                std::thread::spawn(move || {
                    let mut request = [0u8; 4096];
                    let _ = conn.read(&mut request);
                    let _ = conn.write_all(reply);
                    let _ = conn.flush();
                    std::thread::sleep(Duration::from_mins(1));
                });
            }
        });
        endpoint
    }

    fn source(endpoint: &str) -> S3Source {
        use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .endpoint_url(endpoint)
            .force_path_style(true)
            .build();
        S3Source::with_client(aws_sdk_s3::Client::from_conf(conf))
            .unwrap()
            .idle_timeout(Duration::from_millis(300))
    }

    #[test]
    fn an_endpoint_that_never_answers_fails_the_call_in_time() {
        let s3 = source(&stalling_endpoint(b""));
        let start = Instant::now();
        let e = s3.open("bucket", "data.csv").unwrap_err();
        assert_eq!((e.what, e.key.as_str()), ("cannot read", "data.csv"));
        assert!(
            e.message.starts_with("S3 did not answer within 0.3 s"),
            "{e}"
        );
        let e = s3.list("bucket", "prefix/").unwrap_err();
        assert_eq!(e.what, "cannot list");
        assert!(
            e.message.starts_with("S3 did not answer within 0.3 s"),
            "{e}"
        );
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_body_that_stalls_half_way_fails_the_read() {
        let s3 = source(&stalling_endpoint(
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: text/csv\r\n\r\ntime,host\n",
        ));
        let mut body = s3.open("bucket", "data.csv").unwrap();
        let mut got = Vec::new();
        let e = body.read_to_end(&mut got).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert_eq!(got, b"time,host\n");
        assert_eq!(
            e.to_string(),
            "the object stopped arriving after 10 bytes: nothing more from S3 within 0.3 s"
        );
        // A cut-off object never reads as complete.
        let again = body.read(&mut [0u8; 16]).unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::TimedOut);
    }
}
