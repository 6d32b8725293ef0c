//! Custody events: the signed, hash-chained record of who sealed and handled a bundle.
//!
//! Each event is a JSON file signed over its exact bytes, twice: a raw Ed25519 signature (for
//! `openssl pkeyutl`) and an OpenSSH SSHSIG (for `ssh-keygen -Y verify`). [`chain`] holds the rules
//! of which event may follow which; [`receipt`] the receipts a recipient hands back. The names of
//! every custody file are made here, and only here ([`event_file_name`], [`key_files`],
//! [`signature_files`], [`token_file`], [`renewal_files`]).

mod chain;
mod receipt;

use serde::{Deserialize, Serialize};

use crate::digest::Sha256;
use crate::keys::Fingerprint;

pub use chain::{Action, Chain, Pending, Violation};
pub use receipt::{RECEIPT_FORMAT, Receipt};

/// The value of the `format` field this version writes and reads.
pub const FORMAT: &str = "earwitness-custody/1";
/// The custody folder inside the bag.
pub const DIR: &str = "custody";
/// The folder of signers' public keys inside the bag.
pub const KEYS_DIR: &str = "custody/keys";
pub use crate::keys::SSHSIG_NAMESPACE;

/// One custody event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Always [`FORMAT`].
    pub format: String,
    /// 1 for the first event, then 2, 3, ...
    pub seq: u32,
    /// What happened: `sealed` for the first event.
    pub action: String,
    /// When, RFC 3339 in UTC. A claim of the signer's clock.
    pub time: String,
    /// Who did it.
    pub actor: Option<String>,
    /// The organisation the actor belongs to.
    pub organization: Option<String>,
    /// The signer's OpenSSH fingerprint, `SHA256:...`.
    pub key: String,
    /// The bag's name (its top-level folder).
    pub bag: String,
    /// The case identifier.
    pub case: Option<String>,
    /// A free-text note.
    pub note: Option<String>,
    /// `transferred` only: the recipient's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// `transferred` only: the recipient's key fingerprint. The next `received` event must be
    /// signed by this key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_key: Option<String>,
    /// `received` only: the recipient re-hashed every payload file and verified the whole bundle
    /// before signing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_rehashed: Option<bool>,
    /// SHA-256 of the previous event file's bytes; `null` for the first event.
    pub prev_event_sha256: Option<Sha256>,
    /// SHA-256 of `tagmanifest-sha256.txt`, which binds the event to this bag's contents.
    pub tagmanifest_sha256: Sha256,
}

/// Why an event could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// Not JSON of the documented shape (unknown fields and duplicate keys included).
    #[error("not a valid custody event: {0}")]
    Json(#[from] serde_json::Error),
    /// A `format` this version does not read.
    #[error("custody event has format {0:?}; this earwitness reads {FORMAT:?}")]
    Format(String),
}

/// The words a signer types into an event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claims {
    /// Who acts.
    pub actor: Option<String>,
    /// Their organisation.
    pub organization: Option<String>,
    /// A note (for `noted`, the note itself).
    pub note: Option<String>,
}

/// Where an event belongs: the bag, its case, and the tag manifest it vouches for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    /// The bag's name.
    pub bag: String,
    /// The case (from `evidence.json`).
    pub case: Option<String>,
    /// SHA-256 of `tagmanifest-sha256.txt`.
    pub tagmanifest_sha256: Sha256,
}

impl Event {
    /// Event 1, `sealed`, signed by `signer` at `time`.
    pub fn first(
        context: &Context,
        claims: &Claims,
        signer: Fingerprint,
        time: jiff::Timestamp,
    ) -> Event {
        Event::build(1, &Action::Sealed, context, claims, signer, time, None)
    }

