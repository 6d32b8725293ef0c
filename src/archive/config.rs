//! Where a [`super::Store`] connects and as whom: [`StoreOptions`], resolved with the AWS SDK's
//! usual sources (environment, `~/.aws/credentials` and `~/.aws/config`), into an S3 client set up
//! for the servers earwitness has met (see `store.rs` for the interoperability choices).

use std::fmt;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::ecs::EcsCredentialsProvider;
use aws_config::environment::{
    EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider,
};
use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::{ProfileFileCredentialsProvider, ProfileFileRegionProvider};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::web_identity_token::WebIdentityTokenCredentialsProvider;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{
    Credentials, ProvideCredentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};

use super::error::{Result, StoreError, root_cause};

/// How to address buckets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addressing {
    /// Path style when an endpoint is configured, virtual-hosted style for AWS.
    Auto,
    /// `http://host/bucket/key`.
    Path,
    /// `http://bucket.host/key`.
    Virtual,
}

/// An access key given in code (the command line never takes one: it reads the environment and
/// the AWS files). The secret is never printed.
#[derive(Clone)]
pub struct StaticCredentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
}

impl fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticCredentials(..)")
    }
}

/// How to reach the store. Fields left `None` come from the environment and the AWS files.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// The bucket every call works on.
    pub bucket: String,
    /// The endpoint URL; overrides `AWS_ENDPOINT_URL` and the profile's `endpoint_url`.
    pub endpoint: Option<String>,
    /// The region; overrides `AWS_REGION` and the profile. Default `us-east-1`.
    pub region: Option<String>,
    /// The profile; overrides `AWS_PROFILE`.
    pub profile: Option<String>,
    /// Credentials given in code; overrides the whole credential chain.
    pub credentials: Option<StaticCredentials>,
    /// Path-style or virtual-hosted addressing.
    pub addressing: Addressing,
    /// Attempts per request, the first included (the SDK's standard retry, with backoff).
    pub max_attempts: u32,
    /// TCP and TLS connect timeout.
    pub connect_timeout: Duration,
    /// Also ask the EC2 instance metadata service for credentials and region.
    pub instance_metadata: bool,
}

impl StoreOptions {
    /// Everything from the environment: 3 attempts, 3 s to connect, no instance metadata unless
    /// `EARWITNESS_S3_INSTANCE_METADATA=1`, addressing from `EARWITNESS_S3_ADDRESSING`
    /// (`path` or `virtual`; default: path style when an endpoint is configured).
    pub fn new(bucket: impl Into<String>) -> Self {
        let addressing = match std::env::var("EARWITNESS_S3_ADDRESSING").as_deref() {
            Ok("path") => Addressing::Path,
            Ok("virtual") => Addressing::Virtual,
            _ => Addressing::Auto,
        };
        StoreOptions {
            bucket: bucket.into(),
            endpoint: None,
            region: None,
            profile: None,
            credentials: None,
            addressing,
            max_attempts: 3,
            connect_timeout: Duration::from_secs(3),
            instance_metadata: std::env::var("EARWITNESS_S3_INSTANCE_METADATA").as_deref()
                == Ok("1"),
        }
    }
}

pub(super) async fn build_client(opts: &StoreOptions) -> Result<(Client, String)> {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(opts.connect_timeout)
        .operation_attempt_timeout(Duration::from_secs(300))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(opts.max_attempts.max(1)))
        .timeout_config(timeouts);
    if let Some(profile) = &opts.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(endpoint) = &opts.endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    if let Some(c) = &opts.credentials {
        loader = loader.credentials_provider(Credentials::new(
            &c.access_key_id,
            &c.secret_access_key,
            None,
            None,
            "earwitness",
        ));
    }
    if opts.instance_metadata {
        loader = loader.region(
            RegionProviderChain::first_try(opts.region.clone().map(Region::new))
                .or_default_provider()
                .or_else(Region::from_static("us-east-1")),
        );
    } else {
        // The SDK's default chains without the instance metadata service: the same order, the
        // same files and variables.
        let mut profile_region = ProfileFileRegionProvider::builder();
        let mut profile_creds = ProfileFileCredentialsProvider::builder();
        if let Some(profile) = &opts.profile {
            profile_region = profile_region.profile_name(profile);
            profile_creds = profile_creds.profile_name(profile);
        }
        loader = loader.region(
            RegionProviderChain::first_try(opts.region.clone().map(Region::new))
                .or_else(EnvironmentVariableRegionProvider::new())
                .or_else(profile_region.build())
                .or_else(Region::from_static("us-east-1")),
        );
        if opts.credentials.is_none() {
            loader = loader.credentials_provider(
                CredentialsProviderChain::first_try(
                    "Environment",
                    EnvironmentVariableCredentialsProvider::new(),
                )
                .or_else("Profile", profile_creds.build())
                .or_else(
                    "WebIdentityToken",
                    WebIdentityTokenCredentialsProvider::builder().build(),
                )
                .or_else("EcsContainer", EcsCredentialsProvider::builder().build()),
            );
        }
    }
    let sdk = loader.load().await;

    // Fail here, with a clear message, rather than at the first request.
    let Some(provider) = sdk.credentials_provider() else {
        return Err(StoreError::NoCredentials {
            detail: "no credential provider".into(),
        });
    };
    if let Err(e) = provider.provide_credentials().await {
        return Err(StoreError::NoCredentials {
            detail: root_cause(&e),
        });
    }

    // For messages, and to choose the addressing: the S3 client resolves the same order
    // (explicit, AWS_ENDPOINT_URL_S3 or the profile's services section, AWS_ENDPOINT_URL or the
    // profile's endpoint_url) but does not expose the result.
    let configured = match (
        &opts.endpoint,
        std::env::var("AWS_ENDPOINT_URL_S3"),
        sdk.endpoint_url(),
    ) {
        (Some(e), _, _) => Some(e.clone()),
        (None, Ok(e), _) if !e.is_empty() => Some(e),
        (None, _, Some(e)) => Some(e.to_owned()),
        _ => None,
    };
    let path_style = match opts.addressing {
        Addressing::Path => true,
        Addressing::Virtual => false,
        Addressing::Auto => configured.is_some(),
    };
    let endpoint = configured.unwrap_or_else(|| {
        let region = sdk.region().map(|r| r.as_ref()).unwrap_or("us-east-1");
        format!("AWS S3 ({region})")
    });
    let conf = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(path_style)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .build();
    Ok((Client::from_conf(conf), endpoint))
}
