//! Verify: read a bundle back, as hostile input, and collect every finding.
//!
//! `verify(materials, policy)`: the materials are a bundle (a ZIP file, bytes, any reader, or an
//! unzipped folder) and the receipts the verifier kept; the policy is whom they [`Trust`]. The
//! steps follow docs/FORMAT.md §7, one file each: [`read`] (steps 1–3), [`bag`] (4–7),
//! [`evidence`] (8), [`custody`] (9), [`deep`] (10); this file runs them and concludes (11).
//! Nothing in the bundle is trusted until it is checked; trust comes only from keys the verifier
//! supplies.

mod bag;
mod custody;
mod deep;
mod evidence;
mod read;
mod report;
mod streamed;
mod timestamps;

use std::collections::{BTreeMap, HashSet};
use std::io;
use std::path::Path;
use std::time::Duration;

pub use deep::Deep;
pub use read::{EVENT_CAP, RETAINED_CAP, SMALL_CAP, TAG_FILE_CAP};
pub use report::{
    Claims, DeepCheck, EventReport, Holder, ReceiptCheck, Recording, Report, SignerTrust,
    TimestampKind, TimestampReport, TrustUsed, Verdict,
};

use crate::bundle::{self, Opened};
use crate::custody::{Chain, Context, Receipt};
use crate::digest::{Known, Sha256};
use crate::keys::Trust;
use crate::progress::SharedProgress;
use crate::timestamp::Certificate;
use report::Findings;

/// What to check a bundle against, and how.
#[derive(Clone, Debug)]
pub struct Options {
    /// Whom the verifier trusts.
    pub trust: Trust,
    /// `--deep`: decode every recording again and compare with `evidence.json`.
    pub deep: Option<Deep>,
    /// Receipts the verifier kept: the bundle must contain each receipt's event.
    pub expect_receipts: Vec<Receipt>,
    /// Told how many payload bytes there are to hash, and of each chunk hashed.
    pub progress: SharedProgress,
    /// The TSA roots the verifier trusts for time-stamp tokens (none: every sound token is
    /// reported as from a TSA not trusted).
    pub tsa_roots: Vec<Certificate>,
    /// How far an event's claimed time may lie after a TSA's time before it is a warning.
    pub tsa_tolerance: Duration,
    /// How many of `evidence.json`'s items the report keeps ([`Report::recordings`] and
    /// [`Report::evidence`]); every item is checked either way. `--deep` keeps them all.
    pub items_kept: usize,
}

/// The default of [`Options::items_kept`].
pub const DEFAULT_ITEMS_KEPT: usize = 10_000;

/// The default of [`Options::tsa_tolerance`]: 10 minutes.
pub const DEFAULT_TSA_TOLERANCE: Duration = Duration::from_secs(600);

impl Default for Options {
    fn default() -> Self {
        Options {
            trust: Trust::Unpinned,
            deep: None,
            expect_receipts: Vec::new(),
            progress: SharedProgress::none(),
            tsa_roots: Vec::new(),
            tsa_tolerance: DEFAULT_TSA_TOLERANCE,
            items_kept: DEFAULT_ITEMS_KEPT,
        }
    }
}

impl Options {
    /// Checks with `trust` and nothing else.
    pub fn trusting(trust: Trust) -> Self {
        Options {
            trust,
            ..Options::default()
        }
    }
}

/// What a hand-off needs from the verification of the bundle it appends to.
pub(crate) struct Appendable {
    /// The chain after the last event.
    pub chain: Chain,
    /// The bag, its case and its tag manifest.
    pub context: Context,
    /// Key files already in `custody/keys/`.
    pub key_files: HashSet<String>,
    /// What was measured of each payload entry, for checking the rewritten bundle without hashing
    /// it again.
    pub payload_digests: Known,
    /// The SHA-256 of every custody file read, by bag path.
    pub custody_digests: BTreeMap<String, Sha256>,
}

/// Verifies the bundle at `path` (a ZIP file or an unzipped bundle folder).
///
/// # Errors
/// Only when `path` itself cannot be opened. Everything about the bundle's content, including a
/// file that is not a ZIP at all, is a finding in the report.
pub fn verify_path(path: &Path, options: &Options) -> io::Result<Report> {
    Ok(verify_path_with(path, options, None, false)?.0)
}

/// [`verify_path`], also returning what a hand-off needs when `append` asks for it (it holds each
/// payload file's digests, so a plain verify does not collect it). With `known` (digests measured
/// while writing, by bag path), payload entries are not read again: their ZIP CRC-32 and size are
/// compared with these instead, to check a bundle just written.
pub(crate) fn verify_path_with(
    path: &Path,
    options: &Options,
    known: Option<&Known>,
    append: bool,
) -> io::Result<(Report, Option<Appendable>)> {
    let label = crate::text::safe(&path.display().to_string()).into_owned();
    Ok(run(bundle::open(path)?, &label, options, known, append))
}

/// Verifies a bundle ZIP held in memory (`--deep` needs a file, and is skipped).
pub fn verify_bytes(bytes: Vec<u8>, options: &Options) -> Report {
    run(bundle::open_bytes(bytes), "<memory>", options, None, false).0
}

