//! Uploading local inputs to the task's source bucket.
//!
//! - **Checksums verified by S3.** A single PUT carries
//!   `x-amz-checksum-sha256` of the whole file; a multipart upload declares
//!   SHA-256 and every part carries its own, so S3 rejects a corrupted body
//!   (`BadDigest`) instead of storing it. The file's SHA-256 is also kept
//!   in the object's metadata (`x-amz-meta-tsload-sha256`).
//! - **Resumable.** An object that already has the file's size and that
//!   checksum in its metadata is skipped, so a rerun after an interrupted
//!   upload only sends what is missing.
//! - **Parallel and bounded.** Files and parts share one limit of
//!   concurrent requests; a multipart upload holds at most that many parts
//!   in memory. A failed multipart upload is aborted.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::token::hex;

/// The metadata key of the file's SHA-256 (hex).
pub const SHA256_METADATA: &str = "tsload-sha256";

/// How to upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadOptions {
    /// Files at least this large go multipart.
    pub multipart_threshold: u64,
    /// Size of each part (S3 wants at least 5 MiB but for the last).
    pub part_size: u64,
    /// Requests in flight at once.
    pub concurrency: usize,
}

impl Default for UploadOptions {
    fn default() -> Self {
        Self {
            multipart_threshold: 64 * 1024 * 1024,
            part_size: 16 * 1024 * 1024,
            concurrency: 4,
        }
    }
}

/// A local file and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalObject {
    /// The file.
    pub path: PathBuf,
    /// The key it is uploaded to.
    pub key: String,
    /// Its size.
    pub size: u64,
    /// Its SHA-256.
    pub sha256: [u8; 32],
    /// For a piece of a larger file ([`super::split`]): the header bytes
    /// put first, then `size - header.len()` bytes of `path` from `start`.
    pub piece: Option<PieceRef>,
}

/// Where a piece's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PieceRef {
    /// The file's header, first in every piece.
    pub header: Arc<[u8]>,
    /// Offset in the file of the piece's first record.
    pub start: u64,
}

/// An object under a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteObject {
    /// Key.
    pub key: String,
    /// Size.
    pub size: u64,
    /// ETag, quotes removed.
    pub etag: Option<String>,
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uploaded {
    /// Sent in one PUT.
    Put,
    /// Sent in this many parts.
    Multipart(usize),
    /// Already there with the same size and checksum.
    Skipped,
}

/// Receives upload progress (from several tasks at once).
pub trait UploadProgress: Send + Sync {
    /// `bytes` more bytes were sent (or skipped).
    fn advance(&self, bytes: u64) {
        let _ = bytes;
    }
    /// A file is done.
    fn finished(&self, key: &str, how: Uploaded) {
        let _ = (key, how);
    }
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoUploadProgress;

impl UploadProgress for NoUploadProgress {}

/// A failed S3 call or local read, naming the object.
#[derive(Debug, thiserror::Error)]
#[error("{what} `s3://{bucket}/{key}`: {message}")]
pub struct UploadError {
    /// What was attempted.
    pub what: &'static str,
    /// Bucket.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// Why.
    pub message: String,
}

/// SHA-256 of a file, read in 1 MiB blocks.
pub fn sha256_file(path: &Path) -> std::io::Result<[u8; 32]> {
    sha256_read(std::fs::File::open(path)?)
}

/// SHA-256 of everything `f` yields, read in 1 MiB blocks.
pub fn sha256_read(mut f: impl Read) -> std::io::Result<[u8; 32]> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}

fn b64(bytes: &[u8]) -> String {
    aws_smithy_types::base64::encode(bytes)
}

