//! An S3-compatible server backed by a directory, for tests and for offline
//! rehearsals (`tsload emulate --serve-s3 DIR`).
//!
//! The protocol work is done by [`s3s`] (request parsing, XML, errors) and
//! [`s3s_fs`] (objects as files: `DIR/<bucket>/<key>`; a bucket is a
//! directory). This module adds what a local test server needs:
//!
//! - **Loopback, any port**: [`S3Server::start`] binds `127.0.0.1:0` on its own
//!   thread and runtime, so synchronous and asynchronous tests can both use
//!   it; it stops when dropped. [`serve`] runs the same server inside the
//!   caller's runtime.
//! - **Path-style addressing only**: `http://127.0.0.1:PORT/<bucket>/<key>`.
//!   Clients must set `force_path_style(true)` ([`client`] does).
//! - **Any credentials**: signatures are not checked. The `Authorization`
//!   header and presigned-URL parameters are removed before [`s3s`] sees the
//!   request, so it treats every request as anonymous and allowed. Streaming
//!   uploads (`Content-Encoding: aws-chunked`, which the AWS SDKs use for
//!   checksummed uploads) are decoded here, because [`s3s`] only decodes them
//!   on its signature-checking path; chunk signatures and trailing checksums
//!   are dropped unchecked.
//! - **Buckets exist only when made**: a bucket is a directory under the
//!   root, made by CreateBucket, [`S3Server::create_bucket`], or by hand
//!   (`mkdir DIR/NAME`). Like S3, every other call on a bucket that does
//!   not exist is `404 NoSuchBucket` (PutObject does not create one), and
//!   GetObject or HeadObject of a key that is not an object (a missing
//!   file, a directory) is `404 NoSuchKey`. s3s-fs alone would create the
//!   bucket and answer a directory with a 500: a mistyped bucket name
//!   would go unnoticed in a rehearsal.
//! - **Errors as S3 writes them**: `<Error>` with `Code`, `Message`,
//!   `Resource` and `RequestId`, and an `x-amz-request-id` header on every
//!   response.
//!
//! [`s3s_fs`] supports the calls tsload makes: ListObjectsV2 (prefix,
//! delimiter, `max-keys`, continuation tokens), GetObject (streaming, ranges),
//! HeadObject, PutObject, CopyObject, DeleteObject(s), multipart uploads,
//! CreateBucket, HeadBucket and ListBuckets.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderValue, Request, Response};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use s3s::dto::{self, CopySource};
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::{S3, S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

use crate::http::{Background, StartError};

/// The region the test client signs for (any region is accepted).
pub const TEST_REGION: &str = "us-east-1";
/// The access key id of [`client`] (any key is accepted).
pub const TEST_ACCESS_KEY_ID: &str = "AKIDTSLOADTEST";
/// The secret key of [`client`] (any key is accepted).
pub const TEST_SECRET_ACCESS_KEY: &str = "tsload-test-secret";

/// Errors starting an S3 server.
#[derive(Debug, thiserror::Error)]
pub enum S3ServerError {
    /// The root directory does not exist or cannot be used.
    #[error("cannot serve `{}` as S3: {source}", path.display())]
    Root {
        /// The directory.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// The server thread or runtime could not be started.
    #[error("cannot start the S3 server thread: {0}")]
    Runtime(#[source] io::Error),
}

/// An S3-compatible server on loopback, on its own thread; stops on drop.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let s3 = tsload_emulator::s3::S3Server::start(dir.path())?;
/// s3.create_bucket("input")?;
/// assert!(s3.endpoint().starts_with("http://127.0.0.1:"));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct S3Server {
    background: Background,
    endpoint: String,
    root: PathBuf,
}

impl S3Server {
    /// Serves `root` on `127.0.0.1` at a free port.
    pub fn start(root: impl AsRef<Path>) -> Result<Self, S3ServerError> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), root)
    }

    /// Serves `root` on `addr` (port 0 picks a free port).
    pub fn start_on(addr: SocketAddr, root: impl AsRef<Path>) -> Result<Self, S3ServerError> {
        let root = root.as_ref().to_path_buf();
        let service = service(&root)?;
        let server = Background::start(addr, "tsload-s3", None, |listener, stop| {
            crate::http::serve(listener, Handler { service }, stop.wait())
        })
        .map_err(|e| match e {
            StartError::Bind(addr, source) => S3ServerError::Bind { addr, source },
            StartError::Runtime(source) => S3ServerError::Runtime(source),
        })?;
        Ok(Self {
            endpoint: format!("http://{}", server.addr()),
            background: server,
            root,
        })
    }

    /// `http://127.0.0.1:PORT`: the `endpoint_url` for clients.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.background.addr()
    }

    /// The directory served: `<root>/<bucket>/<key>`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Creates a bucket (a directory under the root); an existing one is kept.
    pub fn create_bucket(&self, name: &str) -> io::Result<()> {
        std::fs::create_dir_all(self.root.join(name))
    }

    /// A client for this server: path-style, test credentials, [`TEST_REGION`].
    pub fn client(&self) -> aws_sdk_s3::Client {
        client(&self.endpoint)
    }
}

