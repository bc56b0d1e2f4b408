//! AWS settings as the AWS CLI has them: the default credential chain,
//! `--profile`, `--region`, `--endpoint-url` and the per-service variables
//! (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_TIMESTREAM_WRITE`), which
//! aws-config reads itself.

use aws_config::BehaviorVersion;

/// What the user said about AWS on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    /// `--profile`.
    pub profile: Option<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `--endpoint-url` for S3 (overrides `AWS_ENDPOINT_URL_S3`).
    pub s3_endpoint: Option<String>,
}

/// Loads the shared SDK configuration (credentials are resolved lazily, on
/// the first call that needs them).
pub async fn sdk_config(settings: &AwsSettings) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(p) = &settings.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &settings.region {
        loader = loader.region(aws_config::Region::new(r.clone()));
    }
    loader.load().await
}

/// Whether an endpoint is a local S3-compatible server, which needs
/// path-style addressing (`http://127.0.0.1:9000/bucket/key`).
pub fn is_local_endpoint(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', ':']).next().unwrap_or("");
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok() || rest.starts_with('[')
}

/// An S3 client for `settings`: path-style addressing when the endpoint is
/// overridden to a local server (`--endpoint-url` or `AWS_ENDPOINT_URL_S3`).
pub fn s3_client(config: &aws_config::SdkConfig, settings: &AwsSettings) -> aws_sdk_s3::Client {
    let mut b = aws_sdk_s3::config::Builder::from(config);
    let endpoint = settings
        .s3_endpoint
        .clone()
        .or_else(|| std::env::var("AWS_ENDPOINT_URL_S3").ok());
    if let Some(url) = &endpoint {
        b = b.endpoint_url(url);
        if is_local_endpoint(url) {
            b = b.force_path_style(true);
        }
    }
    // Timeouts: the SDK's own connect timeout (3.1 s) stays; reads are
    // bounded by `S3Source`'s idle timeout (`s3::IDLE_TIMEOUT`), not by the
    // SDK's read timeout, which counts from the start of a request and
    // would cut off the upload of a large part on a slow link.
    aws_sdk_s3::Client::from_conf(b.build())
}

/// `e` and its sources, `: `-separated: the SDK's top error alone often
/// says only "dispatch failure", the cause (no credentials, a refused
/// connection) is further down.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(x) = src {
        s.push_str(": ");
        s.push_str(&x.to_string());
        src = x.source();
    }
    s
}

/// An AWS SDK error for people (S3 and Timestream alike): the service's
/// code and message, or the transport error chain, never the raw response
/// dump of the error's `Display`.
pub fn sdk_error_text<E, R>(e: &aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    use aws_sdk_s3::error::ProvideErrorMetadata;
    match (e.code(), e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_owned(),
        _ => error_chain(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_endpoints() {
        assert!(is_local_endpoint("http://127.0.0.1:9000"));
        assert!(is_local_endpoint("http://localhost:9000/"));
        assert!(is_local_endpoint("http://[::1]:9000"));
        assert!(!is_local_endpoint("https://s3.eu-west-1.amazonaws.com"));
    }

    #[test]
    fn error_chains_keep_the_cause() {
        #[derive(Debug, thiserror::Error)]
        #[error("dispatch failure")]
        struct Outer(#[source] std::io::Error);
        let e = Outer(std::io::Error::other("no credentials in the chain"));
        assert_eq!(
            error_chain(&e),
            "dispatch failure: no credentials in the chain"
        );
    }
}