/// Every object under `prefix` (all pages), in key order.
pub async fn list(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<RemoteObject>, UploadError> {
    let mut out = Vec::new();
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| UploadError {
            what: "cannot list",
            bucket: bucket.to_owned(),
            key: prefix.to_owned(),
            message: crate::aws::sdk_error_text(&e),
        })?;
        for o in page.contents() {
            let Some(key) = o.key() else { continue };
            out.push(RemoteObject {
                key: key.to_owned(),
                size: o.size().unwrap_or(0).max(0) as u64,
                etag: o.e_tag().map(|t| t.trim_matches('"').to_owned()),
            });
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

/// Uploads `objects` to `bucket`; the outcome of each, in order.
pub async fn upload_all(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    objects: &[LocalObject],
    options: &UploadOptions,
    progress: &dyn UploadProgress,
) -> Result<Vec<Uploaded>, UploadError> {
    let limit = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let results: Vec<Result<Uploaded, UploadError>> = futures_util::stream::iter(objects)
        .map(|o| upload_one(client, bucket, o, options, &limit, progress))
        .buffered(options.concurrency.max(1))
        .collect()
        .await;
    results.into_iter().collect()
}

async fn upload_one(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    o: &LocalObject,
    options: &UploadOptions,
    limit: &tokio::sync::Semaphore,
    progress: &dyn UploadProgress,
) -> Result<Uploaded, UploadError> {
    let err = |what: &'static str, message: String| UploadError {
        what,
        bucket: bucket.to_owned(),
        key: o.key.clone(),
        message,
    };
    let sum = hex(&o.sha256);
    {
        let _permit = limit.acquire().await.expect("semaphore is never closed");
        if let Ok(head) = client.head_object().bucket(bucket).key(&o.key).send().await {
            let same_size = head.content_length().is_some_and(|n| n as u64 == o.size);
            let same_sum = head
                .metadata()
                .and_then(|m| m.get(SHA256_METADATA))
                .is_some_and(|s| *s == sum);
            if same_size && same_sum {
                progress.advance(o.size);
                progress.finished(&o.key, Uploaded::Skipped);
                return Ok(Uploaded::Skipped);
            }
        }
    }
    let how = if o.size >= options.multipart_threshold && o.size > options.part_size {
        multipart(client, bucket, o, options, limit, progress)
            .await
            .map_err(|m| err("cannot upload", m))?
    } else {
        let _permit = limit.acquire().await.expect("semaphore is never closed");
        let unreadable = |e: String| {
            err(
                "cannot read the file for",
                format!("{}: {e}", o.path.display()),
            )
        };
        let body = if o.piece.is_some() {
            let obj = o.clone();
            let data = tokio::task::spawn_blocking(move || read_range(&obj, 0, obj.size as usize))
                .await
                .map_err(|e| unreadable(e.to_string()))?
                .map_err(|e| unreadable(e.to_string()))?;
            ByteStream::from(data)
        } else {
            ByteStream::from_path(&o.path)
                .await
                .map_err(|e| unreadable(e.to_string()))?
        };
        client
            .put_object()
            .bucket(bucket)
            .key(&o.key)
            .body(body)
            .content_length(o.size as i64)
            .checksum_sha256(b64(&o.sha256))
            .metadata(SHA256_METADATA, &sum)
            .send()
            .await
            .map_err(|e| err("cannot upload", crate::aws::sdk_error_text(&e)))?;
        progress.advance(o.size);
        Uploaded::Put
    };
    // The object must now be there, whole.
    let head = client
        .head_object()
        .bucket(bucket)
        .key(&o.key)
        .send()
        .await
        .map_err(|e| err("cannot check", crate::aws::sdk_error_text(&e)))?;
    let size = head.content_length().unwrap_or(-1);
    if size != o.size as i64 {
        return Err(err(
            "size mismatch after uploading",
            format!("{} bytes stored, {} sent", size, o.size),
        ));
    }
    progress.finished(&o.key, how);
    Ok(how)
}

/// `len` bytes of the object's content from `offset` (a piece's content
/// is its header, then its range of the file).
fn read_range(o: &LocalObject, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(len);
    let mut offset = offset;
    let mut file_offset = offset;
    if let Some(p) = &o.piece {
        let h = p.header.len() as u64;
        if offset < h {
            let take = (h - offset).min(len as u64) as usize;
            buf.extend_from_slice(&p.header[offset as usize..offset as usize + take]);
            offset += take as u64;
        }
        file_offset = p.start + (offset - h);
    }
    if buf.len() < len {
        let mut f = std::fs::File::open(&o.path)?;
        f.seek(SeekFrom::Start(file_offset))?;
        let at = buf.len();
        buf.resize(len, 0);
        f.read_exact(&mut buf[at..])?;
    }
    Ok(buf)
}

async fn multipart(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    o: &LocalObject,
    options: &UploadOptions,
    limit: &tokio::sync::Semaphore,
    progress: &dyn UploadProgress,
) -> Result<Uploaded, String> {
    let created = client
        .create_multipart_upload()
        .bucket(bucket)
        .key(&o.key)
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .metadata(SHA256_METADATA, hex(&o.sha256))
        .send()
        .await
        .map_err(|e| crate::aws::sdk_error_text(&e))?;
    let upload_id = created
        .upload_id()
        .ok_or("CreateMultipartUpload returned no UploadId")?
        .to_owned();
    let part_size = options.part_size.max(1);
    let count = o.size.div_ceil(part_size) as usize;
    let parts = futures_util::stream::iter(0..count)
        .map(|i| {
            let upload_id = upload_id.clone();
            async move {
                let _permit = limit.acquire().await.expect("semaphore is never closed");
                let offset = i as u64 * part_size;
                let len = part_size.min(o.size - offset) as usize;
                let obj = o.clone();
                let data = tokio::task::spawn_blocking(move || read_range(&obj, offset, len))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| format!("{}: {e}", o.path.display()))?;
                let sum = b64(&Sha256::digest(&data));
                let n = (i + 1) as i32;
                let out = client
                    .upload_part()
                    .bucket(bucket)
                    .key(&o.key)
                    .upload_id(&upload_id)
                    .part_number(n)
                    .content_length(len as i64)
                    .checksum_sha256(&sum)
                    .body(ByteStream::from(data))
                    .send()
                    .await
                    .map_err(|e| format!("part {n}: {}", crate::aws::sdk_error_text(&e)))?;
                progress.advance(len as u64);
                Ok::<CompletedPart, String>(
                    CompletedPart::builder()
                        .part_number(n)
                        .set_e_tag(out.e_tag().map(str::to_owned))
                        .checksum_sha256(sum)
                        .build(),
                )
            }
        })
        .buffered(options.concurrency.max(1))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, String>>();
    let parts = match parts {
        Ok(p) => p,
        Err(e) => {
            let _ = client
                .abort_multipart_upload()
                .bucket(bucket)
                .key(&o.key)
                .upload_id(&upload_id)
                .send()
                .await;
            return Err(e);
        }
    };
    let done = client
        .complete_multipart_upload()
        .bucket(bucket)
        .key(&o.key)
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await;
    if let Err(e) = done {
        let _ = client
            .abort_multipart_upload()
            .bucket(bucket)
            .key(&o.key)
            .upload_id(&upload_id)
            .send()
            .await;
        return Err(crate::aws::sdk_error_text(&e));
    }
    Ok(Uploaded::Multipart(count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_a_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(
            hex(&sha256_file(&p).unwrap()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_piece_reads_as_its_header_then_its_range() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.csv");
        std::fs::write(&p, b"h\n1\n2\n3\n4\n").unwrap();
        let o = LocalObject {
            path: p,
            key: "k".into(),
            size: 6,
            sha256: [0; 32],
            piece: Some(PieceRef {
                header: Arc::from(&b"h\n"[..]),
                start: 6,
            }),
        };
        assert_eq!(read_range(&o, 0, 6).unwrap(), b"h\n3\n4\n");
        assert_eq!(read_range(&o, 1, 3).unwrap(), b"\n3\n");
        assert_eq!(read_range(&o, 3, 3).unwrap(), b"\n4\n");
    }
}
