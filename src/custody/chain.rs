//! The custody rules, written once: which event may follow which, and who may sign it. `verify`
//! walks a bundle's events through [`Chain::apply`] (each [`Violation`] becomes a finding), and the
//! hand-off commands ask [`Chain::may_append`] before they sign (a violation becomes a refusal).
//! docs/FORMAT.md §6.5 states the same rules; VERIFY.txt's Python is their independent copy.

use jiff::Timestamp;

use super::Event;
use crate::digest::Sha256;
use crate::keys::Fingerprint;

/// What an event records, as a type: the on-disk `action` string and the members that go with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The bundle was made (event 1 only).
    Sealed,
    /// The holder handed the bundle to a named recipient.
    Transferred {
        /// The recipient's name, as the holder typed it.
        to: Option<String>,
        /// The recipient's key: only it may sign the `received` event.
        to_key: Fingerprint,
    },
    /// The recipient took the bundle after re-hashing and verifying all of it.
    Received,
    /// Someone recorded a note.
    Noted,
}

impl Action {
    /// The on-disk `action` string.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Sealed => super::action::SEALED,
            Action::Transferred { .. } => super::action::TRANSFERRED,
            Action::Received => super::action::RECEIVED,
            Action::Noted => super::action::NOTED,
        }
    }
}

/// A transfer not yet received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// The recipient's name, as the holder typed it.
    pub to: Option<String>,
    /// The recipient's key.
    pub key: Fingerprint,
}

impl std::fmt::Display for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.to {
            Some(name) => write!(f, "{} ({})", crate::text::safe(name), self.key),
            None => write!(f, "{}", self.key),
        }
    }
}

/// A broken custody rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// The sequence number is not the next one.
    #[error("expected event {expected} next, found {found}: an event is missing or misnumbered")]
    SeqGap {
        /// The number that should come next.
        expected: u32,
        /// The number found.
        found: u32,
    },
    /// Event 1 is not `sealed`.
    #[error("the first event must be `sealed`")]
    FirstNotSealed,
    /// A `sealed` event after event 1.
    #[error("only the first event may be `sealed`")]
    SealedAgain,
    /// `prev_event_sha256` is not the previous event file's SHA-256.
    #[error("{}", match expected {
        None => "the first event must not name a previous event".to_string(),
        Some(p) => format!("prev_event_sha256 does not match the previous event's SHA-256 ({p})"),
    })]
    PrevMismatch {
        /// The previous event's SHA-256 (`None` before the first).
        expected: Option<Sha256>,
        /// What the event names.
        found: Option<Sha256>,
    },
    /// A transfer by someone who does not hold the bundle.
    #[error(
        "a transfer signed by {signer}, but the bundle is held by {holder}: only the holder can hand it on"
    )]
    NotHolder {
        /// The holder's key.
        holder: Fingerprint,
        /// The signer's key.
        signer: Fingerprint,
    },
    /// A transfer while another is pending.
    #[error("a transfer while the transfer to {0} was never received; it must be received first")]
    InTransit(Pending),
    /// A receive with no transfer pending.
    #[error("a receive that no transfer announced")]
    NothingToReceive,
    /// A receive signed by another key than the transfer named.
    #[error(
        "received by {signer}, but the transfer named {expected}: only the named recipient can receive it"
    )]
    NotRecipient {
        /// The transfer that is pending.
        expected: Pending,
        /// The signer's key.
        signer: Fingerprint,
    },
    /// A transfer without a valid recipient key.
    #[error("a transfer must name the recipient's key fingerprint in to_key")]
    MissingRecipientKey,
    /// A receive that does not record `payload_rehashed: true`.
    #[error("a receive must record payload_rehashed: true")]
    NotRehashed,
    /// An action this version does not know.
    #[error("unknown action {0:?}")]
    UnknownAction(String),
    /// The time is not RFC 3339.
    #[error("time {0:?} is not an RFC 3339 time in UTC with whole seconds")]
    BadTime(String),
    /// The time is earlier than the previous event's (a warning: clocks are claims).
    #[error(
        "the event's time {this} is earlier than the previous event's {previous}: one of the signers' clocks is wrong, or the order is"
    )]
    TimeBackwards {
        /// The previous event's time.
        previous: Timestamp,
        /// This event's time.
        this: Timestamp,
    },
}

