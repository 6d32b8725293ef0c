//! The offline verification of a token ([`Token::verify`]): the CMS signature, the ESS binding of
//! the TSA certificate, its time-stamping purpose, and the certificate path at genTime.

use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode, Tagged};
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage, SubjectAltName};

use super::asn1::{self, oid};
use super::chain::{self, CertEntry, PathEnd};
use super::crypto::{self, CryptoError, HashAlg};
use super::error::{EkuProblem, TokenError, malformed};
use super::token::{CertSummary, Token, TsaTrust, Untrusted, VerifiedTime, general_name_text};

impl Token {
    /// Verifies the token's signature and certificates; genTime is the time at which every
    /// certificate of the path must be valid.
    ///
    /// Checks, in order (RFC 3161 §2.4.2 and RFC 5652 §5.4/§5.6 unless noted; OpenSSL's
    /// `TS_RESP_verify_signature` for the TS-specific rules):
    ///
    /// 1. SignedData version 3 or more (RFC 5652 §5.1); exactly one SignerInfo (OpenSSL: "there
    ///    must be one signer"), whose version matches its signer identifier (RFC 5652 §5.3; not
    ///    checked by OpenSSL);
    /// 2. its digest algorithm listed in `digestAlgorithms`, which lists only known hashes
    ///    (OpenSSL's PKCS7 digesting fails otherwise); signed attributes present, with one
    ///    content-type equal to id-ct-TSTInfo and one message-digest equal to the digest of the
    ///    encapsulated TSTInfo;
    /// 3. the signer's certificate found by its SignerIdentifier (issuerAndSerialNumber or
    ///    subjectKeyIdentifier) among the token's certificates (so `certReq` was honoured);
    /// 4. the signature over the DER of the signed attributes (a SET OF, RFC 5652 §5.4);
    /// 5. the ESS signing-certificate (v1, SHA-1) and/or signing-certificate-v2 attribute: one
    ///    is required, and the first ESSCertID of each must be the signer's certificate (hash
    ///    and, when present, issuerSerial) (RFC 2634 §5.4, RFC 5035, RFC 5816; OpenSSL
    ///    `OSSL_ESS_check_signing_certs`);
    /// 6. the TSA certificate: extendedKeyUsage critical with id-kp-timeStamping as its only
    ///    purpose (RFC 3161 §2.3), keyUsage if present limited to digitalSignature and/or
    ///    nonRepudiation (OpenSSL `check_purpose_timestamp_sign`);
    /// 7. a certificate path to a trusted root ([`TsaTrust`]), each certificate's signature checked
    ///    with its issuer's key, issuers being CAs, every certificate valid at genTime. Where no
    ///    issuer has the right name but one has the key identifier the authorityKeyIdentifier
    ///    names, the token is broken (a renamed certificate), not from an unknown CA;
    /// 8. the other ESSCertIDs identify certificates of that path;
    /// 9. TSTInfo's `tsa` name, when present, names the signer (RFC 3161 §2.4.2).
    pub fn verify(&self, trust_roots: &[Certificate]) -> Result<VerifiedTime, TokenError> {
        // 1.
        // RFC 5652 §5.1: with an eContentType other than id-data the version is 3 (4 or 5 with
        // attribute certificates or other certificate formats). Outside the signature, and not
        // checked by OpenSSL, but a token claiming 1 or 2 has been altered.
        if self.signed_data.version < cms::content_info::CmsVersion::V3 {
            return Err(TokenError::Malformed {
                what: "SignedData",
                detail: format!(
                    "version {:?} with an id-ct-TSTInfo content",
                    self.signed_data.version
                ),
            });
        }
        let signers = self.signed_data.signer_infos.0.as_slice();
        let [signer_info] = signers else {
            return Err(TokenError::SignerCount(signers.len()));
        };
        // RFC 5652 §5.3: version 1 with issuerAndSerialNumber, 3 with subjectKeyIdentifier.
        // (OpenSSL does not check; the field is outside the signature.)
        let expected_version = match signer_info.sid {
            cms::signed_data::SignerIdentifier::IssuerAndSerialNumber(_) => {
                cms::content_info::CmsVersion::V1
            }
            cms::signed_data::SignerIdentifier::SubjectKeyIdentifier(_) => {
                cms::content_info::CmsVersion::V3
            }
        };
        if signer_info.version != expected_version {
            return Err(TokenError::Malformed {
                what: "SignerInfo",
                detail: format!(
                    "version {:?} does not match its signer identifier",
                    signer_info.version
                ),
            });
        }

        // 2.
        let digest_alg = HashAlg::from_algorithm(&signer_info.digest_alg).ok_or_else(|| {
            TokenError::UnsupportedAlgorithm {
                detail: format!("digest algorithm {}", signer_info.digest_alg.oid),
            }
        })?;
        // OpenSSL digests the content with every algorithm of `digestAlgorithms` and then looks
        // up the signer's: an unknown entry, or a signer's algorithm not listed, fails there.
        for listed in self.signed_data.digest_algorithms.iter() {
            if HashAlg::from_algorithm(listed).is_none() {
                return Err(TokenError::UnsupportedAlgorithm {
                    detail: format!("digestAlgorithms lists {}", listed.oid),
                });
            }
        }
        if !self
            .signed_data
            .digest_algorithms
            .iter()
            .any(|a| HashAlg::from_algorithm(a) == Some(digest_alg))
        {
            return Err(TokenError::Malformed {
                what: "SignedData",
                detail: "digestAlgorithms does not list the signer's digest algorithm".into(),
            });
        }
        let scheme = crypto::scheme_for_signer(&signer_info.signature_algorithm, digest_alg)
            .map_err(signer_crypto_error)?;
        let signed_attrs = signer_info
            .signed_attrs
            .as_ref()
            .ok_or(TokenError::MissingSignedAttribute("signedAttrs"))?;
        let attrs = signed_attrs.as_slice();
        let content_type: ObjectIdentifier =
            single_attribute(attrs, oid::CONTENT_TYPE, "content-type")?
                .ok_or(TokenError::MissingSignedAttribute("content-type"))?;
        if content_type != oid::CT_TST_INFO {
            return Err(TokenError::BadSignedAttribute {
                name: "content-type",
                detail: format!("{content_type}, but the eContentType is id-ct-TSTInfo"),
            });
        }
        let message_digest: OctetString =
            single_attribute(attrs, oid::MESSAGE_DIGEST, "message-digest")?
                .ok_or(TokenError::MissingSignedAttribute("message-digest"))?;
        if message_digest.as_bytes() != digest_alg.digest(&self.tst_info_der).as_slice() {
            return Err(TokenError::MessageDigestMismatch);
        }

        // 3.
        let mut pool = Vec::new();
        for any in self.signed_data.certificates.iter().flatten() {
            // CertificateChoices (RFC 5652 §10.2.2): a certificate is a SEQUENCE; the other
            // choices ([0] to [3]: extended and attribute certificates, other formats) play no
            // part in TSA verification. Any other tag is not a CertificateChoices at all.
            match any.tag() {
                der::Tag::Sequence => {}
                der::Tag::ContextSpecific {
                    constructed: true,
                    number,
                } if number.value() <= 3 => continue,
                other => {
                    return Err(TokenError::Malformed {
                        what: "SignedData",
                        detail: format!("certificate set holds a {other}"),
                    });
                }
            }
            let der = any.to_der().map_err(malformed("certificate"))?;
            pool.push(CertEntry::from_der(&der)?);
        }
        if pool.len() > chain::MAX_POOL {
            return Err(TokenError::Malformed {
                what: "SignedData",
                detail: format!("more than {} certificates", chain::MAX_POOL),
            });
        }
        let roots = trust_roots
            .iter()
            .map(CertEntry::from_certificate)
            .collect::<Result<Vec<_>, _>>()?;
        let signer = find_signer(&signer_info.sid, &pool)?;

        // 4.
        let signed_attrs_der = signed_attrs
            .to_der()
            .map_err(malformed("signed attributes"))?;
        crypto::verify(
            signer.cert.tbs_certificate().subject_public_key_info(),
            scheme,
            &signed_attrs_der,
            signer_info.signature.as_bytes(),
        )
        .map_err(signer_crypto_error)?;

        // 5.
        let ess = EssIds::from_attributes(attrs)?;
        ess.check_first(signer)?;

        // 6.
        check_tsa_certificate(signer)?;

        // 7.
        let path = chain::build_path(signer, &pool, &roots)?;
        chain::validate_path(&path, self.info.gen_time)?;

        // 8.
        ess.check_rest(&path)?;

        // 9.
        if let Some(tsa) = &self.tsa {
            check_tsa_name(tsa, signer)?;
        }

        let chain: Vec<CertSummary> = path.certs.iter().map(|c| c.summary()).collect();
        let top = path.certs.last().copied().unwrap_or(signer);
        let trust = match path.end {
            PathEnd::Anchored => TsaTrust::Trusted(top.summary()),
            _ if trust_roots.is_empty() => TsaTrust::Untrusted(Untrusted::NoRoots),
            PathEnd::UntrustedRoot => TsaTrust::Untrusted(Untrusted::UnknownRoot(top.summary())),
            PathEnd::IssuerNotFound => {
                TsaTrust::Untrusted(Untrusted::IssuerNotFound(top.issuer().to_string()))
            }
        };
        Ok(VerifiedTime {
            info: self.info.clone(),
            signer: signer.summary(),
            chain,
            trust,
        })
    }
}

