//! Digests and signature checks for tokens and certificates: RSA (PKCS#1 v1.5, PSS), ECDSA P-256
//! and P-384 (RustCrypto `rsa`, `p256`, `p384`), and Ed25519 (`ed25519-dalek`, strictly).
//!
//! RSA and ECDSA are verified from a prehash, so the digest is the one the algorithm identifier
//! names, whatever the key's "natural" hash (e.g. P-256 with SHA-384).

use der::Encode;
use der::asn1::ObjectIdentifier;
use sha2::Digest;
use signature::hazmat::PrehashVerifier;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};

use super::asn1::oid;

/// Hash functions the module computes.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum HashAlg {
    /// Only for ESSCertID (v1), whose certificate hash is SHA-1 by definition; never for signatures.
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    /// The hash an AlgorithmIdentifier names. Its parameters must be absent or NULL (RFC 5754 §2).
    pub(crate) fn from_algorithm(alg: &AlgorithmIdentifierOwned) -> Option<Self> {
        if let Some(params) = &alg.parameters
            && !params.is_null()
        {
            return None;
        }
        Self::from_oid(&alg.oid)
    }

    fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        match *oid {
            oid::SHA1 => Some(Self::Sha1),
            oid::SHA256 => Some(Self::Sha256),
            oid::SHA384 => Some(Self::Sha384),
            oid::SHA512 => Some(Self::Sha512),
            _ => None,
        }
    }

    pub(crate) fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Self::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA-1",
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }
}

/// A signature scheme with everything needed to verify under it.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Scheme {
    RsaPkcs1(HashAlg),
    RsaPss { hash: HashAlg, salt_len: usize },
    Ecdsa(HashAlg),
    Ed25519,
}

/// Why a signature could not be checked or did not verify.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) enum CryptoError {
    /// Algorithm or key type the module does not implement (detail names it).
    Unsupported(String),
    /// The public key, parameters or signature encoding could not be decoded.
    Malformed(String),
    /// Well-formed, but the signature is not valid for this key and message.
    BadSignature,
}

/// The scheme of an X.509 certificate's `signatureAlgorithm`.
pub(crate) fn scheme_for_certificate(
    alg: &AlgorithmIdentifierOwned,
) -> Result<Scheme, CryptoError> {
    scheme_from_signature_algorithm(alg, None)
}

/// The scheme of a CMS `SignerInfo` (RFC 5652 §5.3), from its `signatureAlgorithm` and
/// `digestAlgorithm`.
///
/// CMS signers often name only the key type (`rsaEncryption`, as OpenSSL's TSA does, or
/// `id-ecPublicKey`) and let `digestAlgorithm` give the hash (RFC 3370 §3.2, RFC 5753 §7.1.1).
/// When the signature algorithm names a hash as well, it must be the same one.
pub(crate) fn scheme_for_signer(
    signature_alg: &AlgorithmIdentifierOwned,
    digest: HashAlg,
) -> Result<Scheme, CryptoError> {
    if digest == HashAlg::Sha1 {
        return Err(CryptoError::Unsupported("SHA-1 digest algorithm".into()));
    }
    let scheme = scheme_from_signature_algorithm(signature_alg, Some(digest))?;
    let named = match scheme {
        Scheme::RsaPkcs1(h) | Scheme::Ecdsa(h) | Scheme::RsaPss { hash: h, .. } => h,
        // RFC 8419 §3.1: with Ed25519 the digestAlgorithm MUST be id-sha512.
        Scheme::Ed25519 => HashAlg::Sha512,
    };
    if named != digest {
        return Err(CryptoError::Unsupported(format!(
            "signature algorithm hashes with {} but digestAlgorithm is {}",
            named.name(),
            digest.name()
        )));
    }
    Ok(scheme)
}

