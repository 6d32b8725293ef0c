//! What verification found, as data: the public [`Report`] that every front end renders (text,
//! JSON, HTML, PDF), and the [`Findings`] collector the checks push into.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::evidence::Evidence;
use crate::finding::{Finding, Severity, code};

/// The overall result, one meaning each (and one exit code each, see docs/FORMAT.md §10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every hash and signature holds, and every event is signed by a key the verifier trusts.
    Verified,
    /// Every hash and signature holds, but no trust was given, or some events are signed by keys
    /// outside it.
    IntactNotFullyTrusted,
    /// Something failed: tampering, a malformed or hostile bundle.
    Failed,
}

/// How an event's signer stands towards the verifier's trust.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignerTrust {
    /// Among the trusted keys (for this event's time).
    Trusted,
    /// Trusted keys were given, and this signer is not among them.
    Untrusted,
    /// Listed, but not for this event's time (`valid-after`, `valid-before`).
    OutsideValidity,
    /// No trusted keys were given.
    Unpinned,
}

/// One custody event as verify saw it. Every member but `seq`, `key`, `signature_valid`, `trust`
/// and `trusted_name` is what the event claims; the claims are the signer's words, and only
/// signed words when `signature_valid` is true.
#[derive(Clone, Debug, Serialize)]
pub struct EventReport {
    /// Sequence number.
    pub seq: u32,
    /// The event file's bag path.
    pub path: String,
    /// The action.
    pub action: String,
    /// The claimed time.
    pub time: String,
    /// The claimed actor (the name the signer typed or their key carries).
    pub actor: Option<String>,
    /// The claimed organisation.
    pub organization: Option<String>,
    /// The signer's fingerprint.
    pub key: String,
    /// Whether both signatures verified with the key the event names.
    pub signature_valid: bool,
    /// How the signer stands towards the verifier's trust.
    pub trust: SignerTrust,
    /// The name the verifier's trust list gives the key.
    pub trusted_name: Option<String>,
    /// The note.
    pub note: Option<String>,
    /// For a transfer: the recipient's name.
    pub to: Option<String>,
    /// For a transfer: the recipient's key fingerprint.
    pub to_key: Option<String>,
    /// The name the verifier's trust list gives the recipient's key.
    pub to_trusted_name: Option<String>,
    /// The event's time-stamp tokens and renewals, as checked.
    pub timestamps: Vec<TimestampReport>,
}

/// What a time-stamp token covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimestampKind {
    /// A token over the event file (`.tsr`, `.N.tsr`).
    Token,
    /// A renewal token over a renewal manifest (`.renewal-K.tsr`).
    Renewal,
}

/// One time-stamp token of an event, as verify checked it.
#[derive(Clone, Debug, Serialize)]
pub struct TimestampReport {
    /// The token's bag path.
    pub path: String,
    /// Over the event, or a renewal.
    pub kind: TimestampKind,
    /// The TSA's name for people (its certificate's common name), when the token could be read.
    pub tsa: Option<String>,
    /// The TSA certificate's subject.
    pub tsa_subject: Option<String>,
    /// The TSA's time (genTime), RFC 3339 in UTC, when the token could be read.
    pub time: Option<String>,
    /// Whether every check of the token passed (trust aside).
    pub valid: bool,
    /// Whether it is valid and its TSA chains to a root the verifier trusts.
    pub trusted: bool,
    /// Why it is not valid, or (valid) why its TSA is not trusted.
    pub problem: Option<String>,
}

/// Who holds the bundle now, after the last event.
#[derive(Clone, Debug, Serialize)]
pub struct Holder {
    /// The holder's key, or the recipient's key while in transit.
    pub key: String,
    /// The trusted name of that key, if the verifier's trust list has one.
    pub trusted_name: Option<String>,
    /// The name the bundle claims (the event's actor, or the transfer's `to`).
    pub claimed_name: Option<String>,
    /// Whether the bundle is in transit to this key (transferred, not yet received).
    pub in_transit: bool,
}

/// The words `evidence.json` says about the whole bundle.
#[derive(Clone, Debug, Serialize)]
pub struct Claims {
    /// The case.
    pub case: Option<String>,
    /// The organisation.
    pub organization: Option<String>,
    /// Who sealed.
    pub actor: Option<String>,
    /// The note.
    pub note: Option<String>,
    /// When it was sealed (the sealer's clock).
    pub sealed_at: String,
    /// Whether these words are covered by a valid signature: `evidence.json` matched the tag
    /// manifest, and a validly signed event names that tag manifest. When false, they are what a
    /// file that failed its check says, and must not be shown as facts.
    pub checked: bool,
}

/// One payload file as verify checked it.
#[derive(Clone, Debug, Serialize)]
pub struct Recording {
    /// The bag path, `data/originals/...`.
    pub path: String,
    /// The original file name, as `evidence.json` records it.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 as the manifest records it.
    pub sha256: String,
    /// Whether the file's bytes matched the manifest.
    pub intact: bool,
    /// Container and codec, for example `wav / pcm_s16le`.
    pub format: Option<String>,
    /// Duration in seconds, as recorded.
    pub duration_seconds: Option<f64>,
    /// The codes of the findings recorded at seal time.
    pub findings: Vec<String>,
}

/// A receipt checked with `--expect-receipt`.
#[derive(Clone, Debug, Serialize)]
pub struct ReceiptCheck {
    /// The event the receipt names.
    pub event_path: String,
    /// Whether the bundle holds that exact event, signed as the receipt says.
    pub ok: bool,
}