fn signer_crypto_error(e: CryptoError) -> TokenError {
    match e {
        CryptoError::BadSignature => TokenError::BadSignature,
        CryptoError::Unsupported(detail) => TokenError::UnsupportedAlgorithm { detail },
        CryptoError::Malformed(detail) => TokenError::Malformed {
            what: "signer key or signature",
            detail,
        },
    }
}

/// The value of the attribute `oid`, which must appear at most once and with exactly one value
/// (RFC 5652 §11: content-type and message-digest are single-valued; RFC 2634 likewise for the
/// ESS attributes).
fn single_attribute<T>(
    attrs: &[Attribute],
    oid: ObjectIdentifier,
    name: &'static str,
) -> Result<Option<T>, TokenError>
where
    T: for<'a> Decode<'a, Error = der::Error>,
{
    let mut found = attrs.iter().filter(|a| a.oid == oid);
    let Some(attr) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(TokenError::BadSignedAttribute {
            name,
            detail: "present more than once".into(),
        });
    }
    let [value] = attr.values.as_slice() else {
        return Err(TokenError::BadSignedAttribute {
            name,
            detail: format!("{} values", attr.values.len()),
        });
    };
    value
        .to_der()
        .and_then(|der| T::from_der(&der))
        .map(Some)
        .map_err(|e| TokenError::BadSignedAttribute {
            name,
            detail: e.to_string(),
        })
}

