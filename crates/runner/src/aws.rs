//! AWS settings as the AWS CLI has them: the default credential chain,
//! `--profile`, `--region`, `--endpoint-url` and the endpoint variables
//! (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_TIMESTREAM_WRITE`, then
//! `AWS_ENDPOINT_URL` for every service).
//!
//! `--profile` wins over credentials in the environment, as with the AWS
//! CLI: aws-config's default chain reads `AWS_ACCESS_KEY_ID` before any
//! profile, so a named profile gets its own credentials provider. A profile
//! named by `--profile` or `AWS_PROFILE` must exist, or the command stops
//! before its first call (the chain would otherwise fall through to other
//! credentials, or blame the instance metadata service).

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

impl AwsSettings {
    /// The S3 endpoint override in force: `--s3-endpoint-url`, then
    /// `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`.
    pub fn s3_endpoint(&self) -> Option<String> {
        endpoint_override(self.s3_endpoint.as_deref(), "AWS_ENDPOINT_URL_S3")
    }

    /// The profile in force: `--profile`, then `AWS_PROFILE`.
    pub fn profile_name(&self) -> Option<String> {
        self.profile.clone().or_else(|| env_value("AWS_PROFILE"))
    }
}

/// An endpoint given on the command line, else in the service's variable,
/// else in `AWS_ENDPOINT_URL` (empty values count as unset).
pub(crate) fn endpoint_override(flag: Option<&str>, service_var: &str) -> Option<String> {
    flag.map(str::to_owned)
        .filter(|s| !s.is_empty())
        .or_else(|| env_value(service_var))
        .or_else(|| env_value("AWS_ENDPOINT_URL"))
}

fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|s| !s.is_empty())
}

/// The AWS configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The named profile is in neither file.
    #[error(
        "the config profile `{name}` could not be found (named by {source_of}); the profiles in \
         the AWS config and credentials files are: {known}"
    )]
    NoSuchProfile {
        /// The profile.
        name: String,
        /// `--profile` or `AWS_PROFILE`.
        source_of: &'static str,
        /// The profiles that exist, or `(none)`.
        known: String,
    },
    /// The files could not be read or parsed.
    #[error("cannot read the AWS config files: {0}")]
    Files(String),
}

/// Loads the shared SDK configuration (credentials are resolved lazily, on
/// the first call that needs them). Fails when the profile named by
/// `--profile` or `AWS_PROFILE` does not exist.
pub async fn sdk_config(settings: &AwsSettings) -> Result<aws_config::SdkConfig, ConfigError> {
    if let Some(name) = settings.profile_name() {
        let source_of = if settings.profile.is_some() {
            "--profile"
        } else {
            "AWS_PROFILE"
        };
        check_profile(&name, source_of).await?;
    }
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    let mut region = settings.region.clone().map(aws_config::Region::new);
    if let Some(p) = &settings.profile {
        // Resolved once, for the loader and the credentials providers
        // alike (the chain may ask the instance metadata service).
        if region.is_none() {
            region = aws_config::default_provider::region::DefaultRegionChain::builder()
                .profile_name(p)
                .build()
                .region()
                .await;
        }
        loader = loader
            .profile_name(p)
            .credentials_provider(profile_chain(p, region.clone()));
    }
    if let Some(r) = region {
        loader = loader.region(r);
    }
    Ok(loader.load().await)
}

/// The credentials of `--profile NAME`, as the AWS CLI resolves them: the
/// default chain without its first link (the environment's keys): the
/// profile (static keys, `role_arn` with `source_profile`, web identity),
/// then a container's or the instance's role. The providers get `region`
/// (`--region`, else the profile's) for their own calls, e.g. to STS.
fn profile_chain(
    name: &str,
    region: Option<aws_config::Region>,
) -> aws_config::meta::credentials::CredentialsProviderChain {
    use aws_config::provider_config::ProviderConfig;
    let conf = ProviderConfig::default()
        .with_region(region)
        .with_behavior_version(Some(BehaviorVersion::latest()));
    aws_config::meta::credentials::CredentialsProviderChain::first_try(
        "Profile",
        aws_config::profile::ProfileFileCredentialsProvider::builder()
            .configure(&conf)
            .profile_name(name)
            .build(),
    )
    .or_else(
        "EcsContainer",
        aws_config::ecs::EcsCredentialsProvider::builder()
            .configure(&conf)
            .build(),
    )
    .or_else(
        "Ec2InstanceMetadata",
        aws_config::imds::credentials::ImdsCredentialsProvider::builder()
            .configure(&conf)
            .build(),
    )
}

/// Refuses a profile that neither `~/.aws/config` nor `~/.aws/credentials`
/// (or the files `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE` name)
/// defines.
async fn check_profile(name: &str, source_of: &'static str) -> Result<(), ConfigError> {
    use aws_types::os_shim_internal::{Env, Fs};
    let set = aws_config::profile::load(
        &Fs::real(),
        &Env::real(),
        &aws_runtime::env_config::file::EnvConfigFiles::default(),
        None,
    )
    .await
    .map_err(|e| ConfigError::Files(error_chain(&e)))?;
    if set.get_profile(name).is_some() {
        return Ok(());
    }
    let mut known: Vec<&str> = set.profiles().collect();
    known.sort_unstable();
    Err(ConfigError::NoSuchProfile {
        name: name.to_owned(),
        source_of,
        known: if known.is_empty() {
            "(none)".to_owned()
        } else {
            known.join(", ")
        },
    })
}

/// Whether an endpoint is a local S3-compatible server, which needs
/// path-style addressing (`http://127.0.0.1:9000/bucket/key`).
pub fn is_local_endpoint(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', ':']).next().unwrap_or("");
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok() || rest.starts_with('[')
}

/// An S3 client for `settings`: path-style addressing when the endpoint is
/// overridden to a local server ([`AwsSettings::s3_endpoint`]).
pub fn s3_client(config: &aws_config::SdkConfig, settings: &AwsSettings) -> aws_sdk_s3::Client {
    let mut b = aws_sdk_s3::config::Builder::from(config);
    if let Some(url) = &settings.s3_endpoint() {
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
