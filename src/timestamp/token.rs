//! Reading a `TimeStampResp` ([`check_response`]): what the token says, checked against what was
//! asked, before any cryptography; and the types of a verified token.

use der::Decode;
use der::asn1::OctetString;
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;

use super::asn1::{self, oid};
use super::chain;
use super::crypto::HashAlg;
use super::error::{TokenError, failure_names, malformed};
use super::request::Nonce;

/// PKIStatus values that carry a token (RFC 3161 §2.4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantStatus {
    /// granted (0).
    Granted,
    /// grantedWithMods (1): the TSA changed something in the request (e.g. ignored a policy).
    GrantedWithMods,
}

/// Accuracy of genTime (RFC 3161 §2.4.2); absent parts are zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accuracy {
    /// Whole seconds.
    pub seconds: u64,
    /// Milliseconds.
    pub millis: u16,
    /// Microseconds.
    pub micros: u16,
}

/// What a token says, read from its TSTInfo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    /// Granted, or granted with modifications.
    pub status: GrantStatus,
    /// The time the TSA asserts, UTC.
    pub gen_time: jiff::Timestamp,
    /// genTime as written in the token, e.g. `20260101120000.25Z`.
    pub gen_time_text: String,
    /// The token's serial number, upper-case hex of the INTEGER's content octets.
    pub serial_hex: String,
    /// The TSA policy, as a dotted OID.
    pub policy: String,
    /// How far genTime may be off, if the TSA says.
    pub accuracy: Option<Accuracy>,
    /// Whether the TSA orders its tokens by genTime alone (RFC 3161 §2.4.2).
    pub ordering: bool,
    /// The nonce, as the request sent it.
    pub nonce: Option<Nonce>,
    /// The `tsa` GeneralName of TSTInfo, if the TSA sent one (e.g. `DirName:CN=...`).
    pub tsa_name: Option<String>,
    /// The time-stamped SHA-256 digest.
    pub sha256: [u8; 32],
}

/// A certificate, described for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertSummary {
    /// Subject distinguished name (RFC 4514 style, as `x509-cert` prints it).
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Serial number, upper-case hex.
    pub serial_hex: String,
    /// Start of validity.
    pub not_before: jiff::Timestamp,
    /// End of validity.
    pub not_after: jiff::Timestamp,
    /// SHA-256 of the certificate's DER, upper-case hex.
    pub sha256_hex: String,
}

/// Whether a token's chain ends at a root the verifier trusts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TsaTrust {
    /// The chain ends at one of the trusted roots: this one.
    Trusted(CertSummary),
    /// Cryptographically sound, but not anchored in the trusted roots.
    Untrusted(Untrusted),
}

/// Why a sound token is not trusted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Untrusted {
    /// No trusted root was given at all.
    #[error("no trusted TSA root was given")]
    NoRoots,
    /// The chain ends at a self-signed root (its signature checked) that is not a trusted root.
    #[error("the chain ends at root {:?}, which is not among the trusted roots", .0.subject)]
    UnknownRoot(CertSummary),
    /// No certificate for this issuer was in the token or the trusted roots.
    #[error("no certificate for issuer {0:?} in the token or the trusted roots")]
    IssuerNotFound(String),
}

/// A token whose signature, certificate binding and chain verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedTime {
    /// What the token says.
    pub info: TokenInfo,
    /// The TSA's certificate (the signer).
    pub signer: CertSummary,
    /// The certification path, the signer first; it ends at the anchor or untrusted root when
    /// there is one.
    pub chain: Vec<CertSummary>,
    /// Whether the chain ends at a trusted root.
    pub trust: TsaTrust,
}

impl VerifiedTime {
    /// Whether the chain ends at a trusted root.
    pub fn is_trusted(&self) -> bool {
        matches!(self.trust, TsaTrust::Trusted(_))
    }
}

/// A granted response whose TSTInfo matches the request; its signature is not yet checked.
#[derive(Clone, Debug)]
pub struct Token {
    /// What the TSTInfo says.
    pub info: TokenInfo,
    pub(super) signed_data: asn1::SignedDataRaw,
    /// The encapsulated TSTInfo, exactly as signed.
    pub(super) tst_info_der: Vec<u8>,
    pub(super) tsa: Option<GeneralName>,
}

