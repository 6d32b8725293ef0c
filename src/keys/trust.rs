//! Trust: the keys a verifying person trusts, from `--trust` values and OpenSSH `allowed_signers`
//! files, never from a bundle. "No trust given" is its own value ([`Trust::Unpinned`]), so it can
//! never be mistaken for an empty list of trusted keys.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use ed25519_dalek::VerifyingKey;
use jiff::Timestamp;

use super::{
    Fingerprint, KeyError, SSHSIG_NAMESPACE, load_public, parse_public_openssh, public_line,
};

/// A key the verifying person trusts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedKey {
    /// The key's fingerprint.
    pub fingerprint: Fingerprint,
    /// The name the person gave it (an `allowed_signers` principal, or the `.pub` comment).
    pub name: Option<String>,
    /// `valid-after` from an `allowed_signers` line: not trusted for events before it.
    pub valid_after: Option<Timestamp>,
    /// `valid-before`: not trusted for events at or after it.
    pub valid_before: Option<Timestamp>,
    /// Where the trust came from, for people: `--trust officer.pub`, `--trust-file allowed_signers`.
    pub source: String,
}

impl TrustedKey {
    /// A key trusted without a name or time limits.
    pub fn plain(fingerprint: Fingerprint, source: impl Into<String>) -> Self {
        TrustedKey {
            fingerprint,
            name: None,
            valid_after: None,
            valid_before: None,
            source: source.into(),
        }
    }
}

/// Whom a verification trusts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    /// These keys, and no others.
    Pinned(Vec<TrustedKey>),
    /// No trusted keys were given: signatures are checked, but no signer is trusted.
    Unpinned,
}

/// How a trust list stands towards one signer, at one time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing<'a> {
    /// Trusted, by this entry.
    Trusted(&'a TrustedKey),
    /// Listed, but not for this time (`valid-after`, `valid-before`).
    OutsideValidity(&'a TrustedKey, String),
    /// Trusted keys were given, and this is not one of them.
    NotListed,
    /// No trusted keys were given.
    Unpinned,
}

impl Trust {
    /// Trust in `keys`, or [`Trust::Unpinned`] when there are none.
    pub fn from_keys(keys: Vec<TrustedKey>) -> Self {
        if keys.is_empty() {
            Trust::Unpinned
        } else {
            Trust::Pinned(keys)
        }
    }

    /// The trusted keys (none when unpinned).
    pub fn keys(&self) -> &[TrustedKey] {
        match self {
            Trust::Pinned(k) => k,
            Trust::Unpinned => &[],
        }
    }

    /// Whether any trusted key was given.
    pub fn is_pinned(&self) -> bool {
        matches!(self, Trust::Pinned(_))
    }

    /// How `fingerprint` stands for an event at `at` (the event's time; `None` when it has none
    /// that parses, in which case time limits cannot be met).
    pub fn standing(&self, fingerprint: Fingerprint, at: Option<Timestamp>) -> Standing<'_> {
        let Trust::Pinned(keys) = self else {
            return Standing::Unpinned;
        };
        let mut outside = None;
        for key in keys.iter().filter(|k| k.fingerprint == fingerprint) {
            match validity(key, at) {
                Ok(()) => return Standing::Trusted(key),
                Err(why) => outside = Some(Standing::OutsideValidity(key, why)),
            }
        }
        outside.unwrap_or(Standing::NotListed)
    }

    /// The name the trust list gives `fingerprint`, whatever its time limits.
    pub fn name_of(&self, fingerprint: Fingerprint) -> Option<&str> {
        self.keys()
            .iter()
            .find(|k| k.fingerprint == fingerprint)
            .and_then(|k| k.name.as_deref())
    }
}

fn validity(key: &TrustedKey, at: Option<Timestamp>) -> Result<(), String> {
    if key.valid_after.is_none() && key.valid_before.is_none() {
        return Ok(());
    }
    let Some(at) = at else {
        return Err("the event has no valid time to check the key's validity against".into());
    };
    if let Some(after) = key.valid_after
        && at < after
    {
        return Err(format!("{} trusts this key only from {after}", key.source));
    }
    if let Some(before) = key.valid_before
        && at >= before
    {
        return Err(format!(
            "{} trusts this key only before {before}",
            key.source
        ));
    }
    Ok(())
}

/// Reads one `--trust` value: a `SHA256:` fingerprint, or a public key file (OpenSSH `.pub` or
/// PEM) whose comment becomes the key's name.
pub fn parse_trust(value: &str) -> Result<TrustedKey, KeyError> {
    let source = format!("--trust {value}");
    if value.starts_with("SHA256:") {
        return Ok(TrustedKey::plain(value.parse()?, source));
    }
    let (vk, comment) = load_public(Path::new(value))?;
    let mut key = TrustedKey::plain(Fingerprint::of(&vk), source);
    key.name = (!comment.is_empty()).then_some(comment);
    Ok(key)
}

