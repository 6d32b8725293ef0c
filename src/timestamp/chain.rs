//! Certificates as received, and the path from the TSA certificate up to a trust anchor.
//!
//! Path building is a small depth-first search over the token's certificates (and any the
//! caller adds), preferring the caller's trust roots at each step. Only name chaining and
//! signatures are checked while searching; the chosen path is then validated as a whole by
//! [`validate_path`] (CA flags, key usage, path length, critical extensions, validity at genTime).

use der::{Decode, Encode};
use sha2::Digest;
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, KeyUsage, SubjectKeyIdentifier,
};
use x509_cert::name::Name;

use super::asn1::{CertificateRaw, oid};
use super::crypto::{self, CryptoError};
use super::{CertSummary, TokenError};

/// Longest path searched, leaf and anchor included (OpenSSL's default depth is 100; real TSA
/// chains have 2 to 4 certificates).
const MAX_PATH_LEN: usize = 8;
/// Most certificates considered from one token plus the caller's extras.
pub(crate) const MAX_POOL: usize = 64;

/// A certificate with the exact bytes it came in and its decoded form.
#[derive(Clone, Debug)]
pub(crate) struct CertEntry {
    /// The certificate's DER as received: what ESSCertID hashes cover.
    pub der: Vec<u8>,
    pub cert: Certificate,
    /// `tbsCertificate` as received: what the issuer signed.
    pub tbs_der: Vec<u8>,
    pub signature_algorithm: AlgorithmIdentifierOwned,
    pub signature: Vec<u8>,
}

impl CertEntry {
    pub(crate) fn from_der(der: &[u8]) -> Result<Self, TokenError> {
        let malformed = |e: der::Error| TokenError::Malformed {
            what: "certificate",
            detail: e.to_string(),
        };
        let raw = CertificateRaw::from_der(der).map_err(malformed)?;
        let cert = Certificate::from_der(der).map_err(malformed)?;
        let signature = raw
            .signature
            .as_bytes()
            .ok_or_else(|| TokenError::Malformed {
                what: "certificate",
                detail: "signature is not a whole number of bytes".into(),
            })?
            .to_vec();
        Ok(Self {
            der: der.to_vec(),
            tbs_der: raw.tbs_certificate.to_der().map_err(malformed)?,
            signature_algorithm: raw.signature_algorithm,
            signature,
            cert,
        })
    }

    pub(crate) fn from_certificate(cert: &Certificate) -> Result<Self, TokenError> {
        let der = cert.to_der().map_err(|e| TokenError::Malformed {
            what: "certificate",
            detail: e.to_string(),
        })?;
        Self::from_der(&der)
    }

    pub(crate) fn subject(&self) -> &Name {
        self.cert.tbs_certificate().subject()
    }

    pub(crate) fn issuer(&self) -> &Name {
        self.cert.tbs_certificate().issuer()
    }

    pub(crate) fn subject_text(&self) -> String {
        self.subject().to_string()
    }

    pub(crate) fn subject_key_identifier(&self) -> Option<Vec<u8>> {
        match self
            .cert
            .tbs_certificate()
            .get_extension::<SubjectKeyIdentifier>()
        {
            Ok(Some((_, ski))) => Some(ski.0.as_bytes().to_vec()),
            _ => None,
        }
    }

    /// The keyIdentifier of the authorityKeyIdentifier extension (RFC 5280 §4.2.1.1).
    pub(crate) fn authority_key_identifier(&self) -> Option<Vec<u8>> {
        match self
            .cert
            .tbs_certificate()
            .get_extension::<AuthorityKeyIdentifier>()
        {
            Ok(Some((_, aki))) => aki.key_identifier.map(|k| k.as_bytes().to_vec()),
            _ => None,
        }
    }

    fn is_self_issued(&self) -> bool {
        self.subject() == self.issuer()
    }

    pub(crate) fn summary(&self) -> CertSummary {
        let tbs = self.cert.tbs_certificate();
        let to_ts = |t: x509_cert::time::Time| {
            let secs = i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
            jiff::Timestamp::from_second(secs).unwrap_or(jiff::Timestamp::MAX)
        };
        CertSummary {
            subject: self.subject_text(),
            issuer: self.issuer().to_string(),
            serial_hex: hex_upper(tbs.serial_number().as_bytes()),
            not_before: to_ts(tbs.validity().not_before),
            not_after: to_ts(tbs.validity().not_after),
            sha256_hex: hex_upper(&sha2::Sha256::digest(&self.der)),
        }
    }
}

