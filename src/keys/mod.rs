//! Keys: OpenSSH Ed25519 key files, fingerprints, PEM export, and the signatures made with them.
//!
//! The secret key is an OpenSSH private key file (what `ssh-keygen -t ed25519` writes); the public
//! key is the one-line OpenSSH `.pub` format; a fingerprint is OpenSSH's `SHA256:...`.

mod signature;
mod trust;

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePublicKey, EncodePublicKey};
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use ssh_key::public::Ed25519PublicKey;
use ssh_key::{Algorithm, HashAlg, PrivateKey, PublicKey};
use zeroize::Zeroizing;

pub use signature::{verify_raw, verify_sshsig};
pub use trust::{
    Standing, Trust, TrustedKey, add_to_allowed_signers, allowed_signers_line, check_principal,
    parse_allowed_signers, parse_trust,
};

/// The SSHSIG namespace of every earwitness signature.
pub const SSHSIG_NAMESPACE: &str = "earwitness";

/// The environment variable that supplies a key's passphrase to scripts.
pub const PASSPHRASE_ENV: &str = "EARWITNESS_PASSPHRASE";

/// What went wrong with a key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be read or written.
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not an OpenSSH key of the kind expected.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The key is passphrase-protected and no passphrase was given.
    #[error(
        "{0}: the key is protected by a passphrase; type it at the prompt or set {PASSPHRASE_ENV}"
    )]
    NeedPassphrase(PathBuf),
    /// The passphrase did not decrypt the key.
    #[error("{0}: wrong passphrase")]
    WrongPassphrase(PathBuf),
    /// A key file already exists and `--force` was not given.
    #[error("{0}: already exists")]
    Exists(PathBuf),
    /// A public key is weak (of small order) and can never be trusted.
    #[error("the public key is of small order (a weak key) and is refused")]
    Weak,
    /// A fingerprint string is malformed.
    #[error(
        "{0:?} is not an OpenSSH SHA256 fingerprint (expected SHA256: followed by 43 base64 characters)"
    )]
    BadFingerprint(String),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Sign(String),
    /// A public key file where a secret key was expected.
    #[error("{0}: is a public key, not a secret key")]
    IsPublicKey(PathBuf),
    /// A secret key file where a public key was expected.
    #[error("{0}: is a secret key, not a public key")]
    IsSecretKey(PathBuf),
    /// A file given as an `allowed_signers` file is something else (a key file).
    #[error("{0}: is a key file, not an allowed_signers file")]
    NotAllowedSigners(PathBuf),
    /// A name that cannot be a key's name.
    #[error("{0:?} cannot be a key's name: {1}")]
    BadName(String, String),
    /// The key is already in the trust file.
    #[error("the key {0} is already in the file, as {1:?}")]
    AlreadyTrusted(String, String),
    /// The name is already in the trust file.
    #[error("the file already has a key named {0:?}")]
    NameTaken(String),
}

/// An OpenSSH `SHA256:` fingerprint: the SHA-256 of the SSH wire encoding of the public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of an Ed25519 public key.
    pub fn of(key: &VerifyingKey) -> Self {
        let public = PublicKey::from(Ed25519PublicKey::from(key));
        let fp = public.fingerprint(HashAlg::Sha256);
        // A SHA256 fingerprint always has a 32-byte digest.
        Fingerprint(fp.sha256().unwrap_or([0; 32]))
    }

    /// Lowercase hex of the digest: the name of the signer's key files inside a bundle.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&ssh_key::Fingerprint::Sha256(self.0), f)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl FromStr for Fingerprint {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || KeyError::BadFingerprint(s.chars().take(100).collect());
        if !s.starts_with("SHA256:") {
            return Err(bad());
        }
        match s.parse::<ssh_key::Fingerprint>() {
            Ok(fp) => fp.sha256().map(Fingerprint).ok_or_else(bad),
            Err(_) => Err(bad()),
        }
    }
}

/// A secret key loaded and ready to sign.
pub struct Signer {
    private: PrivateKey,
    signing: SigningKey,
}

impl Signer {
    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// The key's fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.verifying_key())
    }

    /// The raw 64-byte Ed25519 signature (RFC 8032) over `message`.
    pub fn sign_raw(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    /// An armored OpenSSH SSHSIG over `message` in `namespace`, hashed with SHA-512, as
    /// `ssh-keygen -Y sign` writes it.
    pub fn sign_sshsig(&self, namespace: &str, message: &[u8]) -> Result<String, KeyError> {
        let sig = self
            .private
            .sign(namespace, HashAlg::Sha512, message)
            .map_err(|e| KeyError::Sign(e.to_string()))?;
        sig.to_pem(LineEnding::LF)
            .map_err(|e| KeyError::Sign(e.to_string()))
    }

    /// The public key as an OpenSSH `.pub` line, without a comment.
    pub fn public_openssh(&self) -> String {
        public_openssh(&self.verifying_key())
    }

    /// The name stored in the key (its OpenSSH comment), if it has one.
    pub fn name(&self) -> Option<&str> {
        let comment = self.private.comment().as_str_lossy();
        let comment = comment.trim();
        (!comment.is_empty()).then_some(comment)
    }
}