/// An `aws_sdk_s3::Client` for an S3-compatible endpoint on loopback:
/// path-style, fixed test credentials, region [`TEST_REGION`], and checksums
/// only where the operation requires them.
pub fn client(endpoint: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .force_path_style(true)
        .region(aws_sdk_s3::config::Region::new(TEST_REGION))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            TEST_ACCESS_KEY_ID,
            TEST_SECRET_ACCESS_KEY,
            None,
            None,
            "tsload-test",
        ))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Serves `root` as S3 on `listener` inside the current runtime until
/// `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    root: &Path,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), S3ServerError> {
    S3Endpoint::new(root)?.serve(listener, shutdown).await;
    Ok(())
}

/// An S3 endpoint over a directory, checked and ready to serve: a caller
/// can report a bad directory before it announces the address (`tsload
/// emulate --serve-s3`).
pub struct S3Endpoint {
    handler: Handler,
}

impl std::fmt::Debug for S3Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Endpoint").finish_non_exhaustive()
    }
}

impl S3Endpoint {
    /// Checks that `root` is a usable directory.
    pub fn new(root: &Path) -> Result<Self, S3ServerError> {
        Ok(Self {
            handler: Handler {
                service: service(root)?,
            },
        })
    }

    /// Serves on `listener` inside the current runtime until `shutdown`
    /// resolves; in-flight requests get a short grace period.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        crate::http::serve(listener, self.handler, shutdown).await;
    }
}

fn service(root: &Path) -> Result<S3Service, S3ServerError> {
    let root_error = |source| S3ServerError::Root {
        path: root.to_path_buf(),
        source,
    };
    if !std::fs::metadata(root).map_err(root_error)?.is_dir() {
        return Err(root_error(io::Error::new(
            io::ErrorKind::NotADirectory,
            "not a directory",
        )));
    }
    let fs = s3s_fs::FileSystem::new(root)
        .map_err(|e| root_error(io::Error::other(format!("{e:?}"))))?;
    let buckets = Buckets {
        fs,
        root: root.canonicalize().map_err(root_error)?,
    };
    // No auth provider: every request is anonymous and allowed (see module doc).
    Ok(S3ServiceBuilder::new(buckets).build())
}

/// [`s3s_fs::FileSystem`] with S3's answers for what does not exist: an
/// operation on a bucket that is not a directory under the root is `404
/// NoSuchBucket` (s3s-fs would create it on PutObject), and reading a key
/// that is not a file (a directory, a missing file, a `..` step) is `404
/// NoSuchKey` (s3s-fs answers a directory with `500 InternalError`).
struct Buckets {
    fs: s3s_fs::FileSystem,
    root: PathBuf,
}

impl Buckets {
    fn bucket(&self, name: &str) -> S3Result<()> {
        if self.root.join(name).is_dir() {
            Ok(())
        } else {
            Err(S3Error::with_message(
                S3ErrorCode::NoSuchBucket,
                "The specified bucket does not exist",
            ))
        }
    }

    fn object(&self, bucket: &str, key: &str) -> S3Result<()> {
        self.bucket(bucket)?;
        let path = Path::new(key);
        let stays_inside = path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if stays_inside && self.root.join(bucket).join(path).is_file() {
            Ok(())
        } else {
            Err(S3Error::with_message(
                S3ErrorCode::NoSuchKey,
                "The specified key does not exist.",
            ))
        }
    }

    fn copy_source(&self, source: &CopySource) -> S3Result<()> {
        match source {
            CopySource::Bucket { bucket, key, .. } => self.object(bucket, key),
            // Access points and outposts: s3s-fs answers NotImplemented.
            _ => Ok(()),
        }
    }
}