pub(crate) fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// How a path ends.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum PathEnd {
    /// The last certificate of the path is one of the caller's trust roots.
    Anchored,
    /// The last certificate is self-signed (its signature checked) but not a trust root.
    UntrustedRoot,
    /// No certificate was found for the issuer of the last one.
    IssuerNotFound,
}

/// A certification path, leaf first.
#[derive(Debug)]
pub(crate) struct Path<'a> {
    pub certs: Vec<&'a CertEntry>,
    pub end: PathEnd,
}

/// Checks that `issuer`'s key signed `child` (RFC 5280 §6.1.3 (a)(1)), after checking that the
/// outer and inner signature algorithm identifiers agree (RFC 5280 §4.1.1.2).
pub(crate) fn check_signed_by(child: &CertEntry, issuer: &CertEntry) -> Result<(), TokenError> {
    if child.cert.tbs_certificate().signature() != &child.signature_algorithm {
        return Err(TokenError::Malformed {
            what: "certificate",
            detail: format!(
                "{}: signatureAlgorithm differs from tbsCertificate.signature",
                child.subject_text()
            ),
        });
    }
    let scheme = crypto::scheme_for_certificate(&child.signature_algorithm)
        .map_err(|e| crypto_error(e, &child.subject_text()))?;
    crypto::verify(
        issuer.cert.tbs_certificate().subject_public_key_info(),
        scheme,
        &child.tbs_der,
        &child.signature,
    )
    .map_err(|e| crypto_error(e, &child.subject_text()))
}

fn crypto_error(e: CryptoError, subject: &str) -> TokenError {
    match e {
        CryptoError::BadSignature => TokenError::BadCertificateSignature {
            subject: subject.to_string(),
        },
        CryptoError::Unsupported(detail) => TokenError::UnsupportedAlgorithm {
            detail: format!("{subject}: {detail}"),
        },
        CryptoError::Malformed(detail) => TokenError::Malformed {
            what: "certificate key or signature",
            detail: format!("{subject}: {detail}"),
        },
    }
}

/// Finds a path from `leaf` to one of `roots`, through `pool`.
///
/// Returns the first anchored path found; failing that, a path that ends in an untrusted
/// self-signed root or at a missing issuer. A certificate whose issuer exists by name but whose
/// signature verifies under none of the candidates is an error (the token is broken).
pub(crate) fn build_path<'a>(
    leaf: &'a CertEntry,
    pool: &'a [CertEntry],
    roots: &'a [CertEntry],
) -> Result<Path<'a>, TokenError> {
    let mut certs = vec![leaf];
    let end = extend(&mut certs, pool, roots)?;
    Ok(Path { certs, end })
}

