//! What can go wrong talking to an object store, classified so that the command line can say what
//! to do next. Every message names the endpoint and the bucket where that helps, and never a
//! credential.

use std::io;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

/// An error from the object store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No credentials anywhere: no environment variables, no profile, no container role.
    #[error("no S3 credentials found ({detail})")]
    NoCredentials {
        /// What the credential chain reported.
        detail: String,
    },
    /// Nothing answered at the endpoint: connection refused, DNS or TLS failure, reset.
    #[error("cannot reach the object store at {endpoint}: {detail}")]
    Unreachable {
        /// The endpoint in use.
        endpoint: String,
        /// The transport's reason.
        detail: String,
    },
    /// A connect or request timeout expired.
    #[error("the object store at {endpoint} did not answer in time: {detail}")]
    Timeout {
        /// The endpoint in use.
        endpoint: String,
        /// The timeout's reason.
        detail: String,
    },
    /// The server does not know the access key, or the signature does not match the secret.
    #[error("the object store at {endpoint} rejected the credentials ({code})")]
    BadCredentials {
        /// The endpoint in use.
        endpoint: String,
        /// `InvalidAccessKeyId`, `SignatureDoesNotMatch`, `ExpiredToken`, ...
        code: String,
    },
    /// The request was authenticated but refused (HTTP 403). On a locked version this is how the
    /// server refuses a deletion or a shorter retention.
    #[error("{op} refused by the object store (HTTP 403 {code}){}", colon(message))]
    AccessDenied {
        /// The S3 operation.
        op: &'static str,
        /// The error code.
        code: String,
        /// The server's message, possibly empty.
        message: String,
    },
    /// The bucket does not exist.
    #[error("bucket {bucket} does not exist at {endpoint}")]
    NoSuchBucket {
        /// The bucket.
        bucket: String,
        /// The endpoint in use.
        endpoint: String,
    },
    /// The key, or that version of it, does not exist.
    #[error("s3://{bucket}/{key}{}: no such object", version_words(version))]
    NotFound {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// The version asked for, if any.
        version: Option<String>,
    },
    /// The bucket has no Object Lock, so nothing in it can be locked.
    #[error("bucket {bucket} has no Object Lock")]
    LockNotEnabled {
        /// The bucket.
        bucket: String,
    },
    /// The server accepted a lock, but reading it back shows something else.
    #[error(
        "s3://{bucket}/{key} version {version_id}: the lock did not take (asked for {asked}; the store reports {found})"
    )]
    LockNotApplied {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// The version written.
        version_id: String,
        /// What was asked for.
        asked: String,
        /// What the server reports.
        found: String,
    },
    /// The object changed while it was being read (its ETag moved on).
    #[error("s3://{bucket}/{key} changed while it was being read")]
    Changed {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
    /// Any other error response.
    #[error("{op} failed: HTTP {status} {code}{}", colon(message))]
    Service {
        /// The S3 operation.
        op: &'static str,
        /// The HTTP status.
        status: u16,
        /// The S3 error code (empty for answers without a body, such as HEAD).
        code: String,
        /// The server's message, possibly empty.
        message: String,
    },
    /// An answer that is malformed or lacks a field earwitness relies on.
    #[error("{op}: unexpected answer from the object store: {detail}")]
    Protocol {
        /// The S3 operation.
        op: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The request could not be built or sent for a local reason (a bad endpoint URL or region).
    #[error("{op}: the request could not be sent: {detail}")]
    Request {
        /// The S3 operation.
        op: &'static str,
        /// The SDK's reason.
        detail: String,
    },
    /// Something unusable was asked for (a retention date in the past, a bad location).
    #[error("{0}")]
    InvalidArgument(String),
    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The private async runtime could not be started.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] io::Error),
}

fn colon(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

fn version_words(version: &Option<String>) -> String {
    match version {
        Some(v) => format!(" (version {v})"),
        None => String::new(),
    }
}

impl StoreError {
    /// Whether the store could not be reached or did not accept who we are: nothing about any one
    /// object, so an audit stops instead of failing every bundle the same way.
    pub fn is_connection(&self) -> bool {
        matches!(
            self,
            StoreError::NoCredentials { .. }
                | StoreError::Unreachable { .. }
                | StoreError::Timeout { .. }
                | StoreError::BadCredentials { .. }
                | StoreError::NoSuchBucket { .. }
        )
    }

    /// The `StoreError` inside an I/O error that a [`super::RangeReader`] returned, if any.
    pub fn within(error: &io::Error) -> Option<&StoreError> {
        error.get_ref()?.downcast_ref::<StoreError>()
    }
}

/// Shorthand for results of this module.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Where a request went: for messages.
pub(super) struct Target<'a> {
    pub endpoint: &'a str,
    pub bucket: &'a str,
}

