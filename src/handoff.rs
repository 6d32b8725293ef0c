//! Hand-offs: appending a signed custody event (`transferred`, `received`, `noted`) to an existing
//! bundle, after verifying all of it, atomically, without rewriting anything already in it; with
//! TSAs, the event's time-stamp tokens go in with it.
//!
//! Whether the event may be appended at all is decided by the custody rules
//! ([`crate::custody::Chain::may_append`]), the same rules `verify` applies.

use std::io;
use std::path::PathBuf;

use crate::bundle;
use crate::commit::{CommitError, read_back_and_commit};
use crate::custody::{self, Action, Claims, Event, Receipt, Violation};
use crate::digest::Sha256;
use crate::keys::{Signer, Trust, TrustedKey};
use crate::text::{ClaimError, check_claim};
use crate::timestamp::{StampError, Tsa};
use crate::verify::{self, Report, Verdict};

/// The hand-off to record.
#[derive(Clone, Debug)]
pub struct HandoffOptions {
    /// The bundle (a ZIP file), updated in place (through a symbolic link, the file it points to).
    pub bundle: PathBuf,
    /// What happens: a transfer, a receive or a note.
    pub action: Action,
    /// Who acts, their organisation, and the note.
    pub claims: Claims,
    /// The event time.
    pub time: jiff::Timestamp,
    /// Whom the actor trusts. Pinned: every earlier event must be signed by one of these keys, or
    /// nothing is appended. Unpinned: the hand-off goes ahead, and the caller should say that the
    /// earlier signers were not checked against trusted keys.
    pub trust: Trust,
    /// TSAs to time-stamp the new event (none: no time-stamp).
    pub tsa: Tsa,
}

/// What was appended.
#[derive(Debug)]
pub struct Appended {
    /// The new event.
    pub event: Event,
    /// Its path inside the bag.
    pub event_path: String,
    /// A receipt for the sender (for `received`).
    pub receipt: Option<Receipt>,
    /// The verification done before appending.
    pub before: Report,
    /// The bag paths of the new event's time-stamp tokens, one per TSA, in order.
    pub tokens: Vec<String>,
}

/// Why nothing was appended. The bundle is unchanged when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum HandoffError {
    /// The bundle failed verification; nothing is signed on top of a broken bundle.
    #[error("the bundle failed verification, so nothing was added to it")]
    Failed(Box<Report>),
    /// Trusted keys were given, and some events are signed by keys outside them.
    #[error("some events are signed by keys you do not trust, so nothing was added to the bundle")]
    NotTrusted(Box<Report>),
    /// The bundle is a folder; hand-offs update ZIP bundles.
    #[error("{0}: is a folder; transfer, receive and note update a bundle .zip file")]
    NotZip(PathBuf),
    /// The custody rules do not allow this event now.
    #[error("{0}")]
    Refused(Violation),
    /// A claim holds characters that could hide or reorder text.
    #[error(transparent)]
    Claim(#[from] ClaimError),
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
    /// The rewritten bundle did not check out, or could not be moved into place.
    #[error("{0}; the original is unchanged")]
    Commit(CommitError),
    /// A TSA could not be reached, refused, or answered with an unusable token.
    #[error("{0}; nothing was added to the bundle")]
    Timestamp(#[from] StampError),
}

fn check_claims(options: &HandoffOptions) -> Result<(), ClaimError> {
    let c = &options.claims;
    for (field, value, multiline) in [
        ("the actor", &c.actor, false),
        ("the organisation", &c.organization, false),
        ("the note", &c.note, true),
    ] {
        if let Some(v) = value {
            check_claim(field, v, multiline)?;
        }
    }
    if let Action::Transferred { to: Some(to), .. } = &options.action {
        check_claim("the recipient's name", to, false)?;
    }
    Ok(())
}

/// Verifies `options.bundle`, then appends one event signed by `signer`.
pub fn append_event(options: &HandoffOptions, signer: &Signer) -> Result<Appended, HandoffError> {
    check_claims(options)?;
    let given = options.bundle.as_path();
    if given.is_dir() {
        return Err(HandoffError::NotZip(given.to_path_buf()));
    }
    let io_err = |context: &str| {
        let context = format!("{}: {context}", given.display());
        move |source| HandoffError::Io { context, source }
    };
    // Through a symbolic link, update the file it points to; never replace the link.
    let path = std::fs::canonicalize(given).map_err(io_err("cannot find the bundle"))?;
    let (before, state) = verify::verify_path_with(
        &path,
        &verify::Options::trusting(options.trust.clone()),
        None,
        true,
    )
    .map_err(io_err("cannot read the bundle"))?;
    if before.verdict == Verdict::Failed {
        return Err(HandoffError::Failed(Box::new(before)));
    }
    if options.trust.is_pinned() && before.verdict != Verdict::Verified {
        return Err(HandoffError::NotTrusted(Box::new(before)));
    }
    let Some(state) = state else {
        return Err(HandoffError::Failed(Box::new(before)));
    };
    let me = signer.fingerprint();
    let event = Event::next(
        &state.chain,
        &options.action,
        &state.context,
        &options.claims,
        me,
        options.time,
    )
    .map_err(HandoffError::Refused)?;
    let [pem, _] = custody::key_files(&me);
    let bag = &state.context.bag;
    let mut files = custody::event_files(&event, signer, !state.key_files.contains(&pem))?;
    let event_path = format!("{}/{}", custody::DIR, event.file_name());
    let event_bytes = event.to_bytes();
    let mut tokens = Vec::new();
    if !options.tsa.urls.is_empty() {
        let answers = crate::timestamp::stamp(&options.tsa, Sha256::of(&event_bytes).0)?;
        for (n, token) in (1..).zip(answers) {
            let name = custody::token_file(&event_path, n);
            tokens.push(name.clone());
            files.push((name, token));
        }
    }
    let files: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|(name, bytes)| (format!("{bag}/{name}"), bytes))
        .collect();
    let tmp = bundle::append(&path, &files, options.time)
        .map_err(io_err("cannot write the updated bundle"))?;
    let mut trust = options.trust.clone();
    if let Trust::Pinned(keys) = &mut trust {
        keys.push(TrustedKey::plain(me, "the signing key"));
    }
    let check = verify::Options {
        items_kept: 0,
        ..verify::Options::trusting(trust)
    };
    read_back_and_commit(tmp, &path, true, &check, &state.payload_digests)
        .map_err(HandoffError::Commit)?;
    let receipt =
        (options.action == Action::Received).then(|| Receipt::new(&event, &event_bytes, signer));
    Ok(Appended {
        event,
        event_path,
        receipt,
        before,
        tokens,
    })
}
