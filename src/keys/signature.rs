//! Checking the two signatures of a custody event: raw Ed25519 and OpenSSH SSHSIG, both strictly.

use ed25519_dalek::{Signature, VerifyingKey};
use ssh_key::{Algorithm, HashAlg, LineEnding, SshSig};

/// Checks a raw 64-byte Ed25519 signature with `verify_strict` (RFC 8032, no malleability: a
/// canonical S, no small-order R or key).
pub fn verify_raw(key: &VerifyingKey, message: &[u8], signature: &[u8]) -> Result<(), String> {
    let bytes: [u8; 64] = signature.try_into().map_err(|_| {
        format!(
            "a raw signature is 64 bytes; this one has {}",
            signature.len()
        )
    })?;
    if key.is_weak() {
        return Err("the key is weak".into());
    }
    key.verify_strict(message, &Signature::from_bytes(&bytes))
        .map_err(|_| "the signature does not match the key and the bytes".to_string())
}

/// Checks an armored SSHSIG: every field that `ssh-keygen -Y verify` checks (magic, version 1,
/// an Ed25519 key equal to `key`, `namespace`, a hash algorithm of `sha256` or `sha512`, a
/// signature blob whose algorithm is `ssh-ed25519`), then the signature with `verify_strict`.
/// The file must be exactly the armor earwitness writes (70-character lines, LF, nothing before
/// or after), so no byte of it goes unchecked.
pub fn verify_sshsig(
    key: &VerifyingKey,
    namespace: &str,
    message: &[u8],
    armored: &[u8],
) -> Result<(), String> {
    let sig = SshSig::from_pem(armored).map_err(|e| format!("not an SSHSIG: {e}"))?;
    let canonical = sig
        .to_pem(LineEnding::LF)
        .map_err(|e| format!("not an SSHSIG: {e}"))?;
    if canonical.as_bytes() != armored {
        return Err(
            "the SSHSIG file holds bytes beyond the signature (or is not armored as earwitness writes it)"
                .into(),
        );
    }
    if sig.version() != SshSig::VERSION {
        return Err(format!("SSHSIG version {}; only 1 exists", sig.version()));
    }
    if sig.namespace() != namespace {
        return Err(format!(
            "namespace is {:?}, expected {namespace:?}",
            crate::text::safe(sig.namespace())
        ));
    }
    if !matches!(sig.hash_alg(), HashAlg::Sha256 | HashAlg::Sha512) {
        return Err("the SSHSIG uses a hash algorithm other than sha256 or sha512".into());
    }
    let sig_key = sig
        .public_key()
        .ed25519()
        .ok_or("the SSHSIG is not made by an Ed25519 key")?;
    if sig_key.0 != key.to_bytes() {
        return Err("the SSHSIG names another key than the event's signer".into());
    }
    if sig.signature().algorithm() != Algorithm::Ed25519 {
        return Err(format!(
            "the SSHSIG's signature is labelled {}, not ssh-ed25519 (ssh-keygen refuses it too)",
            sig.signature().algorithm()
        ));
    }
    let signed = SshSig::signed_data(namespace, sig.hash_alg(), message)
        .map_err(|e| format!("cannot rebuild the signed data: {e}"))?;
    let raw = Signature::from_slice(sig.signature_bytes())
        .map_err(|_| "the SSHSIG does not hold a 64-byte Ed25519 signature".to_string())?;
    key.verify_strict(&signed, &raw)
        .map_err(|_| "the SSHSIG signature does not match the key and the bytes".to_string())
}
