//! AWS arguments shared by the commands that reach AWS (`validate` for S3
//! inputs and `--describe-table`, and the task commands), as the AWS CLI
//! has them.

use tsload_runner::aws::AwsSettings;
use tsload_runner::timestream::TimestreamSettings;

/// AWS arguments: profile, region, endpoints, `--verbose`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct AwsArgs {
    /// AWS profile (as the AWS CLI's `--profile`: its credentials win over
    /// those in the environment). Default: `AWS_PROFILE`, then the default
    /// credential chain.
    #[arg(long, help_heading = "AWS")]
    pub(crate) profile: Option<String>,
    /// AWS region.
    #[arg(long, help_heading = "AWS")]
    pub(crate) region: Option<String>,
    /// Timestream Write endpoint (default: `AWS_ENDPOINT_URL_TIMESTREAM_WRITE`,
    /// then endpoint discovery); endpoint discovery is off when it is set.
    #[arg(long, value_name = "URL", help_heading = "AWS", value_parser = endpoint_url)]
    pub(crate) endpoint_url: Option<String>,
    /// S3 endpoint (default: `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`,
    /// then AWS).
    #[arg(long, value_name = "URL", help_heading = "AWS", value_parser = endpoint_url)]
    pub(crate) s3_endpoint_url: Option<String>,
    /// Print the effective region, profile and endpoints (never credentials).
    #[arg(long, short = 'v', help_heading = "AWS")]
    pub(crate) verbose: bool,
}

/// An endpoint URL (`--endpoint-url`, `--s3-endpoint-url`, `emulate
/// --s3-endpoint`): `http://` or `https://` and a host, as the SDK needs
/// (anything else failed at the first call with the SDK's request dump);
/// a trailing `/` is dropped.
pub(crate) fn endpoint_url(s: &str) -> Result<String, String> {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or_else(|| {
            format!("`{s}` is not an http:// or https:// URL, e.g. http://127.0.0.1:8000")
        })?;
    if rest.split(['/', '?', '#']).next().is_none_or(str::is_empty) {
        return Err(format!("`{s}` has no host, e.g. http://127.0.0.1:8000"));
    }
    Ok(s.trim_end_matches('/').to_owned())
}

impl AwsArgs {
    /// Profile, region and S3 endpoint, for the runner.
    pub(crate) fn settings(&self) -> AwsSettings {
        AwsSettings {
            profile: self.profile.clone(),
            region: self.region.clone(),
            s3_endpoint: self.s3_endpoint_url.clone(),
        }
    }

    /// The settings of a Timestream Write client.
    pub(crate) fn timestream(&self) -> TimestreamSettings {
        TimestreamSettings {
            aws: self.settings(),
            endpoint_url: self.endpoint_url.clone(),
        }
    }

    /// What `--verbose` prints: region, profile and endpoints, never credentials.
    pub(crate) async fn describe(&self) -> Result<String, tsload_runner::aws::ConfigError> {
        let s = self.settings();
        let config = tsload_runner::aws::sdk_config(&s).await?;
        let region = config.region().map_or_else(
            || "(none: set --region or AWS_REGION)".to_owned(),
            ToString::to_string,
        );
        let profile = match (&self.profile, s.profile_name()) {
            (Some(p), _) => p.clone(),
            (None, Some(p)) => format!("{p} (AWS_PROFILE)"),
            (None, None) => "(default chain)".to_owned(),
        };
        let ts = match self.timestream().endpoint() {
            Some(url) => format!("{url} (endpoint discovery off)"),
            None => format!(
                "endpoint discovery through https://ingest.timestream.{}.amazonaws.com",
                config.region().map_or("<region>", |r| r.as_ref())
            ),
        };
        let s3 = s.s3_endpoint().unwrap_or_else(|| "AWS default".to_owned());
        Ok(format!(
            "region: {region}\nprofile: {profile}\ntimestream endpoint: {ts}\ns3 endpoint: {s3}\n"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_need_a_scheme_and_a_host() {
        assert_eq!(
            endpoint_url("http://127.0.0.1:9000/").unwrap(),
            "http://127.0.0.1:9000"
        );
        assert!(endpoint_url("https://s3.example.com").is_ok());
        assert!(
            endpoint_url("127.0.0.1:9000")
                .unwrap_err()
                .contains("http://")
        );
        for no_host in ["http://", "http:///x", "https://?a", "http://#f"] {
            assert!(
                endpoint_url(no_host).unwrap_err().contains("no host"),
                "{no_host}"
            );
        }
    }
}