    /// The event after those in `chain`, if the custody rules let `signer` append `action` now.
    pub fn next(
        chain: &Chain,
        action: &Action,
        context: &Context,
        claims: &Claims,
        signer: Fingerprint,
        time: jiff::Timestamp,
    ) -> Result<Event, Violation> {
        chain.may_append(action, signer)?;
        Ok(Event::build(
            chain.last_seq() + 1,
            action,
            context,
            claims,
            signer,
            time,
            chain.last_sha(),
        ))
    }

    fn build(
        seq: u32,
        action: &Action,
        context: &Context,
        claims: &Claims,
        signer: Fingerprint,
        time: jiff::Timestamp,
        prev: Option<Sha256>,
    ) -> Event {
        let (to, to_key) = match action {
            Action::Transferred { to, to_key } => (to.clone(), Some(to_key.to_string())),
            _ => (None, None),
        };
        Event {
            format: FORMAT.into(),
            seq,
            action: action.name().into(),
            time: crate::time::rfc3339(time),
            actor: claims.actor.clone(),
            organization: claims.organization.clone(),
            key: signer.to_string(),
            bag: context.bag.clone(),
            case: context.case.clone(),
            note: claims.note.clone(),
            to,
            to_key,
            payload_rehashed: (*action == Action::Received).then_some(true),
            prev_event_sha256: prev,
            tagmanifest_sha256: context.tagmanifest_sha256,
        }
    }

    /// Parses the exact bytes of an event file.
    pub fn parse(bytes: &[u8]) -> Result<Self, EventError> {
        let ev: Event = serde_json::from_slice(bytes)?;
        if ev.format != FORMAT {
            return Err(EventError::Format(ev.format));
        }
        Ok(ev)
    }

    /// The bytes written to the bag: pretty JSON with a final newline. These bytes are signed.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("event types always serialize");
        out.push(b'\n');
        out
    }

    /// The event's file name inside `custody/`: `NNNN-<action>.json`.
    pub fn file_name(&self) -> String {
        event_file_name(self.seq, &self.action)
    }
}

/// The actions an event can record.
pub mod action {
    /// The bundle was made (always event 1, and only event 1).
    pub const SEALED: &str = "sealed";
    /// The holder handed the bundle to a named recipient.
    pub const TRANSFERRED: &str = "transferred";
    /// The recipient took the bundle, after verifying it.
    pub const RECEIVED: &str = "received";
    /// A holder recorded a note.
    pub const NOTED: &str = "noted";
    /// Every action this version writes and reads.
    pub const ALL: [&str; 4] = [SEALED, TRANSFERRED, RECEIVED, NOTED];
}

/// The files (paths inside the bag, and bytes) that record `event` signed by `signer`: with
/// `with_keys`, the signer's public key as PEM and OpenSSH first, then the event, its raw
/// Ed25519 signature and its SSHSIG.
pub fn event_files(
    event: &Event,
    signer: &crate::keys::Signer,
    with_keys: bool,
) -> Result<Vec<(String, Vec<u8>)>, crate::keys::KeyError> {
    let mut files = Vec::new();
    if with_keys {
        let [pem, public] = key_files(&signer.fingerprint());
        let key = signer.verifying_key();
        files.push((pem, crate::keys::public_pem(&key).into_bytes()));
        files.push((public, crate::keys::public_line(&key).into_bytes()));
    }
    let bytes = event.to_bytes();
    let name = format!("{DIR}/{}", event.file_name());
    let sig = signer.sign_raw(&bytes).to_vec();
    let sshsig = signer.sign_sshsig(SSHSIG_NAMESPACE, &bytes)?.into_bytes();
    let [sig_name, sshsig_name] = signature_files(&name);
    files.push((name, bytes));
    files.push((sig_name, sig));
    files.push((sshsig_name, sshsig));
    Ok(files)
}

/// The bag paths of a signer's key files: `custody/keys/<hex>.pem` and `.pub`.
pub fn key_files(fingerprint: &Fingerprint) -> [String; 2] {
    let hex = fingerprint.to_hex();
    [
        format!("{KEYS_DIR}/{hex}.pem"),
        format!("{KEYS_DIR}/{hex}.pub"),
    ]
}