fn scheme_from_signature_algorithm(
    alg: &AlgorithmIdentifierOwned,
    cms_digest: Option<HashAlg>,
) -> Result<Scheme, CryptoError> {
    let no_params = || alg.parameters.as_ref().is_none_or(|p| p.is_null());
    let absent_params = || alg.parameters.is_none();
    let scheme = match alg.oid {
        // RFC 4055 §5: the parameters of these identifiers are NULL (or, leniently, absent).
        oid::SHA256_WITH_RSA if no_params() => Scheme::RsaPkcs1(HashAlg::Sha256),
        oid::SHA384_WITH_RSA if no_params() => Scheme::RsaPkcs1(HashAlg::Sha384),
        oid::SHA512_WITH_RSA if no_params() => Scheme::RsaPkcs1(HashAlg::Sha512),
        // RFC 5758 §3.2: ECDSA identifiers have absent parameters.
        oid::ECDSA_WITH_SHA256 if absent_params() => Scheme::Ecdsa(HashAlg::Sha256),
        oid::ECDSA_WITH_SHA384 if absent_params() => Scheme::Ecdsa(HashAlg::Sha384),
        oid::ECDSA_WITH_SHA512 if absent_params() => Scheme::Ecdsa(HashAlg::Sha512),
        // RFC 8410 §3: absent parameters.
        oid::ED25519 if absent_params() => Scheme::Ed25519,
        oid::RSASSA_PSS => pss_scheme(alg)?,
        oid::RSA_ENCRYPTION if no_params() => match cms_digest {
            Some(h) => Scheme::RsaPkcs1(h),
            None => {
                return Err(CryptoError::Unsupported(
                    "rsaEncryption as a certificate signature".into(),
                ));
            }
        },
        oid::EC_PUBLIC_KEY => match cms_digest {
            Some(h) => Scheme::Ecdsa(h),
            None => {
                return Err(CryptoError::Unsupported(
                    "id-ecPublicKey as a certificate signature".into(),
                ));
            }
        },
        other => {
            return Err(CryptoError::Unsupported(format!(
                "signature algorithm {other}"
            )));
        }
    };
    Ok(scheme)
}

/// RSASSA-PSS parameters (RFC 4055 §3.1): MGF1 with the same hash, trailer field 1.
fn pss_scheme(alg: &AlgorithmIdentifierOwned) -> Result<Scheme, CryptoError> {
    let params = alg
        .parameters
        .as_ref()
        .ok_or_else(|| CryptoError::Unsupported("RSASSA-PSS without parameters (SHA-1)".into()))?;
    let params_der = params
        .to_der()
        .map_err(|e| CryptoError::Malformed(e.to_string()))?;
    let params = pkcs1::RsaPssParams::<der::Any>::try_from(params_der.as_slice())
        .map_err(|e| CryptoError::Malformed(format!("RSASSA-PSS parameters: {e}")))?;
    let hash_oid = params.hash.oid;
    let hash = match HashAlg::from_oid(&hash_oid) {
        Some(HashAlg::Sha1) | None => {
            return Err(CryptoError::Unsupported(format!(
                "RSASSA-PSS with hash {hash_oid}"
            )));
        }
        Some(h) => h,
    };
    let mgf_hash = params.mask_gen.parameters.as_ref().map(|p| p.oid);
    if params.mask_gen.oid != oid::MGF1 || mgf_hash != Some(hash_oid) {
        return Err(CryptoError::Unsupported(
            "RSASSA-PSS with a mask generation function other than MGF1 over the same hash".into(),
        ));
    }
    if params.trailer_field != pkcs1::TrailerField::BC {
        return Err(CryptoError::Unsupported(
            "RSASSA-PSS trailer field other than 1".into(),
        ));
    }
    Ok(Scheme::RsaPss {
        hash,
        salt_len: usize::from(params.salt_len),
    })
}

/// Verifies `signature` over `message` with the key in `spki` under `scheme`.
pub(crate) fn verify(
    spki: &SubjectPublicKeyInfoOwned,
    scheme: Scheme,
    message: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    let key_alg = spki.algorithm.oid;
    let key_bytes = spki.subject_public_key.as_bytes().ok_or_else(|| {
        CryptoError::Malformed("public key is not a whole number of bytes".into())
    })?;
    let bad = |_| CryptoError::BadSignature;
    match scheme {
        Scheme::RsaPkcs1(hash) | Scheme::RsaPss { hash, .. } => {
            let key = rsa_key(spki)?;
            let prehash = hash.digest(message);
            match (scheme, hash) {
                (Scheme::RsaPkcs1(_), HashAlg::Sha256) => {
                    rsa_pkcs1::<sha2::Sha256>(key, &prehash, signature)
                }
                (Scheme::RsaPkcs1(_), HashAlg::Sha384) => {
                    rsa_pkcs1::<sha2::Sha384>(key, &prehash, signature)
                }
                (Scheme::RsaPkcs1(_), HashAlg::Sha512) => {
                    rsa_pkcs1::<sha2::Sha512>(key, &prehash, signature)
                }
                (Scheme::RsaPss { salt_len, .. }, HashAlg::Sha256) => {
                    rsa_pss::<sha2::Sha256>(key, salt_len, &prehash, signature)
                }
                (Scheme::RsaPss { salt_len, .. }, HashAlg::Sha384) => {
                    rsa_pss::<sha2::Sha384>(key, salt_len, &prehash, signature)
                }
                (Scheme::RsaPss { salt_len, .. }, HashAlg::Sha512) => {
                    rsa_pss::<sha2::Sha512>(key, salt_len, &prehash, signature)
                }
                _ => Err(CryptoError::Unsupported(format!(
                    "RSA with {}",
                    hash.name()
                ))),
            }
        }
        Scheme::Ecdsa(hash) => {
            if key_alg != oid::EC_PUBLIC_KEY {
                return Err(CryptoError::Unsupported(format!(
                    "ECDSA signature with a {key_alg} key"
                )));
            }
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
                .ok_or_else(|| CryptoError::Malformed("EC key without a named curve".into()))?;
            let prehash = hash.digest(message);
            match curve {
                oid::SECP256R1 => {
                    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                        .map_err(|_| CryptoError::Malformed("P-256 public key".into()))?;
                    let sig = p256::ecdsa::DerSignature::from_bytes(signature).map_err(bad)?;
                    key.verify_prehash(&prehash, &sig).map_err(bad)
                }
                oid::SECP384R1 => {
                    let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                        .map_err(|_| CryptoError::Malformed("P-384 public key".into()))?;
                    let sig = p384::ecdsa::DerSignature::from_bytes(signature).map_err(bad)?;
                    key.verify_prehash(&prehash, &sig).map_err(bad)
                }
                other => Err(CryptoError::Unsupported(format!("elliptic curve {other}"))),
            }
        }
        Scheme::Ed25519 => {
            if key_alg != oid::ED25519 {
                return Err(CryptoError::Unsupported(format!(
                    "Ed25519 signature with a {key_alg} key"
                )));
            }
            verify_ed25519(key_bytes, message, signature)
        }
    }
}