impl Violation {
    /// Whether this only deserves a warning (the chain is still sound).
    pub fn is_warning(&self) -> bool {
        matches!(self, Violation::TimeBackwards { .. })
    }
}

impl Event {
    /// The event's action as a type. `to_key` is parsed; members that belong to other actions are
    /// ignored, as docs/FORMAT.md §6.2 says.
    pub fn typed_action(&self) -> Result<Action, Violation> {
        match self.action.as_str() {
            super::action::SEALED => Ok(Action::Sealed),
            super::action::NOTED => Ok(Action::Noted),
            super::action::RECEIVED if self.payload_rehashed == Some(true) => Ok(Action::Received),
            super::action::RECEIVED => Err(Violation::NotRehashed),
            super::action::TRANSFERRED => match self.to_key.as_deref().map(str::parse) {
                Some(Ok(to_key)) => Ok(Action::Transferred {
                    to: self.to.clone(),
                    to_key,
                }),
                _ => Err(Violation::MissingRecipientKey),
            },
            other => Err(Violation::UnknownAction(other.to_string())),
        }
    }
}

/// The state of a custody chain after the events applied so far.
#[derive(Clone, Debug, Default)]
pub struct Chain {
    seq: u32,
    last_sha: Option<Sha256>,
    holder: Option<Fingerprint>,
    /// The name the holder's event claims (the sealer's or the receiver's actor).
    holder_name: Option<String>,
    pending: Option<Pending>,
    last_time: Option<Timestamp>,
}

impl Chain {
    /// A chain with no events yet.
    pub fn new() -> Self {
        Chain::default()
    }

    /// Applies the next event, whose file has SHA-256 `sha` and whose signatures were made by
    /// `signer`, and returns every rule it breaks (an empty list for a sound event). The chain
    /// moves on either way, so that the events after a broken one are still checked.
    pub fn apply(&mut self, event: &Event, signer: Fingerprint, sha: Sha256) -> Vec<Violation> {
        let mut broken = Vec::new();
        let expected = self.seq.saturating_add(1);
        if event.seq != expected {
            broken.push(Violation::SeqGap {
                expected,
                found: event.seq,
            });
        }
        let sealed = event.action == super::action::SEALED;
        if event.seq == 1 && !sealed {
            broken.push(Violation::FirstNotSealed);
        } else if event.seq != 1 && sealed {
            broken.push(Violation::SealedAgain);
        }
        if event.prev_event_sha256 != self.last_sha {
            broken.push(Violation::PrevMismatch {
                expected: self.last_sha,
                found: event.prev_event_sha256,
            });
        }
        match crate::time::parse_utc(&event.time) {
            Some(t) => {
                if let Some(previous) = self.last_time
                    && t < previous
                {
                    broken.push(Violation::TimeBackwards { previous, this: t });
                }
                self.last_time = Some(t);
            }
            None => broken.push(Violation::BadTime(event.time.clone())),
        }
        match event.typed_action() {
            Ok(action) => {
                // Whether event 1 is `sealed` was checked above, by its number.
                if action != Action::Sealed
                    && let Err(v) = self.may_append(&action, signer)
                {
                    broken.push(v);
                }
                self.advance(&action, signer);
                if matches!(action, Action::Sealed | Action::Received) {
                    self.holder_name = event.actor.clone();
                }
            }
            Err(v) => broken.push(v),
        }
        self.seq = event.seq;
        self.last_sha = Some(sha);
        broken
    }

    /// Moves past an event that could not be read (its file is not a valid event), so that the
    /// events after it are still checked: its number and file hash count, nothing else.
    pub fn skip(&mut self, seq: u32, sha: Sha256) {
        self.seq = seq;
        self.last_sha = Some(sha);
    }

    /// Whether `signer` may append an event of `action` now. `sealed` is never appended.
    pub fn may_append(&self, action: &Action, signer: Fingerprint) -> Result<(), Violation> {
        match action {
            Action::Sealed if self.seq > 0 => Err(Violation::SealedAgain),
            Action::Sealed | Action::Noted => Ok(()),
            Action::Transferred { .. } => {
                if let Some(p) = &self.pending {
                    return Err(Violation::InTransit(p.clone()));
                }
                match self.holder {
                    Some(holder) if holder != signer => {
                        Err(Violation::NotHolder { holder, signer })
                    }
                    _ => Ok(()),
                }
            }
            Action::Received => match &self.pending {
                None => Err(Violation::NothingToReceive),
                Some(p) if p.key != signer => Err(Violation::NotRecipient {
                    expected: p.clone(),
                    signer,
                }),
                Some(_) => Ok(()),
            },
        }
    }