/// Implements [`S3`] for [`Buckets`]: each group of operations runs its
/// check, then s3s-fs. `S3` is an `async_trait` trait; these are the
/// signatures that macro generates, written out so that no proc-macro crate
/// is needed.
macro_rules! checked_operations {
    ($(|$this:ident, $in:ident| $check:expr => [$($op:ident($input:ident, $output:ident))*])*) => {
        impl S3 for Buckets {
            $($(
                fn $op<'life0, 'async_trait>(
                    &'life0 self,
                    req: S3Request<dto::$input>,
                ) -> Pin<
                    Box<
                        dyn std::future::Future<Output = S3Result<S3Response<dto::$output>>>
                            + Send
                            + 'async_trait,
                    >,
                >
                where
                    'life0: 'async_trait,
                    Self: 'async_trait,
                {
                    Box::pin(async move {
                        let ($this, $in) = (self, &req.input);
                        let checked: S3Result = $check;
                        checked?;
                        self.fs.$op(req).await
                    })
                }
            )*)*
        }
    };
}

checked_operations! {
    // Calls that name no bucket, or make one.
    |_s, _i| Ok(()) => [
        list_buckets(ListBucketsInput, ListBucketsOutput)
        create_bucket(CreateBucketInput, CreateBucketOutput)
    ]
    // Reading an object: the object must exist.
    |s, i| s.object(&i.bucket, &i.key) => [
        get_object(GetObjectInput, GetObjectOutput)
        head_object(HeadObjectInput, HeadObjectOutput)
    ]
    // Copying: the target bucket and the source object must exist.
    |s, i| s.bucket(&i.bucket).and_then(|()| s.copy_source(&i.copy_source)) => [
        copy_object(CopyObjectInput, CopyObjectOutput)
        upload_part_copy(UploadPartCopyInput, UploadPartCopyOutput)
    ]
    // Everything else: the bucket must exist.
    |s, i| s.bucket(&i.bucket) => [
        head_bucket(HeadBucketInput, HeadBucketOutput)
        get_bucket_location(GetBucketLocationInput, GetBucketLocationOutput)
        delete_bucket(DeleteBucketInput, DeleteBucketOutput)
        list_objects(ListObjectsInput, ListObjectsOutput)
        list_objects_v2(ListObjectsV2Input, ListObjectsV2Output)
        put_object(PutObjectInput, PutObjectOutput)
        delete_object(DeleteObjectInput, DeleteObjectOutput)
        delete_objects(DeleteObjectsInput, DeleteObjectsOutput)
        create_multipart_upload(CreateMultipartUploadInput, CreateMultipartUploadOutput)
        upload_part(UploadPartInput, UploadPartOutput)
        list_parts(ListPartsInput, ListPartsOutput)
        complete_multipart_upload(CompleteMultipartUploadInput, CompleteMultipartUploadOutput)
        abort_multipart_upload(AbortMultipartUploadInput, AbortMultipartUploadOutput)
    ]
}

/// Strips authentication and decodes aws-chunked bodies, then hands the
/// request to s3s.
#[derive(Clone)]
struct Handler {
    service: S3Service,
}

impl hyper::service::Service<Request<Incoming>> for Handler {
    type Response = Response<s3s::Body>;
    type Error = std::convert::Infallible;
    type Future =
        Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let service = self.service.clone();
        Box::pin(async move {
            let resource = req.uri().path().to_owned();
            let req = anonymize(req);
            let resp = match service.call(req).await {
                Ok(resp) => resp,
                Err(err) => {
                    let error = S3Error::with_message(
                        S3ErrorCode::InternalError,
                        format!("The S3 server failed: {err:?}"),
                    );
                    error.to_http_response().unwrap_or_else(|_| {
                        let mut resp = Response::new(s3s::Body::empty());
                        *resp.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
                        resp
                    })
                }
            };
            Ok(with_request_id(resp, &resource))
        })
    }
}

/// Gives every response an `x-amz-request-id` header, and every error body
/// the members S3 writes after `Code` and `Message`: `Resource` (the path
/// asked for) and `RequestId` (the header's value). s3s writes `Code` and
/// `Message` only; the AWS SDKs read the code and message from the body and
/// the request id from the header.
fn with_request_id(mut resp: Response<s3s::Body>, resource: &str) -> Response<s3s::Body> {
    let request_id = format!("{:016X}", fastrand::u64(..));
    let failed = resp.status().is_client_error() || resp.status().is_server_error();
    if failed
        && let Some(xml) = resp.body().bytes()
        && let Some(done) = complete_error_xml(&xml, resource, &request_id)
    {
        *resp.body_mut() = s3s::Body::from(done);
        resp.headers_mut().remove(http::header::CONTENT_LENGTH);
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-amz-request-id", v);
    }
    resp
}