/// What `--deep` found for one recording.
#[derive(Clone, Debug, Serialize)]
pub struct DeepCheck {
    /// The bag path.
    pub path: String,
    /// `same`, `differs`, `decoder_changed`, `not_decoded` (a compressed entry) or `skipped`
    /// (its bytes failed their hash).
    pub result: String,
}

/// Whom the verification trusted.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TrustUsed {
    /// Whether any trusted key was given.
    pub given: bool,
    /// Where the trusted keys came from (`--trust officer.pub`, `allowed_signers line 2`).
    pub sources: Vec<String>,
    /// The subjects of the TSA roots trusted for time-stamps.
    pub tsa_roots: Vec<String>,
}

/// Everything verify found.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The bundle as given.
    pub bundle: String,
    /// The overall result.
    pub verdict: Verdict,
    /// The bag's name (its top-level folder).
    pub bag: Option<String>,
    /// Whom the verification trusted.
    pub trust: TrustUsed,
    /// What `evidence.json` says about the bundle, marked whether it is covered by a signature.
    pub claims: Option<Claims>,
    /// Number of payload files found.
    pub payload_files: u64,
    /// Total payload bytes found.
    pub payload_bytes: u64,
    /// The payload files as `evidence.json` lists them: the first [`super::Options::items_kept`].
    pub recordings: Vec<Recording>,
    /// How many items `evidence.json` lists (more than `recordings` holds when it is cut short).
    pub recordings_total: u64,
    /// The custody events in order.
    pub events: Vec<EventReport>,
    /// Who holds the bundle now.
    pub holder: Option<Holder>,
    /// The receipts checked (`--expect-receipt`).
    pub receipts: Vec<ReceiptCheck>,
    /// What `--deep` decoded again; `None` without `--deep`.
    pub deep: Option<Vec<DeepCheck>>,
    /// Every finding, in the order found.
    pub findings: Vec<Finding>,
    /// The parsed `evidence.json`, when it parsed (whether or not its hash held: see `claims`).
    #[serde(skip)]
    pub evidence: Option<Evidence>,
    /// Each decoded recording's waveform and spectrogram, by bag path (when asked for).
    #[serde(skip)]
    pub pictures: std::collections::BTreeMap<String, crate::probe::analysis::Pictures>,
}

impl Report {
    pub(crate) fn new(bundle: &str, trust: TrustUsed) -> Self {
        Report {
            bundle: bundle.to_string(),
            verdict: Verdict::Failed,
            bag: None,
            trust,
            claims: None,
            payload_files: 0,
            payload_bytes: 0,
            recordings: Vec::new(),
            recordings_total: 0,
            events: Vec::new(),
            holder: None,
            receipts: Vec::new(),
            deep: None,
            findings: Vec::new(),
            evidence: None,
            pictures: Default::default(),
        }
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The number of error findings.
    pub fn error_count(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }

    /// The events whose signer is not trusted (or not for the event's time).
    pub fn untrusted_events(&self) -> impl Iterator<Item = &EventReport> {
        self.events
            .iter()
            .filter(|e| e.trust != SignerTrust::Trusted)
    }

    pub(crate) fn conclude(&mut self) {
        self.verdict = if self.has_errors() {
            Verdict::Failed
        } else if !self.trust.given || self.untrusted_events().next().is_some() {
            Verdict::IntactNotFullyTrusted
        } else {
            Verdict::Verified
        };
    }
}

/// At most this many findings of one code are kept; the rest are counted.
const PER_CODE: usize = 200;

/// Collects findings as the checks run: keeps the first few hundred of each code (a hostile
/// bundle can make millions), and remembers which paths already have an error.
#[derive(Default)]
pub(crate) struct Findings {
    list: Vec<Finding>,
    per_code: BTreeMap<String, usize>,
    errored_paths: HashSet<String>,
    errors: usize,
}

impl Findings {
    pub fn push(&mut self, finding: Finding) {
        if finding.severity == Severity::Error {
            self.errors += 1;
            if let Some(p) = &finding.path {
                self.errored_paths.insert(p.clone());
            }
        }
        let n = self.per_code.entry(finding.code.clone()).or_default();
        *n += 1;
        if *n <= PER_CODE {
            self.list.push(finding);
        }
    }

    pub fn error(&mut self, code: &str, path: impl Into<String>, message: impl Into<String>) {
        self.push(Finding::error(code, path, message));
    }

    pub fn warning(&mut self, code: &str, path: impl Into<String>, message: impl Into<String>) {
        self.push(Finding::warning(code, path, message));
    }

    /// Adds the findings `other` collected, as if each had been pushed here.
    pub fn absorb(&mut self, other: Findings) {
        let listed_errors = other
            .list
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        for f in other.list {
            self.push(f);
        }
        for (c, n) in other.per_code {
            if n > PER_CODE {
                *self.per_code.entry(c).or_default() += n - PER_CODE;
            }
        }
        self.errors += other.errors - listed_errors;
        self.errored_paths.extend(other.errored_paths);
    }

    /// Whether an error was already reported about `path`.
    pub fn has_error_at(&self, path: &str) -> bool {
        self.errored_paths.contains(path)
    }

    /// The findings, with one `findings.truncated` note per code that had more than were kept.
    pub fn into_vec(mut self) -> Vec<Finding> {
        for (c, n) in &self.per_code {
            if *n > PER_CODE {
                self.list.push(Finding::new(
                    code::FINDINGS_TRUNCATED,
                    Severity::Info,
                    format!(
                        "{} more {c} findings were left out of this report ({n} in all)",
                        n - PER_CODE
                    ),
                ));
            }
        }
        self.list
    }
}
