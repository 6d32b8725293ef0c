//! The renewal manifest: what a renewal token covers, an archive time-stamp in the spirit of
//! RFC 4998.
//!
//! A token stays convincing only while its algorithms are strong and its TSA certificate can be
//! checked. Before either fails, a renewal token is added over a small manifest that lists the
//! SHA-256 of the event file and of every earlier token of that event, so that the new TSA vouches
//! that the older tokens existed while they were still good (RFC 4998 §5.2). Listing the event's
//! own bytes, not an old digest of them, lets the same scheme serve when a hash weakens (§5.3).
//!
//! ```text
//! earwitness-timestamp-renewal 1
//! hash SHA-256
//! data 5e0c…  custody/0001-sealed.json
//! token 9b1d…  custody/0001-sealed.json.tsr
//! token 77de…  custody/0001-sealed.json.renewal-1.tsr
//! ```
//!
//! Each line ends with LF; the digest is 64 lowercase hex digits, followed by two spaces and the
//! file's bag path. The manifest is stored beside its token, so `openssl ts -verify -data
//! <manifest> -in <token>` checks the renewal, and a verifier rebuilds the manifest from the files
//! and compares it byte for byte.

use crate::digest::Sha256;

/// The first line of every renewal manifest.
pub const RENEWAL_HEADER: &str = "earwitness-timestamp-renewal 1\nhash SHA-256\n";

/// Why no manifest could be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RenewalError {
    /// A path is empty or holds a control character (it would break the line format).
    #[error("file name {0:?} is empty or contains a control character")]
    BadName(String),
    /// A renewal covers at least one earlier token.
    #[error("a renewal covers at least one earlier token; this event has none")]
    NoTokens,
}

/// The renewal manifest for an event file and its earlier tokens (in the order they were made),
/// each as (bag path, SHA-256 of its exact bytes).
pub fn renewal_manifest(
    event: (&str, &Sha256),
    tokens: &[(&str, Sha256)],
) -> Result<Vec<u8>, RenewalError> {
    if tokens.is_empty() {
        return Err(RenewalError::NoTokens);
    }
    let mut out = String::from(RENEWAL_HEADER);
    let mut line = |kind: &str, name: &str, digest: &Sha256| -> Result<(), RenewalError> {
        if name.is_empty() || name.chars().any(char::is_control) {
            return Err(RenewalError::BadName(name.to_string()));
        }
        out.push_str(&format!("{kind} {}  {name}\n", digest.to_hex()));
        Ok(())
    };
    line("data", event.0, event.1)?;
    for (name, digest) in tokens {
        line("token", name, digest)?;
    }
    Ok(out.into_bytes())
}

/// The paths a stored manifest lists on its `token` lines, read leniently (the manifest is then
/// compared byte for byte with the one rebuilt from the files).
pub fn listed_tokens(manifest: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(manifest)
        .lines()
        .filter_map(|l| l.strip_prefix("token "))
        .filter_map(|l| l.split_once("  ").map(|(_, name)| name.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_lines() {
        let m = renewal_manifest(
            ("e.json", &Sha256::of(b"abc")),
            &[("e.json.tsr", Sha256::of(b""))],
        )
        .expect("manifest");
        let text = String::from_utf8(m.clone()).expect("utf-8");
        assert_eq!(
            text,
            "earwitness-timestamp-renewal 1\nhash SHA-256\n\
             data ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  e.json\n\
             token e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  e.json.tsr\n"
        );
        assert_eq!(listed_tokens(&m), vec!["e.json.tsr".to_string()]);
    }

    #[test]
    fn manifest_rejects_bad_input() {
        let d = Sha256::of(b"");
        assert_eq!(
            renewal_manifest(("e", &d), &[]),
            Err(RenewalError::NoTokens)
        );
        assert!(matches!(
            renewal_manifest(("a\nb", &d), &[("t", d)]),
            Err(RenewalError::BadName(_))
        ));
        assert!(matches!(
            renewal_manifest(("e", &d), &[("", d)]),
            Err(RenewalError::BadName(_))
        ));
    }
}