/// `<Error>…</Error>` with `<Resource>` and `<RequestId>` added before the
/// end; `None` for a body that is not an S3 error document or already has
/// a request id.
fn complete_error_xml(xml: &[u8], resource: &str, request_id: &str) -> Option<Vec<u8>> {
    let head = xml.trim_ascii_end().strip_suffix(b"</Error>")?;
    if head.windows(11).any(|w| w == b"<RequestId>") {
        return None;
    }
    let mut out = Vec::with_capacity(xml.len() + resource.len() + 64);
    out.extend_from_slice(head);
    out.extend_from_slice(b"<Resource>");
    for &b in resource.as_bytes() {
        match b {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            _ => out.push(b),
        }
    }
    out.extend_from_slice(b"</Resource><RequestId>");
    out.extend_from_slice(request_id.as_bytes());
    out.extend_from_slice(b"</RequestId></Error>");
    Some(out)
}

/// Turns a signed request into an anonymous one with a plain body.
fn anonymize(req: Request<Incoming>) -> Request<s3s::Body> {
    let (mut parts, body) = req.into_parts();
    parts.headers.remove(http::header::AUTHORIZATION);
    if let Some(query) = parts.uri.query()
        && query.contains("X-Amz-")
    {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| !pair.starts_with("X-Amz-"))
            .collect();
        let path = parts.uri.path();
        let path_and_query = if kept.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", kept.join("&"))
        };
        let mut uri = http::uri::Parts::from(parts.uri.clone());
        if let Ok(pq) = path_and_query.parse() {
            uri.path_and_query = Some(pq);
            if let Ok(new) = http::Uri::from_parts(uri) {
                parts.uri = new;
            }
        }
    }
    let streaming = parts
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("STREAMING-"));
    if !streaming {
        return Request::from_parts(parts, s3s::Body::from(body));
    }
    // aws-chunked: the decoded length becomes the content length.
    if let Some(decoded) = parts.headers.remove("x-amz-decoded-content-length") {
        parts.headers.insert(http::header::CONTENT_LENGTH, decoded);
    }
    parts.headers.remove(http::header::TRANSFER_ENCODING);
    parts.headers.remove("x-amz-trailer");
    parts.headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_static("UNSIGNED-PAYLOAD"),
    );
    let encoding = parts
        .headers
        .get(http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|e| !e.eq_ignore_ascii_case("aws-chunked") && !e.is_empty())
                .collect::<Vec<_>>()
                .join(",")
        });
    match encoding {
        Some(rest) if !rest.is_empty() => {
            if let Ok(v) = HeaderValue::from_str(&rest) {
                parts.headers.insert(http::header::CONTENT_ENCODING, v);
            }
        }
        _ => {
            parts.headers.remove(http::header::CONTENT_ENCODING);
        }
    }
    Request::from_parts(parts, s3s::Body::http_body_unsync(AwsChunked::new(body)))
}

/// Decodes an `aws-chunked` body (`<hex-size>[;ext]\r\n<data>\r\n … 0\r\n
/// <trailers>\r\n\r\n`), streaming; chunk extensions and trailers are dropped.
struct AwsChunked<B> {
    inner: B,
    buf: BytesMut,
    state: ChunkState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Reading a chunk-size line.
    Size,
    /// Inside a chunk, with this many data bytes left.
    Data(u64),
    /// Expecting the CRLF after a chunk's data.
    DataEnd,
    /// After the last (zero) chunk: trailers, ignored.
    Done,
}