fn find_signer<'a>(
    sid: &cms::signed_data::SignerIdentifier,
    pool: &'a [CertEntry],
) -> Result<&'a CertEntry, TokenError> {
    use cms::signed_data::SignerIdentifier;
    let found = match sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => pool.iter().find(|c| {
            let tbs = c.cert.tbs_certificate();
            tbs.issuer() == &isn.issuer && tbs.serial_number() == &isn.serial_number
        }),
        SignerIdentifier::SubjectKeyIdentifier(ski) => pool
            .iter()
            .find(|c| c.subject_key_identifier().as_deref() == Some(ski.0.as_bytes())),
    };
    found.ok_or_else(|| TokenError::SignerCertificateNotFound {
        sid: match sid {
            SignerIdentifier::IssuerAndSerialNumber(isn) => {
                format!(
                    "issuer {}, serial {}",
                    isn.issuer,
                    chain::hex_upper(isn.serial_number.as_bytes())
                )
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => {
                format!("key identifier {}", chain::hex_upper(ski.0.as_bytes()))
            }
        },
    })
}

/// RFC 3161 §2.3 and OpenSSL's `check_purpose_timestamp_sign`.
fn check_tsa_certificate(signer: &CertEntry) -> Result<(), TokenError> {
    let tbs = signer.cert.tbs_certificate();
    let subject = signer.subject_text();
    let eku_error = |problem| TokenError::TimeStampingEku {
        subject: subject.clone(),
        problem,
    };
    let (critical, eku) = tbs
        .get_extension::<ExtendedKeyUsage>()
        .map_err(|e| TokenError::Malformed {
            what: "extendedKeyUsage",
            detail: format!("{subject}: {e}"),
        })?
        .ok_or_else(|| eku_error(EkuProblem::Absent))?;
    if !eku.0.contains(&oid::KP_TIME_STAMPING) {
        return Err(eku_error(EkuProblem::NoTimeStamping));
    }
    if eku.0.len() != 1 {
        let others: Vec<String> = eku
            .0
            .iter()
            .filter(|p| **p != oid::KP_TIME_STAMPING)
            .map(|p| p.to_string())
            .collect();
        return Err(eku_error(EkuProblem::OtherPurposes(others.join(", "))));
    }
    if !critical {
        // RFC 3161: "This extension MUST be critical." OpenSSL refuses a non-critical one too.
        return Err(eku_error(EkuProblem::NotCritical));
    }
    let ku = tbs
        .get_extension::<KeyUsage>()
        .map_err(|e| TokenError::Malformed {
            what: "keyUsage",
            detail: format!("{subject}: {e}"),
        })?;
    if let Some((_, ku)) = ku {
        let signing = ku.digital_signature() || ku.non_repudiation();
        let allowed = x509_cert::ext::pkix::KeyUsages::DigitalSignature
            | x509_cert::ext::pkix::KeyUsages::NonRepudiation;
        if !signing {
            return Err(TokenError::BadKeyUsage {
                subject,
                reason: "neither digitalSignature nor nonRepudiation".into(),
            });
        }
        if !(ku.0 & !allowed).is_empty() {
            return Err(TokenError::BadKeyUsage {
                subject,
                reason: "usages besides digitalSignature and nonRepudiation".into(),
            });
        }
    }
    Ok(())
}

