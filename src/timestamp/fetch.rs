//! Sending a request to a TSA over HTTP (RFC 3161 §3.4) with `ureq`: plain `http://` needs no TLS
//! stack; `https://` needs the `https` feature. The token authenticates itself, so TLS would only
//! hide which digest is being time-stamped.

use std::io;
use std::time::Duration;

use super::Request;

/// Content type of a `TimeStampReq` body (RFC 3161 §3.4).
pub const TIMESTAMP_QUERY: &str = "application/timestamp-query";
/// Content type of a `TimeStampResp` body (RFC 3161 §3.4).
pub const TIMESTAMP_REPLY: &str = "application/timestamp-reply";
/// Accepted as well: sent by some older TSAs (it is the name of earlier drafts).
const TIMESTAMP_RESPONSE_LEGACY: &str = "application/timestamp-response";

/// Why no answer could be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Not an `http://` or `https://` URL.
    #[error("invalid TSA URL {url:?}: {detail}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// What is wrong with it.
        detail: String,
    },
    /// An `https://` URL in a build without the `https` feature.
    #[error("https TSA URLs need earwitness built with the `https` feature: {url}")]
    HttpsNotEnabled {
        /// The URL.
        url: String,
    },
    /// No connection (refused, no route, unknown host).
    #[error("cannot reach the TSA at {url}: {detail}")]
    Unreachable {
        /// The URL.
        url: String,
        /// What the network said.
        detail: String,
    },
    /// No complete answer in time.
    #[error("the TSA at {url} did not answer within {} s", .timeout.as_secs())]
    Timeout {
        /// The URL.
        url: String,
        /// The time allowed.
        timeout: Duration,
    },
    /// An HTTP status other than 200.
    #[error("the TSA at {url} answered HTTP status {status}")]
    HttpStatus {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
    },
    /// An answer larger than allowed.
    #[error("the TSA's answer is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// An answer that is not a time-stamp reply.
    #[error("the TSA answered with content type {found:?}, not {TIMESTAMP_REPLY}")]
    WrongContentType {
        /// The content type, if any.
        found: Option<String>,
    },
    /// Any other failure of the exchange.
    #[error("HTTP exchange with the TSA at {url} failed: {detail}")]
    Protocol {
        /// The URL.
        url: String,
        /// What failed.
        detail: String,
    },
}

/// POSTs `request` to the TSA at `url` and returns the body of its answer, a DER
/// `TimeStampResp` still to be checked with [`super::check_response`].
///
/// `timeout` bounds the whole exchange (resolution, connection, sending, the answer);
/// `max_bytes` bounds the answer's body (TSA answers are a few kilobytes: 64 KiB is ample).
/// Redirects are not followed; proxies are taken from the usual environment variables.
pub fn fetch(
    url: &str,
    request: &Request,
    timeout: Duration,
    max_bytes: u64,
) -> Result<Vec<u8>, FetchError> {
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("http") => {}
        Some("https") if cfg!(feature = "https") => {}
        Some("https") => {
            return Err(FetchError::HttpsNotEnabled {
                url: url.to_string(),
            });
        }
        _ => {
            return Err(FetchError::InvalidUrl {
                url: url.to_string(),
                detail: "not an http:// or https:// URL".into(),
            });
        }
    }

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(concat!("earwitness/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut response = agent
        .post(url)
        .header("Content-Type", TIMESTAMP_QUERY)
        .send(request.der())
        .map_err(|e| map_error(e, url, timeout, max_bytes))?;

    let status = response.status().as_u16();
    if status != 200 {
        return Err(FetchError::HttpStatus {
            url: url.to_string(),
            status,
        });
    }
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let essence = content_type.as_deref().map(|v| {
        v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    if !matches!(
        essence.as_deref(),
        Some(TIMESTAMP_REPLY | TIMESTAMP_RESPONSE_LEGACY)
    ) {
        return Err(FetchError::WrongContentType {
            found: content_type,
        });
    }
    response
        .body_mut()
        .with_config()
        .limit(max_bytes)
        .read_to_vec()
        .map_err(|e| map_error(e, url, timeout, max_bytes))
}

fn map_error(error: ureq::Error, url: &str, timeout: Duration, max_bytes: u64) -> FetchError {
    let url = url.to_string();
    match error {
        ureq::Error::Timeout(_) => FetchError::Timeout { url, timeout },
        ureq::Error::BodyExceedsLimit(_) => FetchError::TooLarge { limit: max_bytes },
        ureq::Error::BadUri(detail) => FetchError::InvalidUrl { url, detail },
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => FetchError::Unreachable {
            url,
            detail: error.to_string(),
        },
        ureq::Error::Io(ref e) if is_unreachable(e.kind()) => FetchError::Unreachable {
            url,
            detail: error.to_string(),
        },
        ureq::Error::Io(ref e) if e.kind() == io::ErrorKind::TimedOut => {
            FetchError::Timeout { url, timeout }
        }
        ureq::Error::TlsRequired | ureq::Error::RequireHttpsOnly(_) => {
            FetchError::HttpsNotEnabled { url }
        }
        other => FetchError::Protocol {
            url,
            detail: other.to_string(),
        },
    }
}

fn is_unreachable(kind: io::ErrorKind) -> bool {
    use io::ErrorKind::*;
    matches!(
        kind,
        ConnectionRefused
            | ConnectionReset
            | ConnectionAborted
            | NotConnected
            | AddrNotAvailable
            | HostUnreachable
            | NetworkUnreachable
    )
}