/// A malformed aws-chunked body.
#[derive(Debug, thiserror::Error)]
#[error("malformed aws-chunked body: {0}")]
struct ChunkError(&'static str);

impl<B> AwsChunked<B> {
    fn new(inner: B) -> Self {
        Self {
            inner,
            buf: BytesMut::new(),
            state: ChunkState::Size,
        }
    }

    /// Decodes as much as the buffer allows; `Some(data)` when a piece of
    /// payload is ready.
    fn step(&mut self) -> Result<Option<Bytes>, ChunkError> {
        loop {
            match self.state {
                ChunkState::Size => {
                    let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") else {
                        if self.buf.len() > 4096 {
                            return Err(ChunkError("chunk-size line too long"));
                        }
                        return Ok(None);
                    };
                    let line = self.buf.split_to(end + 2);
                    let line = &line[..end];
                    let size_text = line.split(|&b| b == b';').next().unwrap_or_default();
                    let size_text = std::str::from_utf8(size_text)
                        .map_err(|_| ChunkError("chunk size is not text"))?;
                    let size = u64::from_str_radix(size_text.trim(), 16)
                        .map_err(|_| ChunkError("chunk size is not hexadecimal"))?;
                    self.state = if size == 0 {
                        ChunkState::Done
                    } else {
                        ChunkState::Data(size)
                    };
                }
                ChunkState::Data(left) => {
                    if self.buf.is_empty() {
                        return Ok(None);
                    }
                    let take = usize::try_from(left)
                        .unwrap_or(usize::MAX)
                        .min(self.buf.len());
                    let data = self.buf.split_to(take).freeze();
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data(left)
                    };
                    return Ok(Some(data));
                }
                ChunkState::DataEnd => {
                    if self.buf.len() < 2 {
                        return Ok(None);
                    }
                    if &self.buf[..2] != b"\r\n" {
                        return Err(ChunkError("chunk data is not followed by CRLF"));
                    }
                    self.buf.advance(2);
                    self.state = ChunkState::Size;
                }
                ChunkState::Done => {
                    self.buf.clear();
                    return Ok(None);
                }
            }
        }
    }
}

impl<B> http_body::Body for AwsChunked<B>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        loop {
            match this.step() {
                Ok(Some(data)) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                Ok(None) => {}
                Err(e) => return Poll::Ready(Some(Err(Box::new(e)))),
            }
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    return match this.state {
                        ChunkState::Done | ChunkState::Size if this.buf.is_empty() => {
                            Poll::Ready(None)
                        }
                        _ => {
                            Poll::Ready(Some(Err(Box::new(ChunkError("body ends inside a chunk")))))
                        }
                    };
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e.into()))),
                Poll::Ready(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data()
                        && this.state != ChunkState::Done
                    {
                        this.buf.extend_from_slice(&data);
                    }
                }
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn decode(pieces: &[&[u8]]) -> Result<Vec<u8>, String> {
        let frames: Vec<Result<Frame<Bytes>, std::convert::Infallible>> = pieces
            .iter()
            .map(|p| Ok(Frame::data(Bytes::copy_from_slice(p))))
            .collect();
        let body = http_body_util::StreamBody::new(futures_util::stream::iter(frames));
        let collected = AwsChunked::new(body)
            .collect()
            .await
            .map_err(|e| e.to_string())?;
        Ok(collected.to_bytes().to_vec())
    }

    #[tokio::test]
    async fn aws_chunked_is_decoded_across_frame_boundaries() {
        let whole: &[u8] = b"5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n";
        assert_eq!(decode(&[whole]).await.unwrap(), b"hello world");
        // Every split point gives the same payload.
        for cut in 1..whole.len() {
            let (a, b) = whole.split_at(cut);
            assert_eq!(
                decode(&[a, b]).await.unwrap(),
                b"hello world",
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn error_documents_get_a_resource_and_a_request_id() {
        let xml =
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchKey</Code></Error>\n";
        let done = complete_error_xml(xml, "/b/a&b<c>", "0123456789ABCDEF").unwrap();
        assert_eq!(
            String::from_utf8(done).unwrap(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchKey</Code>\
             <Resource>/b/a&amp;b&lt;c&gt;</Resource><RequestId>0123456789ABCDEF</RequestId></Error>"
        );
        // Not an error document, or one that has its request id: untouched.
        assert_eq!(complete_error_xml(b"", "/b", "X"), None);
        assert_eq!(complete_error_xml(b"<ListBucketResult/>", "/b", "X"), None);
        let with_id = b"<Error><Code>X</Code><RequestId>1</RequestId></Error>";
        assert_eq!(complete_error_xml(with_id, "/b", "X"), None);
    }

    #[tokio::test]
    async fn malformed_aws_chunked_is_an_error() {
        assert!(decode(&[b"zz\r\nhello\r\n0\r\n\r\n"]).await.is_err());
        assert!(decode(&[b"5\r\nhel"]).await.is_err());
        assert!(decode(&[b"5\r\nhelloXX0\r\n\r\n"]).await.is_err());
    }
}