/// Makes a new random Ed25519 key with `comment`.
pub fn generate(comment: &str) -> Result<PrivateKey, KeyError> {
    let mut rng = ssh_key::rand_core::UnwrapErr(ssh_key::getrandom::SysRng);
    let mut key =
        PrivateKey::random(&mut rng, Algorithm::Ed25519).map_err(|e| KeyError::Format {
            path: PathBuf::new(),
            message: format!("could not generate a key: {e}"),
        })?;
    key.set_comment(comment);
    Ok(key)
}

/// Where a new key pair was written.
#[derive(Debug)]
pub struct WrittenKey {
    /// The secret key file.
    pub secret: PathBuf,
    /// The public key file (`<secret>.pub`).
    pub public: PathBuf,
    /// The fingerprint.
    pub fingerprint: Fingerprint,
}

/// The `.pub` path beside a secret key path.
pub fn pub_path(secret: &Path) -> PathBuf {
    let mut s = secret.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

/// Writes `key` to `secret` (mode 0600) and its public half to `secret.pub` (mode 0644), each
/// atomically. Refuses to replace existing files unless `force`. With a `passphrase`, the secret
/// key is encrypted the way OpenSSH does it (bcrypt-pbkdf and AES-256-CTR).
pub fn write_keypair(
    key: &PrivateKey,
    secret: &Path,
    force: bool,
    passphrase: Option<&str>,
) -> Result<WrittenKey, KeyError> {
    let public = pub_path(secret);
    if !force {
        for p in [secret, public.as_path()] {
            if p.exists() {
                return Err(KeyError::Exists(p.to_path_buf()));
            }
        }
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| KeyError::Io { path, source }
    };
    let to_write = match passphrase {
        Some(pass) => key
            .encrypt(&mut ssh_key::getrandom::SysRng, pass)
            .map_err(|e| KeyError::Sign(format!("could not encrypt the key: {e}")))?,
        None => key.clone(),
    };
    let pem = to_write
        .to_openssh(ssh_key::LineEnding::LF)
        .map_err(|e| KeyError::Sign(e.to_string()))?;
    let line = key
        .public_key()
        .to_openssh()
        .map_err(|e| KeyError::Sign(e.to_string()))?;
    crate::atomic::write(secret, 0o600, force, |f| f.write_all(pem.as_bytes()))
        .map_err(io(secret))?;
    crate::atomic::write(&public, 0o644, force, |f| {
        f.write_all(line.as_bytes())?;
        f.write_all(b"\n")
    })
    .map_err(io(&public))?;
    let vk = verifying_key_of(key.public_key()).map_err(|message| KeyError::Format {
        path: secret.to_path_buf(),
        message,
    })?;
    Ok(WrittenKey {
        secret: secret.to_path_buf(),
        public,
        fingerprint: Fingerprint::of(&vk),
    })
}

/// Reads an OpenSSH private key file. If it is encrypted, `passphrase` is asked for one.
pub fn load_signer(
    path: &Path,
    passphrase: &mut dyn FnMut() -> Option<Zeroizing<String>>,
) -> Result<Signer, KeyError> {
    let text = Zeroizing::new(fs::read(path).map_err(|source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    })?);
    let format = |message: String| KeyError::Format {
        path: path.to_path_buf(),
        message,
    };
    if text.starts_with(b"ssh-") || text.starts_with(b"-----BEGIN PUBLIC KEY-----") {
        return Err(KeyError::IsPublicKey(path.to_path_buf()));
    }
    let mut private = PrivateKey::from_openssh(&*text).map_err(|e| {
        format(format!(
            "not an OpenSSH private key ({e}); make one with `earwitness keygen` or `ssh-keygen -t ed25519`"
        ))
    })?;
    if private.is_encrypted() {
        let pass = passphrase().ok_or_else(|| KeyError::NeedPassphrase(path.to_path_buf()))?;
        private = private.decrypt(pass.as_bytes()).map_err(|e| match e {
            ssh_key::Error::Crypto => KeyError::WrongPassphrase(path.to_path_buf()),
            other => format(format!("could not decrypt the key: {other}")),
        })?;
    }
    let pair = private.key_data().ed25519().ok_or_else(|| {
        format(format!(
            "is a {} key; earwitness signs only with Ed25519 keys",
            private.algorithm()
        ))
    })?;
    let signing = SigningKey::try_from(pair).map_err(|e| {
        format(format!(
            "the key's public half does not match its secret: {e}"
        ))
    })?;
    if signing.verifying_key().is_weak() {
        return Err(KeyError::Weak);
    }
    Ok(Signer { private, signing })
}

