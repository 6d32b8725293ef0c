//! RFC 3161 time-stamps over custody events, checkable by anyone offline.
//!
//! A time-stamp authority (TSA) signs a token saying that it saw a SHA-256 digest at a time
//! (`genTime`). earwitness asks for one over the exact bytes of an event file and stores the TSA's
//! whole DER answer (`TimeStampResp`) beside the event, as `openssl ts -reply` writes it and
//! `openssl ts -verify -data EVENT -in EVENT.tsr -CAfile ROOT.pem` checks it. The parts:
//! [`Request`] (a digest, a random nonce, `certReq`), [`fetch`] (HTTP POST, bounded in time and
//! size), [`check_response`] (status, imprint and nonce, no cryptography), [`Token::verify`] (the
//! CMS signature, the ESS binding, the timeStamping purpose, the chain at genTime), and
//! [`renewal_manifest`] (what a renewal token covers). [`stamp`] runs them for a new event.
//!
//! A verified token is either trusted (its chain ends at a root the verifier gave) or sound but
//! untrusted: the verifier's policy, never a fault of the bundle. A broken token is an error.

mod asn1;
mod chain;
mod crypto;
mod error;
mod fetch;
mod renewal;
mod request;
mod token;
mod verify;

use std::time::Duration;

pub use error::{EkuProblem, TokenError};
pub use fetch::{FetchError, TIMESTAMP_QUERY, TIMESTAMP_REPLY, fetch};
pub use renewal::{RENEWAL_HEADER, RenewalError, listed_tokens, renewal_manifest};
pub use request::{Nonce, Request, RequestError};
pub use token::{
    Accuracy, CertSummary, GrantStatus, Token, TokenInfo, TsaTrust, Untrusted, VerifiedTime,
    check_response, load_pem_certificates, verify_token,
};
pub use x509_cert::Certificate;

/// The most a stored token (a `.tsr` file) may hold: 64 KiB, like every small custody file. Real
/// answers are 2 to 10 KiB.
pub const TOKEN_CAP: u64 = 64 << 10;
/// The most of a TSA's HTTP answer that is read.
pub const ANSWER_CAP: u64 = 1 << 20;
/// The default time allowed for one TSA's answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The TSAs to ask, and how long to wait for each.
#[derive(Clone, Debug)]
pub struct Tsa {
    /// The TSAs' URLs (`http://`, or `https://` with the `https` feature), asked in this order.
    pub urls: Vec<String>,
    /// The time allowed for each exchange.
    pub timeout: Duration,
}

impl Default for Tsa {
    fn default() -> Self {
        Tsa {
            urls: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Why no token could be had from a TSA. Nothing is written when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum StampError {
    /// No request could be made.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The TSA could not be reached or did not answer properly.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The TSA answered, but not with a sound token for this request.
    #[error("the TSA at {url} {}: {error}", if matches!(.error, TokenError::BadStatus { .. }) { "refused" } else { "answered with an unusable token" })]
    Token {
        /// The TSA.
        url: String,
        /// What is wrong with its answer.
        error: TokenError,
    },
    /// The answer is larger than a stored token may be.
    #[error("the TSA at {url} answered {len} bytes; a stored token may hold at most {TOKEN_CAP}")]
    TooLarge {
        /// The TSA.
        url: String,
        /// The answer's size.
        len: usize,
    },
}

/// Checks a TSA's answer to `request`: granted, the imprint and nonce of the request, the TSA's
/// certificate included (`certReq`), and every cryptographic check of [`Token::verify`] but trust
/// (the verifier decides whom to trust). Returns what the token says.
pub fn check_answer(answer: &[u8], request: &Request) -> Result<VerifiedTime, TokenError> {
    check_response(answer, request.sha256(), Some(request.nonce()))?.verify(&[])
}

/// Asks each TSA of `tsa` for a token over `sha256` and checks each answer ([`check_answer`]);
/// returns the answers (DER `TimeStampResp`s) in the order of the URLs. The first failure stops
/// it: a time-stamp that was asked for and not had is an error, never a silent omission.
pub fn stamp(tsa: &Tsa, sha256: [u8; 32]) -> Result<Vec<Vec<u8>>, StampError> {
    let mut answers = Vec::with_capacity(tsa.urls.len());
    for url in &tsa.urls {
        let request = Request::new(sha256)?;
        let answer = fetch(url, &request, tsa.timeout, ANSWER_CAP)?;
        check_answer(&answer, &request).map_err(|error| StampError::Token {
            url: url.clone(),
            error,
        })?;
        if answer.len() as u64 > TOKEN_CAP {
            return Err(StampError::TooLarge {
                url: url.clone(),
                len: answer.len(),
            });
        }
        answers.push(answer);
    }
    Ok(answers)
}

/// The name of a TSA for people: the common name of its certificate's subject, or the whole
/// subject when it has none.
pub fn tsa_name(signer: &CertSummary) -> String {
    signer
        .subject
        .split(',')
        .find_map(|part| part.trim().strip_prefix("CN="))
        .map(str::to_string)
        .unwrap_or_else(|| signer.subject.clone())
}