/// The deepest reason in an error's chain, for a one-line message: "Connection refused (os error
/// 111)" rather than the SDK's nested wrappers.
pub(super) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e;
    let mut chain = vec![e.to_string()];
    while let Some(next) = last.source() {
        last = next;
        chain.push(next.to_string());
    }
    // The innermost message alone can be too terse ("operation timed out"); keep the two deepest
    // distinct ones.
    chain.dedup();
    let n = chain.len();
    if n >= 2 && !chain[n - 2].contains(&chain[n - 1]) && chain[n - 2].len() < 120 {
        format!("{}: {}", chain[n - 2], chain[n - 1])
    } else {
        chain.pop().unwrap_or_default()
    }
}

/// "This version has no retention / legal hold": AWS says `NoSuchObjectLockConfiguration`,
/// radosgw `ObjectLockConfigurationNotFoundError` (404 both).
pub(super) fn no_lock_config<E: ProvideErrorMetadata>(e: &SdkError<E>) -> bool {
    matches!(
        e.code(),
        Some("NoSuchObjectLockConfiguration" | "ObjectLockConfigurationNotFoundError")
    )
}

/// Maps an SDK error to a [`StoreError`]. Service errors carry an HTTP status and an S3 code;
/// dispatch failures say whether the transport, a timeout or the local setup failed.
pub(super) fn classify<E>(
    target: &Target<'_>,
    op: &'static str,
    object: Option<(&str, Option<&str>)>,
    err: SdkError<E>,
) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let endpoint = target.endpoint.to_owned();
    let detail = root_cause(&err);
    match &err {
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            let code = se.err().code().unwrap_or_default().to_owned();
            let message = se.err().message().unwrap_or_default().to_owned();
            match (status, code.as_str(), object) {
                (
                    _,
                    "InvalidAccessKeyId"
                    | "SignatureDoesNotMatch"
                    | "InvalidToken"
                    | "ExpiredToken"
                    | "TokenRefreshRequired",
                    _,
                ) => StoreError::BadCredentials { endpoint, code },
                (_, "NoSuchBucket", _) => StoreError::NoSuchBucket {
                    bucket: target.bucket.to_owned(),
                    endpoint,
                },
                (_, "NoSuchKey" | "NoSuchVersion", Some((key, version)))
                | (404, "" | "NotFound", Some((key, version))) => StoreError::NotFound {
                    bucket: target.bucket.to_owned(),
                    key: key.to_owned(),
                    version: version.map(str::to_owned),
                },
                (412, _, Some((key, _))) => StoreError::Changed {
                    bucket: target.bucket.to_owned(),
                    key: key.to_owned(),
                },
                (403, _, _) => StoreError::AccessDenied {
                    op,
                    code: if code.is_empty() {
                        "Forbidden".into()
                    } else {
                        code
                    },
                    message,
                },
                _ => StoreError::Service {
                    op,
                    status,
                    code: if code.is_empty() {
                        "(no S3 error code: is this an S3 endpoint?)".into()
                    } else {
                        code
                    },
                    message,
                },
            }
        }
        SdkError::TimeoutError(_) => StoreError::Timeout { endpoint, detail },
        SdkError::DispatchFailure(d) if d.is_timeout() => StoreError::Timeout { endpoint, detail },
        SdkError::DispatchFailure(d) if d.is_io() => StoreError::Unreachable { endpoint, detail },
        // Credentials are resolved before any byte is sent.
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_)
            if detail.contains("credentials") =>
        {
            StoreError::NoCredentials { detail }
        }
        SdkError::DispatchFailure(d) if d.is_other() => {
            StoreError::Unreachable { endpoint, detail }
        }
        SdkError::ResponseError(_) => StoreError::Protocol { op, detail },
        _ => StoreError::Request { op, detail },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_place_and_never_more() {
        let e = StoreError::NotFound {
            bucket: "b".into(),
            key: "k.zip".into(),
            version: Some("v1".into()),
        };
        assert_eq!(e.to_string(), "s3://b/k.zip (version v1): no such object");
        let e = StoreError::AccessDenied {
            op: "DeleteObject",
            code: "AccessDenied".into(),
            message: "forbidden by object lock".into(),
        };
        assert_eq!(
            e.to_string(),
            "DeleteObject refused by the object store (HTTP 403 AccessDenied): forbidden by object lock"
        );
        assert!(
            StoreError::Unreachable {
                endpoint: "http://x".into(),
                detail: String::new()
            }
            .is_connection()
        );
    }

    #[test]
    fn the_root_cause_is_short() {
        let inner = io::Error::new(io::ErrorKind::ConnectionRefused, "Connection refused");
        let outer = io::Error::other(inner);
        assert_eq!(root_cause(&outer), "Connection refused");
    }
}
