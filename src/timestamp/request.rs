//! Time-stamp requests (RFC 3161 §2.4.1): a SHA-256 imprint, a random nonce, and `certReq`.

use std::fmt;

use der::asn1::{Int, OctetString, Uint};
use der::{Decode, Encode};

use super::asn1::{self, oid};

/// A nonce: a positive INTEGER, kept as its DER content octets (minimal two's complement), so that
/// two nonces are equal exactly when their bytes are.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Nonce(Vec<u8>);

impl Nonce {
    /// A fresh nonce of 128 random bits from the operating system (RFC 3161 §2.4.1 asks for a
    /// "large random number"; OpenSSL sends 64 bits).
    pub fn random() -> Result<Self, RequestError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|e| RequestError::Random(e.to_string()))?;
        Self::from_unsigned_be(&bytes)
    }

    /// The nonce whose value is the unsigned big-endian integer `bytes`.
    pub fn from_unsigned_be(bytes: &[u8]) -> Result<Self, RequestError> {
        let encode = |e: der::Error| RequestError::Encode(e.to_string());
        let der = Uint::new(bytes).and_then(|u| u.to_der()).map_err(encode)?;
        let int = Int::from_der(&der).map_err(encode)?;
        Ok(Self(int.as_bytes().to_vec()))
    }

    pub(crate) fn from_int(int: &Int) -> Self {
        Self(int.as_bytes().to_vec())
    }

    fn to_int(&self) -> Result<Int, der::Error> {
        Int::new(&self.0)
    }

    /// The INTEGER's DER content octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("0x")?;
        f.write_str(&super::chain::hex_upper(&self.0))
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nonce({self})")
    }
}

/// Why a `TimeStampReq` could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The operating system gave no random bytes.
    #[error("cannot get random bytes for the nonce: {0}")]
    Random(String),
    /// DER encoding failed.
    #[error("cannot encode the time-stamp request: {0}")]
    Encode(String),
    /// Not a DER `TimeStampReq`, or not one earwitness makes.
    #[error("not a time-stamp request earwitness can use: {0}")]
    Malformed(String),
}

/// A `TimeStampReq` for a SHA-256 digest, with its DER.
#[derive(Clone, Debug)]
pub struct Request {
    sha256: [u8; 32],
    nonce: Nonce,
    der: Vec<u8>,
}

impl Request {
    /// A request for `sha256` with a random nonce and `certReq` true (the TSA then includes its
    /// certificate, which offline verification needs).
    pub fn new(sha256: [u8; 32]) -> Result<Self, RequestError> {
        Self::with_nonce(sha256, Nonce::random()?)
    }

    /// As [`Request::new`], with a given nonce.
    pub fn with_nonce(sha256: [u8; 32], nonce: Nonce) -> Result<Self, RequestError> {
        let encode = |e: der::Error| RequestError::Encode(e.to_string());
        let req = asn1::TimeStampReq {
            version: 1,
            message_imprint: asn1::MessageImprint {
                // With NULL parameters, as OpenSSL writes it (RFC 5754 §2 accepts both forms).
                hash_algorithm: spki::AlgorithmIdentifierOwned {
                    oid: oid::SHA256,
                    parameters: Some(der::asn1::Null.into()),
                },
                hashed_message: OctetString::new(sha256.as_slice()).map_err(encode)?,
            },
            req_policy: None,
            nonce: Some(nonce.to_int().map_err(encode)?),
            cert_req: true,
            extensions: None,
        };
        let der = req.to_der().map_err(encode)?;
        Ok(Self { sha256, nonce, der })
    }

    /// Reads a DER request as earwitness writes it (`timestamp --request`): version 1, a SHA-256
    /// imprint, a nonce, and `certReq` true. Anything else is refused, so that the answer to it
    /// can be checked as strictly as an answer fetched online.
    pub fn from_der(der: &[u8]) -> Result<Self, RequestError> {
        let bad = |why: String| RequestError::Malformed(why);
        let req = asn1::TimeStampReq::from_der(der).map_err(|e| bad(e.to_string()))?;
        if req.version != 1 {
            return Err(bad(format!("version {}", req.version)));
        }
        let alg = &req.message_imprint.hash_algorithm;
        if super::crypto::HashAlg::from_algorithm(alg) != Some(super::crypto::HashAlg::Sha256) {
            return Err(bad(format!("the imprint uses {}, not SHA-256", alg.oid)));
        }
        let sha256: [u8; 32] = req
            .message_imprint
            .hashed_message
            .as_bytes()
            .try_into()
            .map_err(|_| bad("the imprint is not 32 bytes".into()))?;
        let nonce = req
            .nonce
            .as_ref()
            .map(Nonce::from_int)
            .ok_or_else(|| bad("no nonce".into()))?;
        if !req.cert_req {
            return Err(bad("certReq is not set".into()));
        }
        if req.req_policy.is_some() || req.extensions.is_some() {
            return Err(bad(
                "a policy or extensions earwitness does not ask for".into()
            ));
        }
        Ok(Self {
            sha256,
            nonce,
            der: der.to_vec(),
        })
    }

    /// The request's DER: the body of the HTTP POST, or of a `.tsq` file.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The nonce the answer must repeat.
    pub fn nonce(&self) -> &Nonce {
        &self.nonce
    }

    /// The digest being time-stamped.
    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trips_and_refuses_other_requests() {
        let req = Request::with_nonce([7; 32], Nonce::from_unsigned_be(&[0x80, 1]).unwrap())
            .expect("request");
        let back = Request::from_der(req.der()).expect("read back");
        assert_eq!(back.sha256(), &[7; 32]);
        assert_eq!(back.nonce(), req.nonce());
        // A positive INTEGER whose top bit is set gets a leading zero octet.
        assert_eq!(req.nonce().as_bytes(), &[0, 0x80, 1]);
        assert!(Request::from_der(b"\x30\x00").is_err());
        let mut without_cert_req = req.der().to_vec();
        // The BOOLEAN TRUE (01 01 FF) is the last element; make it FALSE.
        let at = without_cert_req.len() - 1;
        without_cert_req[at] = 0;
        assert!(Request::from_der(&without_cert_req).is_err());
    }
}