/// Checks a DER `TimeStampResp` against the request, without cryptography: status granted (0) or
/// grantedWithMods (1), a token present, a `signedData` holding an `id-ct-TSTInfo`, TSTInfo
/// version 1, a SHA-256 message imprint equal to `expected_sha256`, and (when given) the nonce.
///
/// These are the checks `openssl ts -verify -queryfile` makes (TS_VFY_VERSION, TS_VFY_IMPRINT,
/// TS_VFY_NONCE) besides the signature; with `expected_nonce` `None` they are those of
/// `openssl ts -verify -data`.
pub fn check_response(
    resp_der: &[u8],
    expected_sha256: &[u8; 32],
    expected_nonce: Option<&Nonce>,
) -> Result<Token, TokenError> {
    let resp = asn1::TimeStampResp::from_der(resp_der).map_err(malformed("TimeStampResp"))?;
    let status = match resp.status.status {
        0 => GrantStatus::Granted,
        1 => GrantStatus::GrantedWithMods,
        other => {
            return Err(TokenError::BadStatus {
                status: other,
                text: resp.status.status_string.unwrap_or_default(),
                failures: resp
                    .status
                    .fail_info
                    .as_ref()
                    .map(failure_names)
                    .unwrap_or_default(),
            });
        }
    };
    let content_info = resp.time_stamp_token.ok_or(TokenError::NoToken)?;
    if content_info.content_type != oid::SIGNED_DATA {
        return Err(TokenError::WrongContentType {
            found: content_info.content_type.to_string(),
        });
    }
    let signed_data: asn1::SignedDataRaw = content_info
        .content
        .decode_as()
        .map_err(malformed("SignedData"))?;
    let encap = &signed_data.encap_content_info;
    if encap.econtent_type != oid::CT_TST_INFO {
        return Err(TokenError::WrongContentType {
            found: encap.econtent_type.to_string(),
        });
    }
    let econtent = encap
        .econtent
        .as_ref()
        .ok_or_else(|| TokenError::Malformed {
            what: "SignedData",
            detail: "no encapsulated TSTInfo (detached content)".into(),
        })?;
    let tst_info_der = econtent
        .decode_as::<OctetString>()
        .map_err(malformed("eContent"))?
        .as_bytes()
        .to_vec();
    let tst = asn1::TstInfo::from_der(&tst_info_der).map_err(malformed("TSTInfo"))?;
    if tst.version != 1 {
        return Err(TokenError::UnsupportedVersion(tst.version));
    }

    let imprint = &tst.message_imprint;
    if HashAlg::from_algorithm(&imprint.hash_algorithm) != Some(HashAlg::Sha256) {
        return Err(TokenError::UnsupportedImprintAlgorithm {
            found: imprint.hash_algorithm.oid.to_string(),
        });
    }
    let found = imprint.hashed_message.as_bytes();
    if found != expected_sha256 {
        return Err(TokenError::ImprintMismatch {
            expected: hex::encode(expected_sha256),
            found: hex::encode(found),
        });
    }
    let nonce = tst.nonce.as_ref().map(Nonce::from_int);
    if let Some(expected) = expected_nonce
        && nonce.as_ref() != Some(expected)
    {
        return Err(TokenError::NonceMismatch {
            expected: expected.clone(),
            found: nonce,
        });
    }

    let info = TokenInfo {
        status,
        gen_time: tst.gen_time.timestamp,
        gen_time_text: tst.gen_time.text.clone(),
        serial_hex: chain::hex_upper(tst.serial_number.as_bytes()),
        policy: tst.policy.to_string(),
        accuracy: tst.accuracy.as_ref().map(|a| Accuracy {
            seconds: a.seconds.unwrap_or(0),
            millis: a.millis.unwrap_or(0),
            micros: a.micros.unwrap_or(0),
        }),
        ordering: tst.ordering,
        nonce,
        tsa_name: tst.tsa.as_ref().map(general_name_text),
        sha256: *expected_sha256,
    };
    Ok(Token {
        info,
        signed_data,
        tst_info_der,
        tsa: tst.tsa,
    })
}

pub(super) fn general_name_text(name: &GeneralName) -> String {
    match name {
        GeneralName::DirectoryName(n) => format!("DirName:{n}"),
        GeneralName::DnsName(s) => format!("DNS:{s}"),
        GeneralName::Rfc822Name(s) => format!("email:{s}"),
        GeneralName::UniformResourceIdentifier(s) => format!("URI:{s}"),
        GeneralName::IpAddress(ip) => format!("IP:{}", chain::hex_upper(ip.as_bytes())),
        GeneralName::RegisteredId(oid) => format!("RID:{oid}"),
        GeneralName::OtherName(o) => format!("othername:{}", o.type_id),
        GeneralName::EdiPartyName(_) => "EdiPartyName".to_string(),
    }
}

/// Verifies a stored DER `TimeStampResp` offline: everything [`check_response`] checks (without a
/// nonce), then [`Token::verify`] against `trust_roots`.
pub fn verify_token(
    resp_der: &[u8],
    expected_sha256: &[u8; 32],
    trust_roots: &[Certificate],
) -> Result<VerifiedTime, TokenError> {
    check_response(resp_der, expected_sha256, None)?.verify(trust_roots)
}

/// Reads the certificates of a PEM file (such as a `root.pem` given to `openssl -CAfile`).
pub fn load_pem_certificates(pem: &[u8]) -> Result<Vec<Certificate>, TokenError> {
    Certificate::load_pem_chain(pem).map_err(malformed("PEM certificates"))
}