fn verifying_key_of(public: &PublicKey) -> Result<VerifyingKey, String> {
    let ed = public.key_data().ed25519().ok_or_else(|| {
        format!(
            "is a {} key; earwitness uses only Ed25519 keys",
            public.algorithm()
        )
    })?;
    let vk = VerifyingKey::try_from(ed).map_err(|e| format!("not a valid Ed25519 point: {e}"))?;
    if vk.is_weak() {
        return Err("the public key is of small order (a weak key) and is refused".into());
    }
    Ok(vk)
}

/// Parses one OpenSSH public key line (`ssh-ed25519 AAAA... comment`), refusing weak keys.
pub fn parse_public_openssh(line: &str) -> Result<(VerifyingKey, String), String> {
    let public = PublicKey::from_openssh(line.trim())
        .map_err(|e| format!("not an OpenSSH public key: {e}"))?;
    let vk = verifying_key_of(&public)?;
    Ok((vk, public.comment().as_str_lossy().to_string()))
}

/// Reads a public key file: an OpenSSH `.pub` line, or SubjectPublicKeyInfo PEM.
pub fn load_public(path: &Path) -> Result<(VerifyingKey, String), KeyError> {
    let text = fs::read_to_string(path).map_err(|source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if text.contains("PRIVATE KEY-----") {
        return Err(KeyError::IsSecretKey(path.to_path_buf()));
    }
    let parsed = if text.trim_start().starts_with("-----BEGIN PUBLIC KEY-----") {
        parse_public_pem(&text).map(|vk| (vk, String::new()))
    } else {
        parse_public_openssh(&text)
    };
    parsed.map_err(|message| KeyError::Format {
        path: path.to_path_buf(),
        message,
    })
}

/// The public key as a one-line OpenSSH `ssh-ed25519 ...` string, without a comment.
pub fn public_openssh(key: &VerifyingKey) -> String {
    PublicKey::from(Ed25519PublicKey::from(key))
        .to_openssh()
        .unwrap_or_default()
}

/// The public key as the one line of a bundle's `.pub` key file: `ssh-ed25519 AAAA...` and LF.
pub fn public_line(key: &VerifyingKey) -> String {
    format!("{}\n", public_openssh(key))
}

/// The public key as SubjectPublicKeyInfo PEM, which `openssl pkeyutl` reads.
pub fn public_pem(key: &VerifyingKey) -> String {
    key.to_public_key_pem(LineEnding::LF).unwrap_or_default()
}

/// Parses SubjectPublicKeyInfo PEM, refusing weak keys.
pub fn parse_public_pem(text: &str) -> Result<VerifyingKey, String> {
    let vk = VerifyingKey::from_public_key_pem(text)
        .map_err(|e| format!("not an Ed25519 SubjectPublicKeyInfo PEM: {e}"))?;
    if vk.is_weak() {
        return Err("the public key is of small order (a weak key) and is refused".into());
    }
    Ok(vk)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_round_trips() {
        let key = generate("t").unwrap();
        let signer = Signer {
            signing: SigningKey::try_from(key.key_data().ed25519().unwrap()).unwrap(),
            private: key.clone(),
        };
        let fp = signer.fingerprint();
        assert_eq!(
            fp.to_string(),
            key.public_key().fingerprint(HashAlg::Sha256).to_string()
        );
        assert_eq!(fp.to_string().parse::<Fingerprint>().unwrap(), fp);
        assert!("SHA256:short".parse::<Fingerprint>().is_err());
        let sig = signer.sign_raw(b"m");
        assert!(verify_raw(&signer.verifying_key(), b"m", &sig).is_ok());
        assert!(verify_raw(&signer.verifying_key(), b"n", &sig).is_err());
        let ssh = signer.sign_sshsig("earwitness", b"m").unwrap();
        assert!(verify_sshsig(&signer.verifying_key(), "earwitness", b"m", ssh.as_bytes()).is_ok());
        assert!(verify_sshsig(&signer.verifying_key(), "other", b"m", ssh.as_bytes()).is_err());
        assert!(
            verify_sshsig(&signer.verifying_key(), "earwitness", b"n", ssh.as_bytes()).is_err()
        );
    }

    #[test]
    fn small_order_key_and_identity_signature_are_refused() {
        // The identity point (y = 1) is of small order; R = identity, S = 0 "verifies" any message
        // under plain verify(), but never under verify_strict().
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let vk = VerifyingKey::from_bytes(&identity).unwrap();
        assert!(vk.is_weak());
        let mut sig = [0u8; 64];
        sig[0] = 1;
        assert!(verify_raw(&vk, b"anything", &sig).is_err());
        let pem = vk.to_public_key_pem(LineEnding::LF).unwrap();
        assert!(parse_public_pem(&pem).is_err());
    }
}