/// Verifies a bundle ZIP of `len` bytes read from `reader` (for example an object in remote
/// storage, read by ranges), named `label` in the report. With `--deep`, each recording is decoded
/// from a temporary copy of its entry (`media.spooled`), since the decode workers read files.
pub fn verify_reader(
    reader: Box<dyn bundle::ReadSeek>,
    len: u64,
    label: &str,
    options: &Options,
) -> Report {
    run(
        bundle::open_reader(reader, len, None),
        label,
        options,
        None,
        false,
    )
    .0
}

fn trust_used(options: &Options) -> TrustUsed {
    let trust = &options.trust;
    let mut sources: Vec<(String, usize)> = Vec::new();
    for key in trust.keys() {
        match sources.iter_mut().find(|(s, _)| *s == key.source) {
            Some((_, n)) => *n += 1,
            None => sources.push((key.source.clone(), 1)),
        }
    }
    TrustUsed {
        given: trust.is_pinned(),
        sources: sources
            .into_iter()
            .map(|(s, n)| match n {
                1 => s,
                n => format!("{s} ({n} keys)"),
            })
            .collect(),
        tsa_roots: options
            .tsa_roots
            .iter()
            .map(|c| c.tbs_certificate().subject().to_string())
            .collect(),
    }
}

fn run(
    opened: Result<Opened, bundle::Problem>,
    label: &str,
    options: &Options,
    known: Option<&Known>,
    append: bool,
) -> (Report, Option<Appendable>) {
    let mut report = Report::new(label, trust_used(options));
    let mut findings = Findings::default();
    let appendable = match opened {
        Ok(opened) => check(opened, options, known, append, &mut report, &mut findings),
        Err(problem) => {
            read::record_problems(vec![problem], &mut findings);
            None
        }
    };
    report.findings = findings.into_vec();
    report.conclude();
    (report, appendable)
}

fn check(
    opened: Opened,
    options: &Options,
    known: Option<&Known>,
    append: bool,
    report: &mut Report,
    findings: &mut Findings,
) -> Option<Appendable> {
    let Opened {
        mut container,
        entries,
        problems,
    } = opened;
    // Step 1: the container's structure.
    read::record_problems(problems, findings);
    // Step 2: the bag.
    let name = read::find_bag(&entries, findings)?;
    report.bag = Some(name.clone());
    // Step 3: every entry, once.
    let bag = read::read_bag(&mut container, &entries, &name, options, known, findings);
    report.payload_files = bag.payload_files;
    report.payload_bytes = bag.payload_bytes;
    // Steps 4, 5 and 8 (`evidence.json`, streamed once against the manifest), then 6 and 7
    // (the tag manifest needs the hash of `evidence.json`, which step 8 measures).
    bag::check_declaration(&bag, findings);
    let read5 = bag::check_payload_manifest(&mut container, &bag, findings);
    let manifest = read5.manifest;
    // --deep compares every item, so it keeps them all; otherwise only the report's share.
    let keep = if options.deep.is_some() {
        usize::MAX
    } else {
        options.items_kept
    };
    let read8 = evidence::check_evidence(&mut container, &bag, manifest.as_ref(), keep, findings);
    let evidence = read8.evidence;
    let tags_matched = bag::check_tag_manifest(
        &bag,
        [
            (crate::evidence::FILE_NAME, read8.sha256),
            (crate::bag::MANIFEST, read5.sha256),
        ],
        findings,
    );
    bag::check_bag_info(&bag, findings);
    // Step 9: custody.
    let tagmanifest = bag.tags.get(crate::bag::TAGMANIFEST).map(|t| t.sha256);
    let custody = custody::check_custody(&bag, tagmanifest, options, findings);
    let intact = |path: &str| manifest.as_ref().is_some_and(|m| m.intact(&bag, path));
    if let Some(ev) = &evidence {
        report.recordings = evidence::recordings(ev, intact);
        report.recordings_total = read8.items_total;
        report.claims = Some(Claims {
            case: ev.case.clone(),
            organization: ev.organization.clone(),
            actor: ev.actor.clone(),
            note: ev.note.clone(),
            sealed_at: ev.sealed_at.clone(),
            checked: custody.signed && tags_matched.contains(crate::evidence::FILE_NAME),
        });
    }
    // Step 10: decode again.
    if let (Some(deep), Some(ev)) = (&options.deep, &evidence) {
        let decoded = deep::check_deep(deep, &mut container, &bag, ev, &intact, findings);
        if deep.compare {
            report.deep = Some(decoded.checks);
        }
        report.pictures = decoded.pictures;
    }
    report.events = custody.events;
    report.holder = custody.holder;
    report.receipts = custody.receipts;
    // Only a hand-off or a time-stamp appends: the payload digests are collected for them alone.
    let appendable = tagmanifest
        .filter(|_| append)
        .map(|tagmanifest_sha256| Appendable {
            chain: custody.chain,
            context: Context {
                bag: name,
                case: evidence.as_ref().and_then(|e| e.case.clone()),
                tagmanifest_sha256,
            },
            key_files: custody.key_files,
            custody_digests: bag
                .custody
                .iter()
                .map(|(name, file)| (name.clone(), file.sha256))
                .collect(),
            payload_digests: bag
                .payload_entries
                .iter()
                .zip(&bag.payload)
                .filter_map(|((path, _), d)| d.map(|d| (*path, d)))
                .collect(),
        });
    report.evidence = evidence;
    appendable
}