/// The bag paths of an event file's signatures: `<event>.sig` and `<event>.sshsig`.
pub fn signature_files(event_path: &str) -> [String; 2] {
    [format!("{event_path}.sig"), format!("{event_path}.sshsig")]
}

/// The bag path of an event's `n`th time-stamp token (from 1): `<event>.tsr`, then
/// `<event>.2.tsr`, `<event>.3.tsr`, ...
pub fn token_file(event_path: &str, n: u32) -> String {
    match n {
        0 | 1 => format!("{event_path}.tsr"),
        n => format!("{event_path}.{n}.tsr"),
    }
}

/// The bag paths of an event's `k`th renewal (from 1): its manifest `<event>.renewal-K.txt` and
/// its token `<event>.renewal-K.tsr`.
pub fn renewal_files(event_path: &str, k: u32) -> [String; 2] {
    [
        format!("{event_path}.renewal-{k}.txt"),
        format!("{event_path}.renewal-{k}.tsr"),
    ]
}

/// Which custody file a bag path below `custody/` is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustodyFile<'a> {
    /// An event: its number and action as the file name says.
    Event(u32, &'a str),
    /// A signature of the event file at this bag path.
    Signature(&'a str),
    /// A signer's key file, named by the key's fingerprint in hex.
    Key,
    /// The `n`th time-stamp token of the event file at this bag path ([`token_file`]).
    Token(&'a str, u32),
    /// The `k`th renewal manifest of the event file at this bag path ([`renewal_files`]).
    RenewalManifest(&'a str, u32),
    /// The `k`th renewal token of the event file at this bag path ([`renewal_files`]).
    RenewalToken(&'a str, u32),
}

/// Classifies a bag path below `custody/` by its name alone; `None` for a file that has no place
/// in the custody layout.
pub fn classify(path: &str) -> Option<CustodyFile<'_>> {
    let rel = path.strip_prefix("custody/")?;
    if let Some(key) = rel.strip_prefix("keys/") {
        let stem = key
            .strip_suffix(".pem")
            .or_else(|| key.strip_suffix(".pub"))?;
        let hex = stem.len() == 64
            && stem
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        return hex.then_some(CustodyFile::Key);
    }
    if let Some((seq, action)) = parse_event_file_name(rel) {
        return Some(CustodyFile::Event(seq, action));
    }
    if let Some(event) = path
        .strip_suffix(".sig")
        .or_else(|| path.strip_suffix(".sshsig"))
    {
        parse_event_file_name(event.strip_prefix("custody/")?)?;
        return Some(CustodyFile::Signature(event));
    }
    classify_timestamp(path)
}

/// A token or renewal file: the event's path, then `.tsr`, `.N.tsr` (N ≥ 2), `.renewal-K.txt` or
/// `.renewal-K.tsr` (K ≥ 1), each number in decimal without leading zeros. Only the spelling
/// [`token_file`] and [`renewal_files`] make is accepted.
fn classify_timestamp(path: &str) -> Option<CustodyFile<'_>> {
    let end = path.find(".json.")? + ".json".len();
    let (event, suffix) = path.split_at(end);
    parse_event_file_name(event.strip_prefix("custody/")?)?;
    let number = |digits: &str| -> Option<u32> {
        let n: u32 = digits.parse().ok()?;
        (digits.bytes().all(|b| b.is_ascii_digit()) && n.to_string() == digits).then_some(n)
    };
    let file = if suffix == ".tsr" {
        CustodyFile::Token(event, 1)
    } else if let Some(k) = suffix.strip_prefix(".renewal-") {
        if let Some(k) = k.strip_suffix(".txt").and_then(number) {
            CustodyFile::RenewalManifest(event, k)
        } else {
            CustodyFile::RenewalToken(event, k.strip_suffix(".tsr").and_then(number)?)
        }
    } else {
        CustodyFile::Token(
            event,
            suffix
                .strip_prefix('.')?
                .strip_suffix(".tsr")
                .and_then(number)?,
        )
    };
    let canonical = match &file {
        CustodyFile::Token(_, n) => *n >= 2 || suffix == ".tsr",
        CustodyFile::RenewalManifest(_, k) | CustodyFile::RenewalToken(_, k) => *k >= 1,
        _ => false,
    };
    canonical.then_some(file)
}

/// `NNNN-<action>.json`, with the sequence number zero-padded to four digits (more if needed).
pub fn event_file_name(seq: u32, action: &str) -> String {
    format!("{seq:04}-{action}.json")
}

/// Splits an event file name into its sequence number and action; `None` if it is not one.
pub fn parse_event_file_name(name: &str) -> Option<(u32, &str)> {
    let stem = name.strip_suffix(".json")?;
    let (digits, action) = stem.split_once('-')?;
    if digits.len() < 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if action.is_empty() || !action.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return None;
    }
    let seq: u32 = digits.parse().ok()?;
    // One spelling per number: no extra leading zeros beyond the four-digit padding.
    if event_file_name(seq, action) != name {
        return None;
    }
    Some((seq, action))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(event_file_name(1, "sealed"), "0001-sealed.json");
        assert_eq!(
            parse_event_file_name("0001-sealed.json"),
            Some((1, "sealed"))
        );
        assert_eq!(parse_event_file_name("00001-sealed.json"), None);
        assert_eq!(parse_event_file_name("0001-Sealed.json"), None);
        assert_eq!(
            parse_event_file_name("12345-note.json"),
            Some((12345, "note"))
        );
    }

    #[test]
    fn token_and_renewal_names_round_trip() {
        let e = "custody/0002-noted.json";
        for n in 1..4 {
            assert_eq!(classify(&token_file(e, n)), Some(CustodyFile::Token(e, n)));
        }
        let [txt, tsr] = renewal_files(e, 3);
        assert_eq!(classify(&txt), Some(CustodyFile::RenewalManifest(e, 3)));
        assert_eq!(classify(&tsr), Some(CustodyFile::RenewalToken(e, 3)));
        for bad in [
            "custody/0002-noted.json.1.tsr",
            "custody/0002-noted.json.02.tsr",
            "custody/0002-noted.json.0.tsr",
            "custody/0002-noted.json.+2.tsr",
            "custody/0002-noted.json.renewal-0.tsr",
            "custody/0002-noted.json.renewal-01.txt",
            "custody/0002-noted.json.renewal-1.sig",
            "custody/0002-noted.json.tsr.tsr",
            "custody/0002-noted.json.x.tsr",
            "custody/00002-noted.json.tsr",
            "custody/keys/0002-noted.json.tsr",
        ] {
            assert_eq!(classify(bad), None, "{bad}");
        }
    }

    #[test]
    fn parse_rejects_unknown_and_duplicate_fields() {
        let ev = Event {
            format: FORMAT.into(),
            seq: 1,
            action: "sealed".into(),
            time: "2026-01-01T00:00:00Z".into(),
            actor: None,
            organization: None,
            key: "SHA256:x".into(),
            bag: "b".into(),
            case: None,
            note: None,
            to: None,
            to_key: None,
            payload_rehashed: None,
            prev_event_sha256: None,
            tagmanifest_sha256: Sha256::of(b""),
        };
        let bytes = ev.to_bytes();
        assert_eq!(Event::parse(&bytes).unwrap(), ev);
        let text = String::from_utf8(bytes).unwrap();
        let extra = text.replacen('{', "{\"extra\": 1,", 1);
        assert!(Event::parse(extra.as_bytes()).is_err());
        let dup = text.replacen('{', "{\"seq\": 2,", 1);
        assert!(Event::parse(dup.as_bytes()).is_err());
    }
}