fn verify_ed25519(key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
    let key: [u8; 32] = key
        .try_into()
        .map_err(|_| CryptoError::Malformed("Ed25519 key length".into()))?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&key)
        .map_err(|_| CryptoError::Malformed("Ed25519 public key".into()))?;
    let sig =
        ed25519_dalek::Signature::from_slice(signature).map_err(|_| CryptoError::BadSignature)?;
    // Strict: rejects small-order keys and non-canonical encodings (RFC 8032 §5.1.7).
    key.verify_strict(message, &sig)
        .map_err(|_| CryptoError::BadSignature)
}

/// An RSA public key from an SPKI of type rsaEncryption or id-RSASSA-PSS (RFC 4055 §1.2): both
/// hold a PKCS#1 RSAPublicKey. `rsa` accepts moduli of 1024 to 8192 bits.
fn rsa_key(spki: &SubjectPublicKeyInfoOwned) -> Result<rsa::PublicKey, CryptoError> {
    let alg = spki.algorithm.oid;
    if alg == oid::RSA_ENCRYPTION {
        let spki_der = spki
            .to_der()
            .map_err(|e| CryptoError::Malformed(e.to_string()))?;
        let spki_ref = SubjectPublicKeyInfoRef::try_from(spki_der.as_slice())
            .map_err(|e| CryptoError::Malformed(e.to_string()))?;
        rsa::PublicKey::try_from(spki_ref)
            .map_err(|e| CryptoError::Malformed(format!("RSA public key: {e}")))
    } else if alg == oid::RSASSA_PSS {
        let bytes = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| CryptoError::Malformed("RSA public key bit string".into()))?;
        let pkcs1_key = pkcs1::RsaPublicKeyRef::try_from(bytes)
            .map_err(|e| CryptoError::Malformed(format!("RSA public key: {e}")))?;
        rsa::PublicKey::try_from(pkcs1_key)
            .map_err(|e| CryptoError::Malformed(format!("RSA public key: {e}")))
    } else {
        Err(CryptoError::Unsupported(format!(
            "RSA signature with a {alg} key"
        )))
    }
}

fn rsa_pkcs1<D>(key: rsa::PublicKey, prehash: &[u8], signature: &[u8]) -> Result<(), CryptoError>
where
    D: Digest + const_oid::AssociatedOid,
{
    let sig =
        rsa::pkcs1v15::Signature::try_from(signature).map_err(|_| CryptoError::BadSignature)?;
    rsa::pkcs1v15::VerifyingKey::<D>::new(key)
        .verify_prehash(prehash, &sig)
        .map_err(|_| CryptoError::BadSignature)
}

fn rsa_pss<D>(
    key: rsa::PublicKey,
    salt_len: usize,
    prehash: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError>
where
    D: Digest + digest::FixedOutputReset,
{
    let sig = rsa::pss::Signature::try_from(signature).map_err(|_| CryptoError::BadSignature)?;
    rsa::pss::VerifyingKey::<D>::new_with_salt_len(key, salt_len)
        .verify_prehash(prehash, &sig)
        .map_err(|_| CryptoError::BadSignature)
}