fn extend<'a>(
    path: &mut Vec<&'a CertEntry>,
    pool: &'a [CertEntry],
    roots: &'a [CertEntry],
) -> Result<PathEnd, TokenError> {
    let Some(&current) = path.last() else {
        return Ok(PathEnd::IssuerNotFound);
    };
    // The certificate itself is trusted (a root, or an intermediate the caller trusts directly).
    if roots.iter().any(|r| r.der == current.der) {
        return Ok(PathEnd::Anchored);
    }
    if path.len() >= MAX_PATH_LEN {
        return Err(TokenError::ChainTooLong {
            limit: MAX_PATH_LEN,
        });
    }
    let mut first_error: Option<TokenError> = None;
    let mut untrusted: Option<(PathEnd, Vec<&'a CertEntry>)> = None;

    // 1. A trust root that issued it.
    for root in roots.iter().filter(|r| r.subject() == current.issuer()) {
        match check_signed_by(current, root) {
            Ok(()) => {
                path.push(root);
                return Ok(PathEnd::Anchored);
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    // 2. A self-signed certificate that is not trusted.
    if current.is_self_issued() {
        match check_signed_by(current, current) {
            Ok(()) => return Ok(PathEnd::UntrustedRoot),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    // 3. An intermediate from the pool.
    for candidate in pool.iter().filter(|c| c.subject() == current.issuer()) {
        if path.iter().any(|p| p.der == candidate.der) {
            continue; // no loops
        }
        match check_signed_by(current, candidate) {
            Ok(()) => {
                let len = path.len();
                path.push(candidate);
                match extend(path, pool, roots) {
                    Ok(PathEnd::Anchored) => return Ok(PathEnd::Anchored),
                    Ok(end) => {
                        if untrusted.is_none() {
                            untrusted = Some((end, path.clone()));
                        }
                    }
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
                path.truncate(len);
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some((end, found)) = untrusted {
        *path = found;
        return Ok(end);
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    // 4. No issuer by name. A certificate whose subject key identifier is the one this
    //    certificate's authority key identifier names, under another name, means a renamed
    //    (tampered) issuer or issuer name: the token is broken, not merely from an unknown CA.
    if let Some(aki) = current.authority_key_identifier() {
        let by_key = roots.iter().chain(pool).find(|c| {
            c.der != current.der && c.subject_key_identifier().as_deref() == Some(aki.as_slice())
        });
        if let Some(issuer) = by_key {
            check_signed_by(current, issuer)?;
            return Err(TokenError::IssuerNameMismatch {
                subject: current.subject_text(),
                issuer: current.issuer().to_string(),
                found: issuer.subject_text(),
            });
        }
    }
    Ok(PathEnd::IssuerNotFound)
}

/// Validates a built path at `at` (genTime): validity of every certificate, CA constraints and
/// key usage of every issuer, path length constraints, and no unhandled critical extension.
pub(crate) fn validate_path(path: &Path<'_>, at: jiff::Timestamp) -> Result<(), TokenError> {
    for (index, entry) in path.certs.iter().enumerate() {
        check_validity(entry, at)?;
        check_critical_extensions(entry)?;
        // Every certificate above the leaf signs the one below it. When the path ends at a
        // missing issuer, the last certificate still signed the one below it.
        if index > 0 {
            check_ca(entry, index - 1)?;
        }
    }
    Ok(())
}

fn check_validity(entry: &CertEntry, at: jiff::Timestamp) -> Result<(), TokenError> {
    let summary = entry.summary();
    // RFC 5280 §4.1.2.5: the validity period includes both bounds.
    if at < summary.not_before {
        return Err(TokenError::CertificateNotYetValid {
            subject: summary.subject,
            not_before: summary.not_before,
            gen_time: at,
        });
    }
    if at > summary.not_after {
        return Err(TokenError::CertificateExpired {
            subject: summary.subject,
            not_after: summary.not_after,
            gen_time: at,
        });
    }
    Ok(())
}

/// RFC 5280 §4.2: a certificate with a critical extension the verifier does not process must be
/// rejected (OpenSSL: X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION). Certificate policies are not
/// processed, as with OpenSSL's defaults (no explicit-policy flags).
fn check_critical_extensions(entry: &CertEntry) -> Result<(), TokenError> {
    const HANDLED: [der::asn1::ObjectIdentifier; 7] = [
        oid::CE_BASIC_CONSTRAINTS,
        oid::CE_KEY_USAGE,
        oid::CE_EXT_KEY_USAGE,
        oid::CE_SUBJECT_KEY_IDENTIFIER,
        oid::CE_AUTHORITY_KEY_IDENTIFIER,
        oid::CE_SUBJECT_ALT_NAME,
        oid::CE_CERTIFICATE_POLICIES,
    ];
    for ext in entry
        .cert
        .tbs_certificate()
        .extensions()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        if ext.critical && !HANDLED.contains(&ext.extn_id) {
            return Err(TokenError::UnhandledCriticalExtension {
                subject: entry.subject_text(),
                oid: ext.extn_id.to_string(),
            });
        }
    }
    Ok(())
}

/// An issuer must be a CA (basicConstraints cA, RFC 5280 §4.2.1.9), may sign certificates when
/// it has a keyUsage extension (keyCertSign, §4.2.1.3), and its pathLenConstraint must allow the
/// `below` non-self-issued intermediates under it.
fn check_ca(entry: &CertEntry, below: usize) -> Result<(), TokenError> {
    let tbs = entry.cert.tbs_certificate();
    let subject = entry.subject_text();
    let not_ca = |reason: &str| TokenError::NotACa {
        subject: subject.clone(),
        reason: reason.to_string(),
    };
    let bc = tbs
        .get_extension::<BasicConstraints>()
        .map_err(|e| TokenError::Malformed {
            what: "basicConstraints",
            detail: format!("{subject}: {e}"),
        })?;
    match bc {
        Some((
            _,
            BasicConstraints {
                ca: true,
                path_len_constraint,
            },
        )) => {
            if let Some(limit) = path_len_constraint
                && below > usize::from(limit)
            {
                return Err(not_ca(&format!(
                    "pathLenConstraint {limit} exceeded ({below} intermediates below)"
                )));
            }
        }
        _ => return Err(not_ca("no basicConstraints with cA true")),
    }
    let ku = tbs
        .get_extension::<KeyUsage>()
        .map_err(|e| TokenError::Malformed {
            what: "keyUsage",
            detail: format!("{subject}: {e}"),
        })?;
    if let Some((_, ku)) = ku
        && !ku.key_cert_sign()
    {
        return Err(not_ca("keyUsage without keyCertSign"));
    }
    Ok(())
}
