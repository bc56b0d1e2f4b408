//! The in-process S3 server, driven through aws-sdk-s3.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::operation::put_object::PutObjectError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use tsload_emulator::s3::S3Server;

fn server() -> (tempfile::TempDir, S3Server) {
    let dir = tempfile::tempdir().unwrap();
    let s3 = S3Server::start(dir.path()).unwrap();
    s3.create_bucket("input").unwrap();
    (dir, s3)
}

#[tokio::test]
async fn put_get_head_round_trip() {
    let (_dir, s3) = server();
    let client = s3.client();
    client
        .put_object()
        .bucket("input")
        .key("loads/a.csv")
        .body(ByteStream::from_static(b"time,host\n1,a\n"))
        .send()
        .await
        .unwrap();
    let head = client
        .head_object()
        .bucket("input")
        .key("loads/a.csv")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(14));
    let got = client
        .get_object()
        .bucket("input")
        .key("loads/a.csv")
        .send()
        .await
        .unwrap();
    let bytes = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(&bytes[..], b"time,host\n1,a\n");
    // The object is a plain file under the root.
    let on_disk = std::fs::read(s3.root().join("input/loads/a.csv")).unwrap();
    assert_eq!(on_disk, b"time,host\n1,a\n");
}

#[tokio::test]
async fn checksummed_streaming_upload_is_decoded() {
    // A streamed body with a checksum goes out as aws-chunked with a CRC32
    // trailer; the server must store the payload, not the framing.
    let (_dir, s3) = server();
    let client = s3.client();
    let payload = vec![b'x'; 200_000];
    let file = s3.root().join("payload.bin");
    std::fs::write(&file, &payload).unwrap();
    client
        .put_object()
        .bucket("input")
        .key("big.csv")
        .checksum_algorithm(aws_sdk_s3::types::ChecksumAlgorithm::Crc32)
        .body(ByteStream::from_path(&file).await.unwrap())
        .send()
        .await
        .unwrap();
    let got = client
        .get_object()
        .bucket("input")
        .key("big.csv")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().to_vec(),
        payload
    );
}

#[tokio::test]
async fn get_streams_in_pieces() {
    let (_dir, s3) = server();
    let payload: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(s3.root().join("input/blob"), &payload).unwrap();
    let mut got = s3
        .client()
        .get_object()
        .bucket("input")
        .key("blob")
        .send()
        .await
        .unwrap();
    let mut received = Vec::new();
    let mut pieces = 0;
    while let Some(piece) = got.body.try_next().await.unwrap() {
        received.extend_from_slice(&piece);
        pieces += 1;
    }
    assert_eq!(received, payload);
    assert!(pieces > 1, "a 3 MB object arrives in more than one piece");
}

#[tokio::test]
async fn list_objects_v2_with_prefix_and_pages() {
    let (_dir, s3) = server();
    let client = s3.client();
    for i in 0..7 {
        client
            .put_object()
            .bucket("input")
            .key(format!("loads/part-{i}.csv"))
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
    }
    client
        .put_object()
        .bucket("input")
        .key("other/z.csv")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();

    let mut keys = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = client
            .list_objects_v2()
            .bucket("input")
            .prefix("loads/")
            .max_keys(3)
            .set_continuation_token(token.take())
            .send()
            .await
            .unwrap();
        pages += 1;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_owned()),
            _ => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..7).map(|i| format!("loads/part-{i}.csv")).collect();
    assert_eq!(keys, expected);

    // The SDK's paginator agrees.
    let pages = client
        .list_objects_v2()
        .bucket("input")
        .max_keys(2)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 4);
    assert_eq!(pages.iter().map(|p| p.contents().len()).sum::<usize>(), 8);
}

#[tokio::test]
async fn multipart_upload() {
    let (_dir, s3) = server();
    let client = s3.client();
    let created = client
        .create_multipart_upload()
        .bucket("input")
        .key("mp.csv")
        .send()
        .await
        .unwrap();
    let upload_id = created.upload_id().unwrap();
    let part1 = vec![b'a'; 5 * 1024 * 1024];
    let part2 = b"tail".to_vec();
    let mut completed = Vec::new();
    for (n, part) in [(1, part1.clone()), (2, part2.clone())] {
        let up = client
            .upload_part()
            .bucket("input")
            .key("mp.csv")
            .upload_id(upload_id)
            .part_number(n)
            .body(ByteStream::from(part))
            .send()
            .await
            .unwrap();
        completed.push(
            CompletedPart::builder()
                .part_number(n)
                .set_e_tag(up.e_tag().map(str::to_owned))
                .build(),
        );
    }
    client
        .complete_multipart_upload()
        .bucket("input")
        .key("mp.csv")
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let got = client
        .get_object()
        .bucket("input")
        .key("mp.csv")
        .send()
        .await
        .unwrap();
    let bytes = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(bytes.len(), part1.len() + part2.len());
    assert!(bytes.ends_with(b"tail"));
}

#[tokio::test]
async fn missing_objects_and_buckets_are_s3_errors() {
    let (_dir, s3) = server();
    let client = s3.client();
    let err = client
        .get_object()
        .bucket("input")
        .key("nope")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_no_such_key());
    let err = client
        .list_objects_v2()
        .bucket("no-such-bucket")
        .send()
        .await
        .unwrap_err();
    let text = format!("{:?}", err.into_service_error());
    assert!(text.contains("NoSuchBucket"), "{text}");
}

type SdkError<E> = aws_sdk_s3::error::SdkError<E>;