    fn advance(&mut self, action: &Action, signer: Fingerprint) {
        match action {
            Action::Sealed => self.holder = Some(signer),
            Action::Noted => {}
            Action::Transferred { to, to_key } => {
                self.pending = Some(Pending {
                    to: to.clone(),
                    key: *to_key,
                });
            }
            Action::Received => {
                self.pending = None;
                self.holder = Some(signer);
            }
        }
    }

    /// The number of the last event applied (0 before any).
    pub fn last_seq(&self) -> u32 {
        self.seq
    }

    /// The SHA-256 of the last event file applied.
    pub fn last_sha(&self) -> Option<Sha256> {
        self.last_sha
    }

    /// The key of who holds the bundle: the sealer, then each receiver.
    pub fn holder(&self) -> Option<Fingerprint> {
        self.holder
    }

    /// The name the bundle claims for its holder (the actor of the `sealed` or last `received`
    /// event): a claim, not a fact.
    pub fn holder_name(&self) -> Option<&str> {
        self.holder_name.as_deref()
    }

    /// The transfer not yet received, if any.
    pub fn pending(&self) -> Option<&Pending> {
        self.pending.as_ref()
    }

    /// The time of the last event whose time parsed.
    pub fn last_time(&self) -> Option<Timestamp> {
        self.last_time
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(n: u8) -> Fingerprint {
        Fingerprint([n; 32])
    }

    fn event(seq: u32, action: &str, prev: Option<Sha256>) -> Event {
        Event {
            format: super::super::FORMAT.into(),
            seq,
            action: action.into(),
            time: format!("2026-01-0{seq}T00:00:00Z"),
            actor: None,
            organization: None,
            key: String::new(),
            bag: "b".into(),
            case: None,
            note: None,
            to: None,
            to_key: None,
            payload_rehashed: None,
            prev_event_sha256: prev,
            tagmanifest_sha256: Sha256::of(b""),
        }
    }

    #[test]
    fn hand_offs_follow_the_holder() {
        let (officer, lawyer, stranger) = (fp(1), fp(2), fp(3));
        let mut chain = Chain::new();
        let s1 = Sha256::of(b"1");
        assert!(
            chain
                .apply(&event(1, "sealed", None), officer, s1)
                .is_empty()
        );
        let transfer = Action::Transferred {
            to: Some("Lawyer".into()),
            to_key: lawyer,
        };
        assert_eq!(
            chain.may_append(&transfer, stranger),
            Err(Violation::NotHolder {
                holder: officer,
                signer: stranger
            })
        );
        let mut t = event(2, "transferred", Some(s1));
        t.to_key = Some(lawyer.to_string());
        let s2 = Sha256::of(b"2");
        assert!(chain.apply(&t, officer, s2).is_empty());
        assert!(matches!(
            chain.may_append(&transfer, officer),
            Err(Violation::InTransit(_))
        ));
        assert!(matches!(
            chain.may_append(&Action::Received, stranger),
            Err(Violation::NotRecipient { .. })
        ));
        let mut r = event(3, "received", Some(s2));
        r.payload_rehashed = Some(true);
        assert!(chain.apply(&r, lawyer, Sha256::of(b"3")).is_empty());
        assert_eq!(chain.holder(), Some(lawyer));
        assert_eq!(
            chain.may_append(&Action::Received, lawyer),
            Err(Violation::NothingToReceive)
        );
    }

    #[test]
    fn sequence_and_links() {
        let mut chain = Chain::new();
        let broken = chain.apply(
            &event(2, "noted", Some(Sha256::of(b"x"))),
            fp(1),
            Sha256::of(b"1"),
        );
        assert!(broken.contains(&Violation::SeqGap {
            expected: 1,
            found: 2
        }));
        assert!(
            broken
                .iter()
                .any(|v| matches!(v, Violation::PrevMismatch { .. }))
        );
        let mut late = event(3, "sealed", Some(Sha256::of(b"1")));
        late.time = "2025-01-01T00:00:00Z".into();
        let broken = chain.apply(&late, fp(1), Sha256::of(b"2"));
        assert!(broken.contains(&Violation::SealedAgain));
        assert!(broken.iter().any(|v| v.is_warning()));
    }
}
