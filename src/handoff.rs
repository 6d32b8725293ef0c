//! Hand-offs: appending a signed custody event (`transferred`, `received`, `noted`) to an existing
//! bundle, after verifying it, atomically, without rewriting anything already in it.

use std::io;
use std::path::{Path, PathBuf};

use crate::bundle;
use crate::custody::{self, Event, Receipt, action};
use crate::keys::{Fingerprint, Signer, TrustedKey};
use crate::seal::rfc3339;
use crate::verify::{self, Report, VerifyOptions};

/// What happened.
#[derive(Clone, Debug)]
pub enum Kind {
    /// The holder hands the bundle to a recipient.
    Transfer {
        /// The recipient's name.
        to: String,
        /// The recipient's key: the next `received` event must be signed by it.
        to_key: Fingerprint,
    },
    /// The recipient takes the bundle, after re-hashing and verifying all of it.
    Receive,
    /// A holder records a note.
    Note,
}

/// The claims recorded with the event.
#[derive(Clone, Debug)]
pub struct HandoffOptions {
    /// The bundle (a ZIP file), updated in place.
    pub bundle: PathBuf,
    /// Who acts.
    pub actor: Option<String>,
    /// Their organisation.
    pub organization: Option<String>,
    /// The note (for `noted`, the text).
    pub note: Option<String>,
    /// The event time.
    pub time: jiff::Timestamp,
    /// Keys the actor trusts; with any, every earlier signer must be among them.
    pub trust: Vec<TrustedKey>,
}

/// What was appended.
#[derive(Debug)]
pub struct Appended {
    /// The new event.
    pub event: Event,
    /// Its path inside the bag.
    pub event_path: String,
    /// A receipt for the sender (for `received`).
    pub receipt: Receipt,
    /// The verification done before appending.
    pub before: Report,
}

/// Why nothing was appended. The bundle is unchanged when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum HandoffError {
    /// The bundle failed verification; nothing is signed on top of a broken bundle.
    #[error("the bundle failed verification, so nothing was added to it")]
    Failed(Box<Report>),
    /// The bundle is a folder; hand-offs update ZIP bundles.
    #[error("{0}: is a folder; transfer, receive and note update a bundle .zip file")]
    NotZip(PathBuf),
    /// `receive` by a key the transfer did not name.
    #[error(
        "this bundle was transferred to {expected}, not to your key {yours}; only the named recipient can receive it"
    )]
    NotTheRecipient {
        /// The key the transfer named.
        expected: String,
        /// The signer's key.
        yours: Fingerprint,
    },
    /// `receive` with no transfer pending.
    #[error(
        "no transfer is waiting to be received in this bundle; the sender must run `earwitness transfer` first"
    )]
    NothingToReceive,
    /// `transfer` by someone who does not hold the evidence.
    #[error(
        "you (key {yours}) do not hold this bundle; its holder is {holder}, and only the holder can transfer it"
    )]
    NotTheHolder {
        /// The holder's key.
        holder: String,
        /// The signer's key.
        yours: Fingerprint,
    },
    /// `transfer` while an earlier transfer was never received.
    #[error(
        "the bundle is still in transit to {0}; it must be received before it is transferred again"
    )]
    InTransit(String),
    /// Reading or writing failed.
    #[error("{context}")]
    Io {
        /// What was being done.
        context: String,
        /// What the OS said.
        source: io::Error,
    },
    /// Signing failed.
    #[error(transparent)]
    Key(#[from] crate::keys::KeyError),
    /// The rewritten bundle did not check out.
    #[error("the updated bundle failed its check after writing; the original is unchanged")]
    ReadBack(Box<Report>),
}