async fn put(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    body: &'static [u8],
) -> Result<(), SdkError<PutObjectError>> {
    let put = client.put_object().bucket(bucket).key(key);
    put.body(ByteStream::from_static(body)).send().await?;
    Ok(())
}

async fn get(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Vec<u8>, SdkError<GetObjectError>> {
    let got = client.get_object().bucket(bucket).key(key).send().await?;
    Ok(got.body.collect().await.unwrap().into_bytes().to_vec())
}

/// The HTTP status and the error code of a failed call.
fn failure<E: ProvideErrorMetadata>(err: &SdkError<E>) -> (u16, Option<&str>) {
    let status = err.raw_response().map_or(0, |r| r.status().as_u16());
    (status, err.code())
}

/// A bucket comes into being only by CreateBucket (or as a directory made
/// by hand): every other call on a bucket that does not exist is 404
/// NoSuchBucket, as on S3, and PutObject leaves no directory behind.
#[tokio::test]
async fn buckets_are_not_created_by_writing_into_them() {
    const NO_SUCH_BUCKET: (u16, Option<&str>) = (404, Some("NoSuchBucket"));
    let (dir, s3) = server();
    let client = s3.client();
    let (bucket, key) = ("no-report-bucket", "errors/report.json");
    let put_err = put(&client, bucket, key, b"{}").await.unwrap_err();
    assert_eq!(failure(&put_err), NO_SUCH_BUCKET);
    let get_err = get(&client, bucket, key).await.unwrap_err();
    assert_eq!(failure(&get_err), NO_SUCH_BUCKET);
    let list = client.list_objects_v2().bucket(bucket).send().await;
    assert_eq!(failure(&list.unwrap_err()), NO_SUCH_BUCKET);
    // HEAD answers carry no body: the SDK sees a bare 404.
    let head = client.head_object().bucket(bucket).key(key).send().await;
    assert_eq!(failure(&head.unwrap_err()), (404, Some("NotFound")));
    let multipart = client.create_multipart_upload().bucket(bucket).key(key);
    assert_eq!(
        failure(&multipart.send().await.unwrap_err()),
        NO_SUCH_BUCKET
    );
    let copy = client.copy_object().bucket(bucket).key(key);
    let copy = copy.copy_source("input/a.csv").send().await;
    assert_eq!(failure(&copy.unwrap_err()), NO_SUCH_BUCKET);
    assert!(!dir.path().join(bucket).exists());

    // Once created, the same calls work.
    client.create_bucket().bucket(bucket).send().await.unwrap();
    put(&client, bucket, key, b"{}").await.unwrap();
    assert_eq!(get(&client, bucket, key).await.unwrap(), b"{}");
}

/// A key that is not an object (a "directory" that holds objects, the
/// same with a slash, a path through an object, a missing key) is 404
/// NoSuchKey, never a 500.
#[tokio::test]
async fn keys_that_are_not_objects_are_no_such_key() {
    let (_dir, s3) = server();
    let client = s3.client();
    put(&client, "input", "loads/a.csv", b"x").await.unwrap();
    for key in [
        "loads",
        "loads/",
        "loads/a.csv/more",
        "loads/../loads/a.csv",
        "nope",
    ] {
        let err = get(&client, "input", key).await.unwrap_err();
        assert_eq!(failure(&err).0, 404, "{key}");
        assert!(err.into_service_error().is_no_such_key(), "{key}");
        let head = client.head_object().bucket("input").key(key).send().await;
        let err = head.unwrap_err();
        assert_eq!(failure(&err).0, 404, "{key}");
        assert!(err.into_service_error().is_not_found(), "{key}");
    }
}

/// Error bodies have the members S3 writes (`Code`, `Message`, `Resource`,
/// `RequestId`); the SDK reads the code and message from them and the
/// request id from the `x-amz-request-id` header, which matches the body.
#[tokio::test]
async fn errors_have_the_shape_s3_gives_them() {
    use aws_sdk_s3::operation::RequestId as _;
    let (_dir, s3) = server();
    let client = s3.client();
    for (bucket, key, code, message) in [
        (
            "input",
            "loads",
            "NoSuchKey",
            "The specified key does not exist.",
        ),
        (
            "missing",
            "a.csv",
            "NoSuchBucket",
            "The specified bucket does not exist",
        ),
    ] {
        let err = get(&client, bucket, key).await.unwrap_err();
        let body = err.raw_response().unwrap().body().bytes().unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        let request_id = err.request_id().expect("x-amz-request-id");
        assert_eq!(request_id.len(), 16, "{request_id}");
        assert!(
            body.ends_with(&format!(
                "<Error><Code>{code}</Code><Message>{message}</Message>\
                 <Resource>/{bucket}/{key}</Resource><RequestId>{request_id}</RequestId></Error>"
            )),
            "{body}"
        );
        assert_eq!(err.code(), Some(code));
        assert_eq!(err.message(), Some(message));
    }
    // Successful answers carry a request id too.
    let ok = client.list_buckets().send().await.unwrap();
    assert!(ok.request_id().is_some());
}

#[test]
fn usable_from_synchronous_code_and_stops_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = S3Server::start(dir.path()).unwrap();
    let addr = s3.addr();
    assert!(std::net::TcpStream::connect(addr).is_ok());
    drop(s3);
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "the port is closed after drop"
    );
}

#[test]
fn a_missing_root_is_an_error() {
    let err = S3Server::start("/definitely/not/here").unwrap_err();
    assert!(err.to_string().contains("/definitely/not/here"), "{err}");
}