/// Reads an OpenSSH `allowed_signers` file as `ssh-keygen -Y verify` does (see ssh-keygen(1),
/// "ALLOWED SIGNERS"): each line names principals, options, and a public key. Ed25519 keys whose
/// `namespaces` option (if any) includes `earwitness` are trusted under their first principal's
/// name, within `valid-after` and `valid-before`. `cert-authority` and unknown options are refused
/// with an error, as are other key types, so nothing is silently ignored.
pub fn parse_allowed_signers(path: &Path) -> Result<Vec<TrustedKey>, KeyError> {
    let text = fs::read_to_string(path).map_err(|source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    let shown = path.display().to_string();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |message: String| KeyError::Format {
            path: path.to_path_buf(),
            message: format!("line {}: {message}", i + 1),
        };
        if i == 0 && (line.contains("PRIVATE KEY") || line.starts_with("-----BEGIN")) {
            return Err(KeyError::NotAllowedSigners(path.to_path_buf()));
        }
        let tokens = split_outside_quotes(&line.replace('\t', " "), ' ')
            .into_iter()
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>();
        let Some(principals) = tokens.first() else {
            continue;
        };
        if is_key_type(principals) {
            // A bare public key line: a `.pub` file, not an allowed_signers file.
            return Err(KeyError::NotAllowedSigners(path.to_path_buf()));
        }
        let mut rest = &tokens[1..];
        let mut key = TrustedKey::plain(Fingerprint([0; 32]), format!("--trust-file {shown}"));
        let mut namespaces_ok = true;
        if let Some(options) = rest.first().filter(|t| !is_key_type(t)) {
            for option in split_outside_quotes(options, ',') {
                let (name, value) = option.split_once('=').unwrap_or((option.as_str(), ""));
                let value = value.trim_matches('"');
                match name.to_ascii_lowercase().as_str() {
                    "namespaces" => {
                        namespaces_ok = value.split(',').any(|n| n == SSHSIG_NAMESPACE);
                    }
                    "valid-after" => key.valid_after = Some(parse_ssh_time(value).map_err(bad)?),
                    "valid-before" => key.valid_before = Some(parse_ssh_time(value).map_err(bad)?),
                    "cert-authority" => {
                        return Err(bad(
                            "certificate authorities are not supported; list the signers' own keys"
                                .into(),
                        ));
                    }
                    other => {
                        return Err(bad(format!(
                            "the option {:?} is not supported (ssh-keygen knows namespaces, valid-after, valid-before and cert-authority)",
                            crate::text::safe(other)
                        )));
                    }
                }
            }
            rest = &rest[1..];
        }
        if !namespaces_ok {
            continue;
        }
        let (vk, _) = parse_public_openssh(&rest.join(" ")).map_err(bad)?;
        key.fingerprint = Fingerprint::of(&vk);
        let first = principals.trim_matches('"');
        key.name = Some(first.split(',').next().unwrap_or(first).to_string());
        out.push(key);
    }
    Ok(out)
}

fn is_key_type(token: &str) -> bool {
    token.starts_with("ssh-") || token.starts_with("ecdsa-") || token.starts_with("sk-")
}

