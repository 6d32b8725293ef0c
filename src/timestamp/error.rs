//! Why a time-stamp response or token is refused.

use super::request::Nonce;

/// What is wrong with the TSA certificate's extendedKeyUsage (RFC 3161 §2.3).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EkuProblem {
    /// No extendedKeyUsage extension at all.
    #[error("no extendedKeyUsage extension")]
    Absent,
    /// The extension does not name id-kp-timeStamping.
    #[error("extendedKeyUsage does not contain id-kp-timeStamping")]
    NoTimeStamping,
    /// The extension names other purposes too (listed).
    #[error("extendedKeyUsage has purposes besides id-kp-timeStamping: {0}")]
    OtherPurposes(String),
    /// The extension is not marked critical.
    #[error("extendedKeyUsage is not critical")]
    NotCritical,
}

/// Why a time-stamp response or token is refused. `subject` members are certificate subjects as
/// RFC 4514 text; `detail` members say what a parser or a comparison found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// A structure does not decode (`what` names it).
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// The structure.
        what: &'static str,
        /// What the decoder said.
        detail: String,
    },
    /// The TSA refused: a PKIStatus other than granted (0) or grantedWithMods (1).
    #[error("the TSA did not grant the request: status {status} ({name}){text}{failures}",
        name = status_name(*.status),
        text = if .text.is_empty() { String::new() } else { format!(", text {:?}", .text) },
        failures = if .failures.is_empty() { String::new() } else { format!(", failure {}", .failures.join("|")) })]
    BadStatus {
        /// The PKIStatus.
        status: u32,
        /// The TSA's statusString.
        text: Vec<String>,
        /// The PKIFailureInfo bits set, by name.
        failures: Vec<&'static str>,
    },
    /// A granted status, but no token.
    #[error("the response holds no time-stamp token")]
    NoToken,
    /// The token is not a signedData holding a TSTInfo.
    #[error("the token's content type is {found}, not signedData with id-ct-TSTInfo")]
    WrongContentType {
        /// The content type found.
        found: String,
    },
    /// TSTInfo has another version than 1.
    #[error("TSTInfo version {0}, expected 1")]
    UnsupportedVersion(u8),
    /// The imprint is not SHA-256.
    #[error("the message imprint uses hash algorithm {found}, expected SHA-256")]
    UnsupportedImprintAlgorithm {
        /// The algorithm's OID.
        found: String,
    },
    /// The token time-stamps another digest (lowercase hex).
    #[error("the token time-stamps {found}, expected {expected}")]
    ImprintMismatch {
        /// The digest asked for.
        expected: String,
        /// The digest in the token.
        found: String,
    },
    /// The token does not repeat the request's nonce.
    #[error("the token's nonce is {found}, not the request's {expected}", found = .found.as_ref().map_or("absent".to_string(), |n| n.to_string()))]
    NonceMismatch {
        /// The request's nonce.
        expected: Nonce,
        /// The token's, if any.
        found: Option<Nonce>,
    },
    /// Not exactly one SignerInfo.
    #[error("a time-stamp token must have exactly one signer, found {0}")]
    SignerCount(usize),
    /// A required signed attribute is absent.
    #[error("signed attribute {0} is missing")]
    MissingSignedAttribute(&'static str),
    /// A signed attribute is repeated, multi-valued or does not decode.
    #[error("signed attribute {name} is invalid: {detail}")]
    BadSignedAttribute {
        /// The attribute.
        name: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The message-digest attribute is not the digest of the TSTInfo.
    #[error("the message-digest attribute does not match the TSTInfo")]
    MessageDigestMismatch,
    /// An algorithm or key type this module does not implement.
    #[error("unsupported algorithm: {detail}")]
    UnsupportedAlgorithm {
        /// Which.
        detail: String,
    },
    /// The TSA's signature does not verify.
    #[error("the TSA's signature does not verify")]
    BadSignature,
    /// The signer's certificate is not in the token (the TSA ignored certReq).
    #[error("the TSA's certificate ({sid}) is not in the token")]
    SignerCertificateNotFound {
        /// The SignerIdentifier, for people.
        sid: String,
    },
    /// No ESS signing-certificate attribute.
    #[error("no signing-certificate or signing-certificate-v2 attribute (ESS, RFC 2634/5035)")]
    MissingSigningCertificate,
    /// The ESS attribute names other certificates.
    #[error("the ESS signing-certificate attribute does not match the certificates: {detail}")]
    SigningCertificateMismatch {
        /// What differs.
        detail: String,
    },
    /// A certificate's signature by its issuer does not verify.
    #[error("the signature on certificate {subject:?} by its issuer does not verify")]
    BadCertificateSignature {
        /// The certificate.
        subject: String,
    },
    /// The issuer found by key identifier has another name than the certificate's issuer.
    #[error(
        "certificate {subject:?} names issuer {issuer:?}, but the certificate with its authority key identifier is {found:?}"
    )]
    IssuerNameMismatch {
        /// The certificate.
        subject: String,
        /// The issuer it names.
        issuer: String,
        /// The certificate with the key identifier it names.
        found: String,
    },
    /// An issuer that is not a CA, or exceeds its path length.
    #[error("issuer {subject:?} may not issue certificates: {reason}")]
    NotACa {
        /// The issuer.
        subject: String,
        /// Why not.
        reason: String,
    },
    /// The path is too long.
    #[error("the certificate path is longer than {limit}")]
    ChainTooLong {
        /// The longest path searched.
        limit: usize,
    },
    /// A critical extension this module does not process.
    #[error("certificate {subject:?} has an unhandled critical extension {oid}")]
    UnhandledCriticalExtension {
        /// The certificate.
        subject: String,
        /// The extension.
        oid: String,
    },
    /// The TSA certificate is not for time-stamping.
    #[error("TSA certificate {subject:?} is not for time-stamping: {problem}")]
    TimeStampingEku {
        /// The TSA certificate.
        subject: String,
        /// What is wrong.
        problem: EkuProblem,
    },
    /// The TSA certificate's keyUsage allows more or other than signing.
    #[error("TSA certificate {subject:?} has a keyUsage not allowed for time-stamping: {reason}")]
    BadKeyUsage {
        /// The TSA certificate.
        subject: String,
        /// What is wrong.
        reason: String,
    },
    /// A certificate of the path had expired at genTime.
    #[error("certificate {subject:?} expired at {not_after}, before genTime {gen_time}")]
    CertificateExpired {
        /// The certificate.
        subject: String,
        /// Its notAfter.
        not_after: jiff::Timestamp,
        /// The token's genTime.
        gen_time: jiff::Timestamp,
    },
    /// A certificate of the path was not yet valid at genTime.
    #[error("certificate {subject:?} is valid only from {not_before}, after genTime {gen_time}")]
    CertificateNotYetValid {
        /// The certificate.
        subject: String,
        /// Its notBefore.
        not_before: jiff::Timestamp,
        /// The token's genTime.
        gen_time: jiff::Timestamp,
    },
    /// TSTInfo's `tsa` names someone other than the signer.
    #[error(
        "the TSA name in the token ({tsa}) is not a name of the signing certificate ({subject:?})"
    )]
    TsaNameMismatch {
        /// The name in TSTInfo.
        tsa: String,
        /// The signer's subject.
        subject: String,
    },
}

fn status_name(status: u32) -> &'static str {
    match status {
        0 => "granted",
        1 => "grantedWithMods",
        2 => "rejection",
        3 => "waiting",
        4 => "revocationWarning",
        5 => "revocationNotification",
        _ => "unknown",
    }
}

/// PKIFailureInfo bits (RFC 3161 §2.4.2).
pub(crate) fn failure_names(bits: &der::asn1::BitString) -> Vec<&'static str> {
    const NAMES: [(usize, &str); 8] = [
        (0, "badAlg"),
        (2, "badRequest"),
        (5, "badDataFormat"),
        (14, "timeNotAvailable"),
        (15, "unacceptedPolicy"),
        (16, "unacceptedExtension"),
        (17, "addInfoNotAvailable"),
        (25, "systemFailure"),
    ];
    let set: Vec<bool> = bits.bits().collect();
    NAMES
        .iter()
        .filter(|(bit, _)| set.get(*bit).copied().unwrap_or(false))
        .map(|(_, name)| *name)
        .collect()
}

/// A `map_err` for DER decoding errors of `what`.
pub(crate) fn malformed(what: &'static str) -> impl Fn(der::Error) -> TokenError {
    move |e| TokenError::Malformed {
        what,
        detail: e.to_string(),
    }
}