/// RFC 3161 §2.4.2: "if present, [tsa] MUST correspond to one of the subject names included in
/// the certificate that is to be used to verify the token" (OpenSSL `ts_check_signer_name`:
/// the subject for a directoryName, else the subjectAltName entries).
fn check_tsa_name(tsa: &GeneralName, signer: &CertEntry) -> Result<(), TokenError> {
    let tbs = signer.cert.tbs_certificate();
    if let GeneralName::DirectoryName(name) = tsa
        && name == tbs.subject()
    {
        return Ok(());
    }
    if let Ok(Some((_, san))) = tbs.get_extension::<SubjectAltName>()
        && san.0.iter().any(|n| n == tsa)
    {
        return Ok(());
    }
    Err(TokenError::TsaNameMismatch {
        tsa: general_name_text(tsa),
        subject: signer.subject_text(),
    })
}

/// One ESSCertID or ESSCertIDv2, reduced to what is compared.
struct EssId {
    hash: HashAlg,
    cert_hash: Vec<u8>,
    issuer_serial: Option<asn1::IssuerSerial>,
}

impl EssId {
    fn matches(&self, cert: &CertEntry) -> bool {
        if self.hash.digest(&cert.der) != self.cert_hash {
            return false;
        }
        match &self.issuer_serial {
            None => true,
            // OpenSSL `ess_issuer_serial_cmp`: exactly one GeneralName, a directoryName equal to
            // the certificate's issuer, and the same serial number.
            Some(is) => {
                let tbs = cert.cert.tbs_certificate();
                matches!(is.issuer.as_slice(), [GeneralName::DirectoryName(n)] if n == tbs.issuer())
                    && is.serial_number.as_bytes() == tbs.serial_number().as_bytes()
            }
        }
    }
}

/// The ESS signing-certificate attributes of a SignerInfo: each list is checked on its own.
struct EssIds {
    lists: Vec<(&'static str, Vec<EssId>)>,
}

impl EssIds {
    fn from_attributes(attrs: &[Attribute]) -> Result<Self, TokenError> {
        let mut lists = Vec::new();
        if let Some(v1) = single_attribute::<asn1::SigningCertificate>(
            attrs,
            oid::SIGNING_CERTIFICATE,
            "signing-certificate",
        )? {
            let ids = v1
                .certs
                .into_iter()
                .map(|id| EssId {
                    hash: HashAlg::Sha1,
                    cert_hash: id.cert_hash.as_bytes().to_vec(),
                    issuer_serial: id.issuer_serial,
                })
                .collect();
            lists.push(("signing-certificate", ids));
        }
        if let Some(v2) = single_attribute::<asn1::SigningCertificateV2>(
            attrs,
            oid::SIGNING_CERTIFICATE_V2,
            "signing-certificate-v2",
        )? {
            let mut ids = Vec::new();
            for id in v2.certs {
                let alg = id.hash_algorithm();
                let hash = HashAlg::from_algorithm(&alg).ok_or_else(|| {
                    TokenError::UnsupportedAlgorithm {
                        detail: format!("ESSCertIDv2 hash {}", alg.oid),
                    }
                })?;
                ids.push(EssId {
                    hash,
                    cert_hash: id.cert_hash.as_bytes().to_vec(),
                    issuer_serial: id.issuer_serial,
                });
            }
            lists.push(("signing-certificate-v2", ids));
        }
        if lists.is_empty() {
            return Err(TokenError::MissingSigningCertificate);
        }
        Ok(Self { lists })
    }

    /// The first ESSCertID of each list identifies the signer's certificate.
    fn check_first(&self, signer: &CertEntry) -> Result<(), TokenError> {
        for (name, ids) in &self.lists {
            let first = ids
                .first()
                .ok_or_else(|| TokenError::SigningCertificateMismatch {
                    detail: format!("{name}: empty list"),
                })?;
            if !first.matches(signer) {
                return Err(TokenError::SigningCertificateMismatch {
                    detail: format!(
                        "{name}: the first ESSCertID is not the signer's certificate {:?}",
                        signer.subject_text()
                    ),
                });
            }
        }
        Ok(())
    }

    /// The other ESSCertIDs must identify certificates of the path. A path that stops at a
    /// missing issuer cannot show this, so they are not required then.
    fn check_rest(&self, path: &chain::Path<'_>) -> Result<(), TokenError> {
        if path.end == PathEnd::IssuerNotFound {
            return Ok(());
        }
        for (name, ids) in &self.lists {
            for (index, id) in ids.iter().enumerate().skip(1) {
                if !path.certs.iter().any(|c| id.matches(c)) {
                    return Err(TokenError::SigningCertificateMismatch {
                        detail: format!(
                            "{name}: ESSCertID {index} matches no certificate of the path"
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}