/// Verifies `options.bundle`, then appends one event of `kind` signed by `signer`.
pub fn append_event(
    options: &HandoffOptions,
    kind: &Kind,
    signer: &Signer,
) -> Result<Appended, HandoffError> {
    let path = options.bundle.as_path();
    if path.is_dir() {
        return Err(HandoffError::NotZip(path.to_path_buf()));
    }
    let io_err = |context: &str| {
        let context = format!("{}: {context}", path.display());
        move |source| HandoffError::Io { context, source }
    };
    let before = verify::verify_path(
        path,
        &VerifyOptions {
            trust: options.trust.clone(),
            ..VerifyOptions::default()
        },
    )
    .map_err(io_err("cannot read the bundle"))?;
    if before.has_errors() {
        return Err(HandoffError::Failed(Box::new(before)));
    }
    let (Some(last), Some(tagmanifest), Some(bag)) = (
        before.last_event.clone(),
        before.tagmanifest_sha256,
        before.bag.clone(),
    ) else {
        return Err(HandoffError::Failed(Box::new(before)));
    };
    let (last_seq, last_sha, pending, holder) =
        (last.seq, last.sha256, last.pending, last.holder_key);
    let me = signer.fingerprint();
    let (action, to, to_key, rehashed) = match kind {
        Kind::Transfer { to, to_key } => {
            if let Some(holder) = holder
                && holder != me
                && pending.is_none()
            {
                return Err(HandoffError::NotTheHolder {
                    holder: holder.to_string(),
                    yours: me,
                });
            }
            if let Some((name, key)) = &pending {
                return Err(HandoffError::InTransit(format!(
                    "{} ({key})",
                    name.as_deref().unwrap_or("a recipient")
                )));
            }
            (
                action::TRANSFERRED,
                Some(to.clone()),
                Some(to_key.to_string()),
                None,
            )
        }
        Kind::Receive => match &pending {
            None => return Err(HandoffError::NothingToReceive),
            Some((_, key)) if *key != me => {
                return Err(HandoffError::NotTheRecipient {
                    expected: key.to_string(),
                    yours: me,
                });
            }
            Some(_) => (action::RECEIVED, None, None, Some(true)),
        },
        Kind::Note => (action::NOTED, None, None, None),
    };
    let event = Event {
        format: custody::FORMAT.into(),
        seq: last_seq + 1,
        action: action.into(),
        time: rfc3339(options.time),
        actor: options.actor.clone(),
        organization: options.organization.clone(),
        key: me.to_string(),
        bag: bag.clone(),
        case: before.case.clone(),
        note: options.note.clone(),
        to,
        to_key,
        payload_rehashed: rehashed,
        prev_event_sha256: Some(last_sha),
        tagmanifest_sha256: tagmanifest,
    };
    let key_known = before
        .key_files
        .contains(&format!("custody/keys/{}.pem", me.to_hex()));
    let files: Vec<(String, Vec<u8>)> = custody::event_files(&event, signer, !key_known)?
        .into_iter()
        .map(|(name, bytes)| (format!("{bag}/{name}"), bytes))
        .collect();
    let event_path = format!("{}/{}", custody::DIR, event.file_name());
    let event_bytes = event.to_bytes();
    let tmp = bundle::append(path, &files, options.time)
        .map_err(io_err("cannot write the updated bundle"))?;
    check_written(tmp.path(), &before, &options.trust, signer)?;
    bundle::persist(tmp, path, true).map_err(io_err("cannot replace the bundle"))?;
    let receipt = Receipt {
        format: custody::RECEIPT_FORMAT.into(),
        bag,
        event_path: event_path.clone(),
        event: String::from_utf8_lossy(&event_bytes).into_owned(),
        event_sha256: crate::digest::Sha256::of(&event_bytes),
        signature_hex: hex::encode(signer.sign_raw(&event_bytes)),
    };
    Ok(Appended {
        event,
        event_path,
        receipt,
        before,
    })
}

/// Checks the rewritten bundle: payload entries by their CRC and size against what was just
/// hashed (they were copied raw), everything else in full, with the new signer trusted too.
fn check_written(
    tmp: &Path,
    before: &Report,
    trust: &[TrustedKey],
    signer: &Signer,
) -> Result<(), HandoffError> {
    let mut trust = trust.to_vec();
    if !trust.is_empty() {
        trust.push(TrustedKey {
            fingerprint: signer.fingerprint(),
            name: None,
        });
    }
    let known = (!before.payload_digests.is_empty()).then(|| before.payload_digests.clone());
    let after = verify::verify_path(
        tmp,
        &VerifyOptions {
            trust,
            known_payload: known,
            ..VerifyOptions::default()
        },
    )
    .map_err(|source| HandoffError::Io {
        context: "cannot read back the updated bundle".into(),
        source,
    })?;
    if after.has_errors() {
        return Err(HandoffError::ReadBack(Box::new(after)));
    }
    Ok(())
}

/// Writes a receipt file atomically; never replaces an existing one.
pub fn write_receipt(receipt: &Receipt, path: &Path) -> io::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(receipt).map_err(io::Error::other)?;
    bytes.push(b'\n');
    bundle::write_atomic(path, 0o644, false, |f| std::io::Write::write_all(f, &bytes))
}