/// An `allowed_signers` time: `YYYYMMDD[HHMM[SS]]`, in UTC with a trailing `Z`, otherwise in the
/// system's time zone, as ssh-keygen reads it.
fn parse_ssh_time(value: &str) -> Result<Timestamp, String> {
    let (digits, utc) = match value.strip_suffix(['Z', 'z']) {
        Some(d) => (d, true),
        None => (value, false),
    };
    let bad = || format!("{value:?} is not a time of the form YYYYMMDD[HHMM[SS]][Z]");
    if !digits.bytes().all(|b| b.is_ascii_digit()) || ![8, 12, 14].contains(&digits.len()) {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| digits.get(r).and_then(|s| s.parse::<i16>().ok());
    let date = jiff::civil::date(
        num(0..4).ok_or_else(bad)?,
        num(4..6).ok_or_else(bad)? as i8,
        num(6..8).ok_or_else(bad)? as i8,
    );
    let (h, m, s) = (
        num(8..10).unwrap_or(0) as i8,
        num(10..12).unwrap_or(0) as i8,
        num(12..14).unwrap_or(0) as i8,
    );
    let civil = jiff::civil::DateTime::new(date.year(), date.month(), date.day(), h, m, s, 0)
        .map_err(|_| bad())?;
    let tz = if utc {
        jiff::tz::TimeZone::UTC
    } else {
        jiff::tz::TimeZone::system()
    };
    civil
        .to_zoned_datetime(tz)
        .map(|z| z.timestamp())
        .map_err(|_| bad())
}

/// Splits `text` at `sep` where it is not inside double quotes.
fn split_outside_quotes(text: &str, sep: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if c == sep && !quoted {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    parts
}

/// Checks a name for an `allowed_signers` principal: printable, no quote, comma or pattern
/// character (ssh-keygen reads those as lists and patterns).
pub fn check_principal(name: &str) -> Result<(), KeyError> {
    let bad = |why: &str| KeyError::BadName(name.chars().take(100).collect(), why.to_string());
    if name.trim().is_empty() {
        return Err(bad("it is empty"));
    }
    if name.chars().any(crate::text::is_unsafe) {
        return Err(bad("it contains a control or invisible character"));
    }
    if name
        .chars()
        .any(|c| matches!(c, '"' | ',' | '*' | '?' | '!' | '#'))
    {
        return Err(bad(
            "it contains one of \" , * ? ! #, which allowed_signers files treat specially",
        ));
    }
    if name != name.trim() {
        return Err(bad("it starts or ends with a space"));
    }
    Ok(())
}

/// The `allowed_signers` line that trusts `key` under `name` for earwitness signatures.
pub fn allowed_signers_line(name: &str, key: &VerifyingKey) -> Result<String, KeyError> {
    check_principal(name)?;
    let principal = if name.contains(' ') {
        format!("\"{name}\"")
    } else {
        name.to_string()
    };
    Ok(format!(
        "{principal} namespaces=\"{SSHSIG_NAMESPACE}\" {}",
        public_line(key)
    ))
}

/// Adds `key` under `name` to the `allowed_signers` file at `path` (created if missing),
/// atomically. Refuses a name or a key the file already lists.
pub fn add_to_allowed_signers(path: &Path, name: &str, key: &VerifyingKey) -> Result<(), KeyError> {
    let line = allowed_signers_line(name, key)?;
    let existing = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(KeyError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if !existing.is_empty() {
        let fingerprint = Fingerprint::of(key);
        for listed in parse_allowed_signers(path)? {
            if listed.fingerprint == fingerprint {
                return Err(KeyError::AlreadyTrusted(
                    fingerprint.to_string(),
                    listed.name.unwrap_or_default(),
                ));
            }
            if listed.name.as_deref() == Some(name) {
                return Err(KeyError::NameTaken(name.to_string()));
            }
        }
    }
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&line);
    crate::atomic::write(path, 0o644, true, |f| f.write_all(text.as_bytes())).map_err(|source| {
        KeyError::Io {
            path: path.to_path_buf(),
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_signers_lines() {
        let key = super::super::generate("t").unwrap();
        let line = key.public_key().to_openssh().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("allowed");
        std::fs::write(
            &path,
            format!(
                "# comment\nlawyer@example.org namespaces=\"git,earwitness\" {line}\nother namespaces=\"git\" {line}\nplain,second {line}\n\"Field Officer\" valid-after=\"20250101Z\",valid-before=\"20260101\" {line}\n"
            ),
        )
        .unwrap();
        let trusted = parse_allowed_signers(&path).unwrap();
        let names: Vec<_> = trusted.iter().map(|t| t.name.clone().unwrap()).collect();
        assert_eq!(names, ["lawyer@example.org", "plain", "Field Officer"]);
        assert_eq!(
            trusted[2].valid_after,
            Some("2025-01-01T00:00:00Z".parse().unwrap())
        );
        for bad in [
            "ca cert-authority",
            "x no-touch-required",
            "x valid-before=\"2026\"",
        ] {
            std::fs::write(&path, format!("{bad} {line}\n")).unwrap();
            assert!(parse_allowed_signers(&path).is_err(), "{bad}");
        }
        std::fs::write(&path, format!("{line}\n")).unwrap();
        assert!(matches!(
            parse_allowed_signers(&path),
            Err(KeyError::NotAllowedSigners(_))
        ));
    }

    #[test]
    fn validity_windows_are_honoured() {
        let fp = Fingerprint([7; 32]);
        let mut key = TrustedKey::plain(fp, "test");
        key.valid_before = Some("2026-01-01T00:00:00Z".parse().unwrap());
        let trust = Trust::from_keys(vec![key]);
        let before: Timestamp = "2025-06-01T00:00:00Z".parse().unwrap();
        let after: Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
        assert!(matches!(
            trust.standing(fp, Some(before)),
            Standing::Trusted(_)
        ));
        assert!(matches!(
            trust.standing(fp, Some(after)),
            Standing::OutsideValidity(..)
        ));
        assert!(matches!(
            trust.standing(fp, None),
            Standing::OutsideValidity(..)
        ));
        assert_eq!(
            trust.standing(Fingerprint([8; 32]), Some(before)),
            Standing::NotListed
        );
        assert_eq!(
            Trust::from_keys(Vec::new()).standing(fp, None),
            Standing::Unpinned
        );
    }

    #[test]
    fn lines_for_names_with_spaces() {
        let key = super::super::generate("t").unwrap();
        let vk = VerifyingKey::try_from(key.public_key().key_data().ed25519().unwrap()).unwrap();
        let line = allowed_signers_line("Field Officer", &vk).unwrap();
        assert!(line.starts_with("\"Field Officer\" namespaces=\"earwitness\" ssh-ed25519 "));
        assert!(allowed_signers_line("a,b", &vk).is_err());
        assert!(allowed_signers_line("a\u{202e}b", &vk).is_err());
    }
}
