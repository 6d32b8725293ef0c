//! Verify: read a bundle back, as hostile input, and collect every finding.
//!
//! Nothing in the bundle is trusted until it has been checked: entries are streamed into hashers
//! by index, never extracted; JSON is parsed into strict types (unknown fields and duplicate keys
//! refused), and a parsed value counts only when the bytes it came from passed their hash or
//! signature check (otherwise the report fails); trust comes only from keys the verifying user
//! supplies.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{self, Read};
use std::path::Path;

use serde::Serialize;

use crate::bag::{self, BAG_INFO, BAGIT, MANIFEST, TAGMANIFEST};
use crate::bundle::{self, Container, EntryInfo, SMALL_FILE_CAP};
use crate::custody::{self, Event, SSHSIG_NAMESPACE};
use crate::digest::{Digests, HashingReader, Sha256};
use crate::evidence::{self, Evidence};
use crate::finding::{Finding, Severity, code};
use crate::keys::{self, Fingerprint, TrustedKey};

/// What to check a bundle against.
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    /// The keys the verifying user trusts. Empty: signatures are checked, but no signer is trusted.
    pub trust: Vec<TrustedKey>,
    /// Digests already measured for payload entries (by bag path, `data/...`). When given, payload
    /// entries are not read again: their ZIP CRC-32 and size are compared with these instead. Used
    /// by `seal` to check the bundle it has just written.
    pub known_payload: Option<HashMap<String, Digests>>,
    /// `verify --deep`: decode every payload recording again (where, and with how many workers),
    /// and compare with what `evidence.json` records.
    pub deep: Option<(crate::probe::ProbeIn, usize)>,
    /// Receipts the user kept: the bundle must contain each receipt's event.
    pub expect_receipts: Vec<custody::Receipt>,
    /// Told how many payload bytes there are to hash, and of each chunk hashed.
    pub progress: Option<SharedProgress>,
}

/// A [`Progress`](crate::seal::Progress) receiver that options can carry and clone.
#[derive(Clone)]
pub struct SharedProgress(pub std::sync::Arc<dyn crate::seal::Progress + Send>);

impl std::fmt::Debug for SharedProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedProgress")
    }
}

/// The overall result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Something failed: tampering, a malformed bundle, or a signer outside the trusted keys.
    Failed,
    /// Intact and validly signed, but no trusted keys were given, so the signers are not trusted.
    IntactUntrusted,
    /// Intact, validly signed, and every signer is trusted.
    Trusted,
}

/// One custody event as verify saw it.
#[derive(Clone, Debug, Serialize)]
pub struct EventReport {
    /// Sequence number.
    pub seq: u32,
    /// The action.
    pub action: String,
    /// The claimed time.
    pub time: String,
    /// The claimed actor.
    pub actor: Option<String>,
    /// The signer's fingerprint, as named by the event.
    pub key: String,
    /// Whether both signatures verified with the key the event names.
    pub signature_valid: bool,
    /// Whether the signer is among the trusted keys.
    pub trusted: bool,
    /// The trusted key's name, when trusted and named.
    pub trusted_name: Option<String>,
    /// The note.
    pub note: Option<String>,
    /// For a transfer: the recipient and the recipient's key.
    pub to: Option<String>,
    /// For a transfer: the recipient's key fingerprint.
    pub to_key: Option<String>,
}

/// The newest custody event, as needed to append the next one.
#[derive(Clone, Debug)]
pub struct LastEvent {
    /// Its sequence number.
    pub seq: u32,
    /// SHA-256 of its file.
    pub sha256: Sha256,
    /// A transfer not yet received: the recipient's name and key.
    pub pending: Option<(Option<String>, Fingerprint)>,
    /// The key of who holds the evidence: the sealer, or the last receiver.
    pub holder_key: Option<Fingerprint>,
}

/// Everything verify found.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The bundle's path as given.
    pub bundle: String,
    /// The overall result.
    pub verdict: Verdict,
    /// The bag's name (its top-level folder).
    pub bag: Option<String>,
    /// The case, as `evidence.json` states it (the verdict says whether its hash checked out).
    pub case: Option<String>,
    /// Number of payload files found.
    pub payload_files: u64,
    /// Total payload bytes found.
    pub payload_bytes: u64,
    /// Whether the user gave any trusted keys.
    pub trust_given: bool,
    /// The custody events in order.
    pub events: Vec<EventReport>,
    /// Who holds the evidence now, according to the custody chain.
    pub holder: Option<String>,
    /// Every finding, in the order found.
    pub findings: Vec<Finding>,
    /// The parsed `evidence.json`, when it parsed (for `inspect`; its hash may still have failed).
    #[serde(skip)]
    pub evidence: Option<Evidence>,
    /// The newest event: its sequence number, its file's SHA-256, and the transfer it leaves
    /// pending (recipient name and key), for appending the next event.
    #[serde(skip)]
    pub last_event: Option<LastEvent>,
    /// SHA-256 of the tag manifest, for appending an event.
    #[serde(skip)]
    pub tagmanifest_sha256: Option<Sha256>,
    /// Key files already in `custody/keys/`.
    #[serde(skip)]
    pub key_files: HashSet<String>,
    /// What was measured of each payload entry, by bag path, for checking a rewritten bundle
    /// without hashing it again.
    #[serde(skip)]
    pub payload_digests: HashMap<String, Digests>,
}

impl Report {
    fn new(bundle: &Path, trust_given: bool) -> Self {
        Report {
            bundle: bundle.display().to_string(),
            verdict: Verdict::Failed,
            bag: None,
            case: None,
            payload_files: 0,
            payload_bytes: 0,
            trust_given,
            events: Vec::new(),
            holder: None,
            findings: Vec::new(),
            evidence: None,
            last_event: None,
            tagmanifest_sha256: None,
            key_files: HashSet::new(),
            payload_digests: HashMap::new(),
        }
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    fn conclude(mut self) -> Self {
        self.verdict = if self.has_errors() {
            Verdict::Failed
        } else if self.trust_given {
            Verdict::Trusted
        } else {
            Verdict::IntactUntrusted
        };
        self
    }
}

/// One file of the bag, read.
struct Read_ {
    bytes: Vec<u8>,
    sha256: Sha256,
}

/// Verifies the bundle at `path` (a ZIP file or an unzipped bundle folder).
///
/// # Errors
/// Only when `path` itself cannot be opened (exit code 2). Everything about the bundle's content,
/// including a file that is not a ZIP at all, is a finding in the report.
pub fn verify_path(path: &Path, options: &VerifyOptions) -> io::Result<Report> {
    let mut report = Report::new(path, !options.trust.is_empty());
    let opened = match bundle::open(path)? {
        Ok(o) => o,
        Err(finding) => {
            report.findings.push(finding);
            return Ok(report.conclude());
        }
    };
    Ok(verify_opened(opened, path, options, report))
}

/// Verifies a bundle ZIP held in memory. `--deep` is not available here (the decoders read
/// from files); everything else is checked as for a file.
pub fn verify_bytes(bytes: Vec<u8>, options: &VerifyOptions) -> Report {
    let mut report = Report::new(Path::new("<memory>"), !options.trust.is_empty());
    match bundle::open_bytes(bytes) {
        Ok(opened) => {
            let options = VerifyOptions {
                deep: None,
                ..options.clone()
            };
            verify_opened(opened, Path::new("<memory>"), &options, report)
        }
        Err(finding) => {
            report.findings.push(finding);
            report.conclude()
        }
    }
}

fn verify_opened(
    opened: bundle::Opened,
    path: &Path,
    options: &VerifyOptions,
    mut report: Report,
) -> Report {
    let bundle::Opened {
        mut container,
        entries,
        findings,
    } = opened;
    report.findings.extend(findings);
    let payload = check(&mut container, &entries, options, &mut report);
    if let Some((probe_in, parallel)) = &options.deep {
        deep_check(
            path,
            &container,
            &entries,
            &payload,
            probe_in,
            *parallel,
            &mut report,
        );
    }
    report.conclude()
}

fn err(report: &mut Report, code: &str, path: impl Into<String>, message: impl Into<String>) {
    report.findings.push(Finding::error(code, path, message));
}

/// Runs every check except the deep one; returns the payload files whose hash matched the
/// manifest (by bag path).
fn check(
    container: &mut Container,
    entries: &[EntryInfo],
    options: &VerifyOptions,
    report: &mut Report,
) -> HashSet<String> {
    // --- layout: exactly one top-level folder -----------------------------------------------
    let mut tops: BTreeMap<&str, usize> = BTreeMap::new();
    for e in entries {
        match e.name.split_once('/') {
            Some((top, _)) => *tops.entry(top).or_default() += 1,
            None => err(
                report,
                code::BUNDLE_LAYOUT,
                bundle::printable(&e.name),
                "a file at the top level; a bundle holds exactly one folder",
            ),
        }
    }
    let Some((&bag_name, _)) = tops.iter().max_by_key(|(_, n)| **n) else {
        err(report, code::BUNDLE_LAYOUT, "", "the bundle holds no files");
        return HashSet::new();
    };
    if tops.len() > 1 {
        for top in tops.keys().filter(|t| **t != bag_name) {
            err(
                report,
                code::BUNDLE_LAYOUT,
                bundle::printable(top),
                format!(
                    "a second top-level folder beside {bag_name:?}; a bundle holds exactly one"
                ),
            );
        }
    }
    let bag_name = bag_name.to_string();
    report.bag = Some(bag_name.clone());
    let prefix = format!("{bag_name}/");

    // --- read every entry once ---------------------------------------------------------------
    if let Some(p) = &options.progress {
        let payload_bytes = entries
            .iter()
            .filter(|e| {
                e.name
                    .strip_prefix(&prefix)
                    .is_some_and(|r| r.starts_with("data/"))
            })
            .map(|e| e.size)
            .sum();
        p.0.start(payload_bytes, entries.len());
        p.0.stage("verifying");
    }
    let mut tags: BTreeMap<String, Read_> = BTreeMap::new();
    let mut custody_files: BTreeMap<String, Read_> = BTreeMap::new();
    let mut payload: BTreeMap<String, Sha256> = BTreeMap::new();
    let mut payload_sizes: HashMap<String, u64> = HashMap::new();
    for e in entries {
        let Some(rel) = e.name.strip_prefix(&prefix) else {
            continue;
        };
        let shown = bundle::printable(rel);
        if rel.starts_with("data/") {
            if let Some(p) = &options.progress {
                p.0.file(rel);
            }
            report.payload_files += 1;
            report.payload_bytes += e.size;
            if let Some(sha) = payload_digest(container, e, rel, options, report) {
                payload.insert(rel.to_string(), sha);
                payload_sizes.insert(rel.to_string(), e.size);
            }
            continue;
        }
        let bytes = match container.read_small(e, SMALL_FILE_CAP) {
            Ok(b) => b,
            Err(error) => {
                let code = if error.kind() == io::ErrorKind::InvalidData
                    && error.to_string().contains("checksum")
                {
                    code::BUNDLE_ENTRY_CRC
                } else if error.kind() == io::ErrorKind::InvalidData {
                    code::BUNDLE_ENTRY_OVERSIZE
                } else {
                    code::BUNDLE_ENTRY_UNREADABLE
                };
                err(report, code, shown, format!("cannot be read: {error}"));
                continue;
            }
        };
        let read = Read_ {
            sha256: Sha256::of(&bytes),
            bytes,
        };
        if rel.starts_with("custody/") {
            custody_files.insert(rel.to_string(), read);
        } else {
            tags.insert(rel.to_string(), read);
        }
    }

    check_declaration(&tags, report);
    let manifest = check_payload(&tags, &payload, report);
    check_tag_manifest(&tags, report);
    check_bag_info(&tags, report);
    check_evidence(&tags, manifest.as_ref(), &payload_sizes, report);
    let tagmanifest_sha = tags.get(TAGMANIFEST).map(|t| t.sha256);
    report.tagmanifest_sha256 = tagmanifest_sha;
    check_custody(&custody_files, tagmanifest_sha, options, report);
    let mut intact = HashSet::new();
    if let Some(manifest) = manifest {
        for (path, want) in manifest {
            if payload.get(&path) == Some(&want) {
                intact.insert(path);
            }
        }
    }
    intact
}

/// Decodes every intact payload recording again and compares with `evidence.json`.
fn deep_check(
    bundle: &Path,
    container: &Container,
    entries: &[EntryInfo],
    intact: &HashSet<String>,
    probe_in: &crate::probe::ProbeIn,
    parallel: usize,
    report: &mut Report,
) {
    use crate::probe::worker::Job;
    let Some(evidence) = report.evidence.clone() else {
        return;
    };
    let Some(bag) = report.bag.clone() else {
        return;
    };
    let mut jobs = Vec::new();
    let mut items = Vec::new();
    for item in &evidence.items {
        if !intact.contains(&item.path) {
            continue; // Already failing: its bytes are not what was sealed.
        }
        let name = format!("{bag}/{}", item.path);
        let Some(entry) = entries.iter().find(|e| e.name == name) else {
            continue;
        };
        match container.input_for(bundle, entry) {
            Some(input) => {
                jobs.push(Job {
                    input,
                    label: item.path.clone(),
                    size: entry.size,
                });
                items.push(item);
            }
            None => report.findings.push(Finding::warning(
                code::MEDIA_UNCHECKED,
                bundle::printable(&item.path),
                "the entry is compressed, so it was not decoded again; unzip the bundle and verify the folder with --deep",
            )),
        }
    }
    let never = std::sync::atomic::AtomicBool::new(false);
    let results = probe_in.run(&jobs, crate::probe::Depth::Decode, parallel, &never);
    for (item, probed) in items.into_iter().zip(results) {
        compare_media(item, &probed, report);
    }
}

fn compare_media(item: &evidence::Item, probed: &crate::probe::Probed, report: &mut Report) {
    let shown = bundle::printable(&item.path);
    let (recorded, now) = match (&item.media, &probed.media) {
        (None, None) => return,
        (Some(r), Some(n)) => (r, n),
        (r, _) => {
            let what = if r.is_some() {
                "nothing can be read now"
            } else {
                "media can be read now"
            };
            err(
                report,
                code::MEDIA_MISMATCH,
                shown,
                format!("evidence.json and a fresh decode disagree: {what}"),
            );
            return;
        }
    };
    let mut differ: Vec<String> = Vec::new();
    macro_rules! compare {
        ($($field:ident),*) => {$(
            if recorded.$field != now.$field {
                differ.push(format!("{} {:?} -> {:?}", stringify!($field), recorded.$field, now.$field));
            }
        )*};
    }
    compare!(
        container,
        codec,
        sample_rate,
        channels,
        bits_per_sample,
        declared_frames,
        decoded_frames,
        embedded_checksum,
        pcm_format,
        pcm_sha256
    );
    if differ.is_empty() {
        return;
    }
    let list = differ.join("; ");
    // The payload's bytes passed their hash, so a difference here is the decoder's, not the
    // file's. Integer (lossless) output is exact and must reproduce; float output from lossy
    // decoders may differ in the last bits with the decoder version or the CPU's vector units.
    let lossy = now.pcm_format.as_deref() == Some(crate::probe::PCM_FORMAT_FLOAT)
        && !now.codec.as_deref().is_some_and(|c| c.starts_with("pcm_"));
    let only_float_pcm = lossy && differ.len() == 1 && differ[0].starts_with("pcm_sha256");
    if recorded.decoder != now.decoder || only_float_pcm {
        report.findings.push(Finding::warning(
            code::MEDIA_DECODER_CHANGED,
            shown,
            format!(
                "a fresh decode differs ({list}); it used {} where the seal used {}. The file's bytes are intact, but a lossy decoder's output can change with its version or the CPU, so compare by hand",
                now.decoder.as_deref().unwrap_or("no decoder"),
                recorded.decoder.as_deref().unwrap_or("no decoder"),
            ),
        ));
    } else {
        err(
            report,
            code::MEDIA_MISMATCH,
            shown,
            format!("a fresh decode with the same decoder disagrees with evidence.json: {list}"),
        );
    }
}

/// Hashes one payload entry (or, with known digests, checks its CRC and size) and returns its
/// SHA-256 if its bytes could all be read.
fn payload_digest(
    container: &mut Container,
    e: &EntryInfo,
    rel: &str,
    options: &VerifyOptions,
    report: &mut Report,
) -> Option<Sha256> {
    let shown = bundle::printable(rel);
    if let Some(known) = &options.known_payload {
        let Some(d) = known.get(rel) else {
            err(
                report,
                code::PAYLOAD_UNLISTED,
                shown,
                "written to the bundle but never hashed",
            );
            return None;
        };
        if e.size != d.len || e.crc32.is_some_and(|crc| crc != d.crc32) {
            err(
                report,
                code::BUNDLE_ENTRY_CRC,
                shown,
                "the ZIP records another size or CRC-32 than the bytes that were hashed",
            );
        }
        return Some(d.sha256);
    }
    let reader = match container.open_entry(e) {
        Ok(r) => r,
        Err(error) => {
            err(
                report,
                code::BUNDLE_ENTRY_UNREADABLE,
                shown,
                format!("cannot be read: {error}"),
            );
            return None;
        }
    };
    let mut hashing = HashingReader::new(reader);
    let failure = crate::digest::with_copy_buffer(|buf| {
        loop {
            match hashing.read(buf) {
                Ok(0) => break None,
                Ok(n) => {
                    if let Some(p) = &options.progress {
                        p.0.advance(n as u64);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Some(e),
            }
        }
    });
    let digests = hashing.finish();
    if failure.is_none()
        && let Some(crc) = e.crc32
    {
        report.payload_digests.insert(
            rel.to_string(),
            Digests {
                crc32: crc,
                ..digests
            },
        );
    }
    match failure {
        None => Some(digests.sha256),
        // The CRC is checked at the end of the entry, after every byte went through the hasher,
        // so the digest is complete and the manifest comparison still says what changed.
        Some(error) if error.to_string().contains("checksum") => {
            err(
                report,
                code::BUNDLE_ENTRY_CRC,
                shown,
                "the bytes do not match the entry's ZIP CRC-32: the entry was altered or damaged",
            );
            Some(digests.sha256)
        }
        Some(error) if error.kind() == io::ErrorKind::InvalidData => {
            err(
                report,
                code::BUNDLE_ENTRY_OVERSIZE,
                shown,
                format!("{error}"),
            );
            None
        }
        Some(error) => {
            err(
                report,
                code::BUNDLE_ENTRY_UNREADABLE,
                shown,
                format!("cannot be read: {error}"),
            );
            None
        }
    }
}

fn text<'a>(
    tags: &'a BTreeMap<String, Read_>,
    name: &str,
    report: &mut Report,
    code: &str,
) -> Option<&'a str> {
    let Some(t) = tags.get(name) else {
        err(report, code, name, format!("{name} is missing"));
        return None;
    };
    match std::str::from_utf8(&t.bytes) {
        Ok(s) => Some(s),
        Err(_) => {
            err(report, code, name, format!("{name} is not UTF-8"));
            None
        }
    }
}

fn check_declaration(tags: &BTreeMap<String, Read_>, report: &mut Report) {
    let Some(decl) = text(tags, BAGIT, report, code::BAG_DECLARATION_INVALID) else {
        return;
    };
    if decl != bag::BAGIT_TXT {
        err(
            report,
            code::BAG_DECLARATION_INVALID,
            BAGIT,
            "bagit.txt is not the BagIt 1.0 UTF-8 declaration",
        );
    }
}

fn check_payload(
    tags: &BTreeMap<String, Read_>,
    payload: &BTreeMap<String, Sha256>,
    report: &mut Report,
) -> Option<Vec<(String, Sha256)>> {
    let text = text(tags, MANIFEST, report, code::MANIFEST_INVALID)?;
    let manifest = match bag::parse_manifest(text) {
        Ok(m) => m,
        Err(e) => {
            err(
                report,
                code::MANIFEST_INVALID,
                MANIFEST,
                format!("{MANIFEST} is malformed: {e}"),
            );
            return None;
        }
    };
    let mut listed = HashSet::new();
    for (path, expected) in &manifest {
        listed.insert(path.as_str());
        let shown = bundle::printable(path);
        if !path.starts_with("data/") {
            err(
                report,
                code::MANIFEST_INVALID,
                shown,
                "the manifest lists a file outside data/",
            );
            continue;
        }
        match payload.get(path) {
            Some(actual) if actual == expected => {}
            Some(actual) => err(
                report,
                code::PAYLOAD_HASH_MISMATCH,
                shown,
                format!(
                    "SHA-256 is {actual}, but the manifest says {expected}: the file was changed"
                ),
            ),
            None => {
                // It may exist but have been unreadable; that has its own finding already.
                if !report
                    .findings
                    .iter()
                    .any(|f| f.path.as_deref() == Some(&shown))
                {
                    err(
                        report,
                        code::PAYLOAD_MISSING,
                        shown,
                        "listed in the manifest, but not in the bundle",
                    );
                }
            }
        }
    }
    for path in payload.keys() {
        if !listed.contains(path.as_str()) {
            err(
                report,
                code::PAYLOAD_UNLISTED,
                bundle::printable(path),
                "in the bundle's data/ folder, but not listed in the manifest",
            );
        }
    }
    Some(manifest)
}

/// Tag files that must be covered by the tag manifest.
const REQUIRED_TAGS: [&str; 4] = [BAGIT, BAG_INFO, MANIFEST, evidence::FILE_NAME];

fn check_tag_manifest(tags: &BTreeMap<String, Read_>, report: &mut Report) {
    let Some(text) = text(tags, TAGMANIFEST, report, code::MANIFEST_INVALID) else {
        return;
    };
    let listed = match bag::parse_manifest(text) {
        Ok(m) => m,
        Err(e) => {
            err(
                report,
                code::MANIFEST_INVALID,
                TAGMANIFEST,
                format!("{TAGMANIFEST} is malformed: {e}"),
            );
            return;
        }
    };
    let mut covered = HashSet::new();
    for (path, expected) in &listed {
        let shown = bundle::printable(path);
        if path.starts_with("data/") || path.starts_with("custody/") || path == TAGMANIFEST {
            err(
                report,
                code::MANIFEST_INVALID,
                shown,
                "the tag manifest may list only tag files outside data/ and custody/",
            );
            continue;
        }
        covered.insert(path.as_str());
        match tags.get(path) {
            Some(t) if &t.sha256 == expected => {}
            Some(t) => err(
                report,
                code::TAG_HASH_MISMATCH,
                shown,
                format!(
                    "SHA-256 is {}, but the tag manifest says {expected}: the file was changed",
                    t.sha256
                ),
            ),
            None => err(
                report,
                code::TAG_MISSING,
                shown,
                "listed in the tag manifest, but not in the bundle",
            ),
        }
    }
    for required in REQUIRED_TAGS {
        if tags.contains_key(required) && !covered.contains(required) {
            err(
                report,
                code::TAG_UNLISTED,
                required,
                format!("{required} must be covered by the tag manifest, and is not"),
            );
        }
    }
    for name in tags.keys() {
        if name != TAGMANIFEST
            && !covered.contains(name.as_str())
            && !REQUIRED_TAGS.contains(&name.as_str())
        {
            err(
                report,
                code::BUNDLE_ENTRY_UNEXPECTED,
                bundle::printable(name),
                "a file outside data/ and custody/ that the tag manifest does not list",
            );
        }
    }
}

fn check_bag_info(tags: &BTreeMap<String, Read_>, report: &mut Report) {
    let Some(text) = text(tags, BAG_INFO, report, code::BAG_INFO_INVALID) else {
        return;
    };
    let fields = match bag::parse_bag_info(text) {
        Ok(f) => f,
        Err(e) => {
            err(
                report,
                code::BAG_INFO_INVALID,
                BAG_INFO,
                format!("{BAG_INFO} is malformed: {e}"),
            );
            return;
        }
    };
    let oxum: Vec<&str> = fields
        .iter()
        .filter(|(k, _)| k == "Payload-Oxum")
        .map(|(_, v)| v.as_str())
        .collect();
    match oxum.as_slice() {
        [one] => match bag::parse_oxum(one) {
            Some((bytes, files))
                if bytes == report.payload_bytes && files == report.payload_files => {}
            Some((bytes, files)) => err(
                report,
                code::BAG_OXUM_MISMATCH,
                BAG_INFO,
                format!(
                    "Payload-Oxum says {bytes} bytes in {files} files; the bundle holds {} bytes in {} files",
                    report.payload_bytes, report.payload_files
                ),
            ),
            None => err(
                report,
                code::BAG_INFO_INVALID,
                BAG_INFO,
                format!("Payload-Oxum {one:?} is malformed"),
            ),
        },
        _ => err(
            report,
            code::BAG_INFO_INVALID,
            BAG_INFO,
            "bag-info.txt must have exactly one Payload-Oxum",
        ),
    }
}

fn check_evidence(
    tags: &BTreeMap<String, Read_>,
    manifest: Option<&Vec<(String, Sha256)>>,
    sizes: &HashMap<String, u64>,
    report: &mut Report,
) {
    let Some(file) = tags.get(evidence::FILE_NAME) else {
        err(
            report,
            code::EVIDENCE_INVALID,
            evidence::FILE_NAME,
            "evidence.json is missing",
        );
        return;
    };
    let ev = match Evidence::parse(&file.bytes) {
        Ok(ev) => ev,
        Err(e) => {
            err(
                report,
                code::EVIDENCE_INVALID,
                evidence::FILE_NAME,
                e.to_string(),
            );
            return;
        }
    };
    report.case = ev.case.clone();
    // Keep the parsed manifest in the report (for inspect) without copying it: check against a
    // scratch report, then fold its findings in.
    let mut found = Report::new(Path::new(""), false);
    compare_evidence(&ev, manifest, sizes, &mut found);
    report.findings.append(&mut found.findings);
    report.evidence = Some(ev);
}

fn compare_evidence(
    ev: &Evidence,
    manifest: Option<&Vec<(String, Sha256)>>,
    sizes: &HashMap<String, u64>,
    report: &mut Report,
) {
    let Some(manifest) = manifest else { return };
    let listed: HashMap<&str, &Sha256> = manifest.iter().map(|(p, d)| (p.as_str(), d)).collect();
    let mut seen = HashSet::new();
    for item in &ev.items {
        let shown = bundle::printable(&item.path);
        if !seen.insert(item.path.as_str()) {
            err(
                report,
                code::EVIDENCE_MISMATCH,
                shown,
                "evidence.json lists this file twice",
            );
            continue;
        }
        if sizes.get(&item.path).is_some_and(|size| *size != item.size) {
            err(
                report,
                code::EVIDENCE_MISMATCH,
                shown.clone(),
                "evidence.json records another size than the file has",
            );
        }
        match listed.get(item.path.as_str()) {
            Some(d) if **d == item.sha256 => {}
            Some(_) => err(
                report,
                code::EVIDENCE_MISMATCH,
                shown,
                "evidence.json and the manifest disagree about this file's SHA-256",
            ),
            None => err(
                report,
                code::EVIDENCE_MISMATCH,
                shown,
                "in evidence.json, but not in the manifest",
            ),
        }
    }
    for (path, _) in manifest {
        if !seen.contains(path.as_str()) {
            err(
                report,
                code::EVIDENCE_MISMATCH,
                bundle::printable(path),
                "in the manifest, but not in evidence.json",
            );
        }
    }
}

fn check_custody(
    files: &BTreeMap<String, Read_>,
    tagmanifest_sha: Option<Sha256>,
    options: &VerifyOptions,
    report: &mut Report,
) {
    // Sort the custody folder into events, signatures and keys; anything else is unexpected.
    let mut events: BTreeMap<u32, Vec<(&str, &str)>> = BTreeMap::new();
    let mut key_files: BTreeSet<&str> = BTreeSet::new();
    let mut sig_files: BTreeSet<&str> = BTreeSet::new();
    for name in files.keys() {
        let rel = &name["custody/".len()..];
        if let Some(key) = rel.strip_prefix("keys/") {
            let stem = key
                .strip_suffix(".pem")
                .or_else(|| key.strip_suffix(".pub"));
            if stem.is_some_and(|s| {
                s.len() == 64
                    && s.bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            }) {
                key_files.insert(name.as_str());
                continue;
            }
        } else if let Some((seq, action)) = custody::parse_event_file_name(rel) {
            events.entry(seq).or_default().push((name.as_str(), action));
            continue;
        } else if let Some(event) = rel
            .strip_suffix(".sig")
            .or_else(|| rel.strip_suffix(".sshsig"))
            && custody::parse_event_file_name(event).is_some()
        {
            sig_files.insert(name.as_str());
            continue;
        }
        err(
            report,
            code::CUSTODY_ENTRY_UNEXPECTED,
            bundle::printable(name),
            "not part of the custody layout (events, their signatures, and signers' keys)",
        );
    }
    if events.is_empty() {
        err(
            report,
            code::CUSTODY_MISSING,
            "custody/",
            "the bundle has no custody events, so nothing is signed",
        );
        return;
    }

    let mut used_keys: HashSet<String> = HashSet::new();
    let mut used_sigs: HashSet<String> = HashSet::new();
    let mut prev: Option<Sha256> = None;
    let mut expected_seq = 1u32;
    let mut signers: Vec<Fingerprint> = Vec::new();
    let mut hand = Hand::default();
    for name in key_files.iter() {
        report.key_files.insert(name.to_string());
    }
    for (&seq, names) in &events {
        if names.len() > 1 {
            for (name, _) in names {
                err(
                    report,
                    code::CUSTODY_CHAIN_BROKEN,
                    *name,
                    format!("more than one event has sequence number {seq}"),
                );
            }
        }
        if seq != expected_seq {
            err(
                report,
                code::CUSTODY_CHAIN_BROKEN,
                names[0].0,
                format!(
                    "expected event {expected_seq} next, found {seq}: an event is missing or misnumbered"
                ),
            );
        }
        expected_seq = seq.saturating_add(1);
        for (name, action) in names {
            let file = &files[*name];
            let this_sha = file.sha256;
            let outcome = check_event(
                name,
                action,
                seq,
                file,
                prev,
                tagmanifest_sha,
                files,
                report,
            );
            used_sigs.insert(format!("{name}.sig"));
            used_sigs.insert(format!("{name}.sshsig"));
            if let Some((event, fp, signature_valid)) = outcome {
                used_keys.insert(format!("custody/keys/{}.pem", fp.to_hex()));
                used_keys.insert(format!("custody/keys/{}.pub", fp.to_hex()));
                let trusted_key = options.trust.iter().find(|t| t.fingerprint == fp);
                if !options.trust.is_empty() && trusted_key.is_none() {
                    err(
                        report,
                        code::SIGNER_UNTRUSTED,
                        *name,
                        format!("signed by {fp}, which is not among the trusted keys"),
                    );
                }
                if !signers.contains(&fp) {
                    signers.push(fp);
                }
                let trusted_name = trusted_key.and_then(|t| t.name.clone());
                hand.follow(name, &event, fp, trusted_name.as_deref(), report);
                report.events.push(EventReport {
                    seq: event.seq,
                    action: event.action.clone(),
                    time: event.time.clone(),
                    actor: event.actor.clone(),
                    key: fp.to_string(),
                    signature_valid,
                    trusted: trusted_key.is_some() && signature_valid,
                    trusted_name,
                    note: event.note.clone(),
                    to: event.to.clone(),
                    to_key: event.to_key.clone(),
                });
            }
            prev = Some(this_sha);
            report.last_event = Some(LastEvent {
                seq,
                sha256: this_sha,
                pending: hand.pending.clone(),
                holder_key: hand.holder_key,
            });
        }
    }
    report.holder = hand.holder.clone();
    check_receipts(files, options, report);
    for name in key_files {
        if !used_keys.contains(name) {
            err(
                report,
                code::CUSTODY_ENTRY_UNEXPECTED,
                name,
                "a key that no event names",
            );
        }
    }
    for name in sig_files {
        if !used_sigs.contains(name) {
            err(
                report,
                code::CUSTODY_ENTRY_UNEXPECTED,
                name,
                "a signature with no event",
            );
        }
    }
    if options.trust.is_empty() && !signers.is_empty() {
        let list: Vec<String> = signers.iter().map(|f| f.to_string()).collect();
        report.findings.push(Finding::new(
            code::SIGNER_UNPINNED,
            Severity::Warning,
            format!(
                "the signatures are valid, but no trusted key was given, so the signer is not trusted. \
                 Compare the fingerprint with the signer out of band, then pass --trust: {}",
                list.join(", ")
            ),
        ));
    }
}

/// Follows the evidence from hand to hand along the chain.
#[derive(Default)]
struct Hand {
    /// Who holds it now.
    holder: Option<String>,
    /// The holder's key: the sealer's, then each receiver's.
    holder_key: Option<Fingerprint>,
    /// A transfer not yet received: the recipient's name and key.
    pending: Option<(Option<String>, Fingerprint)>,
    /// The previous event's time.
    last_time: Option<jiff::Timestamp>,
}

impl Hand {
    fn follow(
        &mut self,
        name: &str,
        event: &Event,
        signer: Fingerprint,
        trusted: Option<&str>,
        report: &mut Report,
    ) {
        let who = |actor: &Option<String>, fp: Fingerprint| match (trusted, actor) {
            (Some(t), _) => format!("{t} ({fp})"),
            (None, Some(a)) => format!("{a} ({fp}, as the event claims)"),
            (None, None) => fp.to_string(),
        };
        match event.time.parse::<jiff::Timestamp>() {
            Ok(t) => {
                if let Some(last) = self.last_time
                    && t < last
                {
                    report.findings.push(Finding::warning(
                        code::CUSTODY_TIME_BACKWARDS,
                        name,
                        format!("the event's time {} is earlier than the previous event's {last}: one of the signers' clocks is wrong, or the order is", event.time),
                    ));
                }
                self.last_time = Some(t);
            }
            Err(_) => err(
                report,
                code::CUSTODY_EVENT_INVALID,
                name,
                format!("time {:?} is not RFC 3339", event.time),
            ),
        }
        match event.action.as_str() {
            custody::action::SEALED | custody::action::NOTED => {
                if event.action == custody::action::SEALED {
                    self.holder = Some(who(&event.actor, signer));
                    self.holder_key = Some(signer);
                }
            }
            custody::action::TRANSFERRED => {
                if self.pending.is_none()
                    && let Some(holder) = self.holder_key
                    && holder != signer
                {
                    err(
                        report,
                        code::CUSTODY_HOLDER_UNEXPECTED,
                        name,
                        format!(
                            "a transfer signed by {signer}, but the evidence is held by {holder}: only the holder can hand it on"
                        ),
                    );
                }
                match event.to_key.as_deref().map(str::parse::<Fingerprint>) {
                    Some(Ok(to)) => {
                        if let Some((_, waiting)) = &self.pending {
                            err(
                                report,
                                code::CUSTODY_CHAIN_BROKEN,
                                name,
                                format!(
                                    "a second transfer while the transfer to {waiting} was never received"
                                ),
                            );
                        }
                        self.holder = Some(format!(
                            "in transit to {} ({to})",
                            event.to.as_deref().unwrap_or("an unnamed recipient")
                        ));
                        self.pending = Some((event.to.clone(), to));
                    }
                    _ => err(
                        report,
                        code::CUSTODY_EVENT_INVALID,
                        name,
                        "a transfer must name the recipient's key fingerprint in to_key",
                    ),
                }
            }
            custody::action::RECEIVED => {
                match self.pending.take() {
                    Some((_, expected)) if expected == signer => {}
                    Some((to, expected)) => err(
                        report,
                        code::CUSTODY_RECEIVER_UNEXPECTED,
                        name,
                        format!(
                            "received by {signer}, but the transfer named {} ({expected})",
                            to.as_deref().unwrap_or("another recipient")
                        ),
                    ),
                    None => err(
                        report,
                        code::CUSTODY_RECEIVER_UNEXPECTED,
                        name,
                        "a receive that no transfer announced",
                    ),
                }
                if event.payload_rehashed != Some(true) {
                    err(
                        report,
                        code::CUSTODY_EVENT_INVALID,
                        name,
                        "a receive must record payload_rehashed: true",
                    );
                }
                self.holder = Some(who(&event.actor, signer));
                self.holder_key = Some(signer);
            }
            other => err(
                report,
                code::CUSTODY_EVENT_INVALID,
                name,
                format!("unknown action {other:?}"),
            ),
        }
    }
}

/// Each kept receipt's event must be in the bundle, byte for byte.
fn check_receipts(files: &BTreeMap<String, Read_>, options: &VerifyOptions, report: &mut Report) {
    for receipt in &options.expect_receipts {
        if report.bag.as_deref() != Some(receipt.bag.as_str()) {
            err(
                report,
                code::CUSTODY_RECEIPT_INVALID,
                receipt.event_path.clone(),
                format!("the receipt is for bag {:?}, not this one", receipt.bag),
            );
            continue;
        }
        if Sha256::of(receipt.event.as_bytes()) != receipt.event_sha256 {
            err(
                report,
                code::CUSTODY_RECEIPT_INVALID,
                receipt.event_path.clone(),
                "the receipt's event text does not match its own event_sha256: the receipt is damaged",
            );
            continue;
        }
        match files.get(&receipt.event_path) {
            Some(f) if f.sha256 == receipt.event_sha256 => {}
            Some(_) => err(
                report,
                code::CUSTODY_RECEIPT_MISSING,
                receipt.event_path.clone(),
                "the bundle holds another event at this place than the receipt: the chain was cut and rewritten",
            ),
            None => err(
                report,
                code::CUSTODY_RECEIPT_MISSING,
                receipt.event_path.clone(),
                "the receipt's event is not in the bundle: events were removed after it was received",
            ),
        }
    }
}

/// Checks one event file; returns the parsed event, its signer, and whether both signatures
/// verified, once the event could be parsed and its key found.
#[allow(clippy::too_many_arguments)]
fn check_event(
    name: &str,
    action: &str,
    seq: u32,
    file: &Read_,
    prev: Option<Sha256>,
    tagmanifest_sha: Option<Sha256>,
    files: &BTreeMap<String, Read_>,
    report: &mut Report,
) -> Option<(Event, Fingerprint, bool)> {
    let event = match Event::parse(&file.bytes) {
        Ok(e) => e,
        Err(e) => {
            err(report, code::CUSTODY_EVENT_INVALID, name, e.to_string());
            return None;
        }
    };
    if event.seq != seq || event.action != action {
        err(
            report,
            code::CUSTODY_CHAIN_BROKEN,
            name,
            format!(
                "the file name says event {seq} ({action}), the event says {} ({}): events were renamed or reordered",
                event.seq, event.action
            ),
        );
    }
    if (seq == 1) != (event.action == "sealed") {
        err(
            report,
            code::CUSTODY_CHAIN_BROKEN,
            name,
            "the first event, and only the first, must be `sealed`",
        );
    }
    if event.prev_event_sha256 != prev {
        err(
            report,
            code::CUSTODY_CHAIN_BROKEN,
            name,
            match prev {
                None => "the first event must not name a previous event".to_string(),
                Some(p) => {
                    format!("prev_event_sha256 does not match the previous event's SHA-256 ({p})")
                }
            },
        );
    }
    if Some(event.tagmanifest_sha256) != tagmanifest_sha {
        err(
            report,
            code::CUSTODY_TAGMANIFEST_MISMATCH,
            name,
            "the event was signed for another tag manifest: it belongs to another bundle, or the bag was changed",
        );
    }
    let fp: Fingerprint = match event.key.parse() {
        Ok(fp) => fp,
        Err(e) => {
            err(report, code::CUSTODY_EVENT_INVALID, name, e.to_string());
            return None;
        }
    };
    let pem_name = format!("custody/keys/{}.pem", fp.to_hex());
    let Some(pem) = files.get(&pem_name) else {
        err(
            report,
            code::CUSTODY_KEY_MISSING,
            name,
            format!("the signer's key {pem_name} is missing"),
        );
        return Some((event, fp, false));
    };
    let key = match std::str::from_utf8(&pem.bytes)
        .map_err(|_| "not UTF-8".to_string())
        .and_then(keys::parse_public_pem)
    {
        Ok(k) => k,
        Err(e) => {
            err(report, code::CUSTODY_KEY_INVALID, pem_name, e);
            return Some((event, fp, false));
        }
    };
    if keys::Fingerprint::of(&key) != fp {
        err(
            report,
            code::CUSTODY_KEY_INVALID,
            pem_name,
            "the key does not have the fingerprint it is named for",
        );
        return Some((event, fp, false));
    }
    let pub_name = format!("custody/keys/{}.pub", fp.to_hex());
    if let Some(line) = files.get(&pub_name) {
        let same = std::str::from_utf8(&line.bytes)
            .ok()
            .and_then(|l| keys::parse_public_openssh(l).ok())
            .is_some_and(|(k, _)| k == key);
        if !same {
            err(
                report,
                code::CUSTODY_KEY_INVALID,
                pub_name,
                "the OpenSSH key differs from the PEM key",
            );
        }
    }
    let mut valid = true;
    match files.get(&format!("{name}.sig")) {
        None => {
            valid = false;
            err(
                report,
                code::CUSTODY_SIGNATURE_MISSING,
                name,
                "the event's raw signature (.sig) is missing",
            );
        }
        Some(sig) => {
            if let Err(e) = keys::verify_raw(&key, &file.bytes, &sig.bytes) {
                valid = false;
                err(
                    report,
                    code::CUSTODY_SIGNATURE_INVALID,
                    format!("{name}.sig"),
                    e,
                );
            }
        }
    }
    match files.get(&format!("{name}.sshsig")) {
        None => {
            valid = false;
            err(
                report,
                code::CUSTODY_SSHSIG_INVALID,
                name,
                "the event's SSHSIG (.sshsig) is missing",
            );
        }
        Some(sig) => {
            if let Err(e) = keys::verify_sshsig(&key, SSHSIG_NAMESPACE, &file.bytes, &sig.bytes) {
                valid = false;
                err(
                    report,
                    code::CUSTODY_SSHSIG_INVALID,
                    format!("{name}.sshsig"),
                    e,
                );
            }
        }
    }
    Some((event, fp, valid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Item, Media, Original};
    use crate::probe::Probed;

    fn item(media: Media) -> Item {
        Item {
            path: "data/originals/a.flac".into(),
            size: 1,
            sha256: Sha256::of(b"a"),
            original: Original {
                name: "a.flac".into(),
                path: "a.flac".into(),
                modified: None,
            },
            media: Some(media),
            findings: Vec::new(),
        }
    }

    fn media(pcm: &[u8], decoder: &str) -> Media {
        let mut m = Media::new("flac", "symphonia 0.6.1".into());
        m.decoder = Some(decoder.into());
        m.decoded_frames = Some(100);
        m.pcm_sha256 = Some(Sha256::of(pcm));
        m
    }

    fn codes(recorded: Media, now: Media) -> Vec<String> {
        let mut report = Report::new(Path::new("x"), false);
        let probed = Probed {
            media: Some(now),
            findings: Vec::new(),
        };
        compare_media(&item(recorded), &probed, &mut report);
        report.findings.into_iter().map(|f| f.code).collect()
    }

    #[test]
    fn deep_compare_flags_a_different_decode() {
        let d = "symphonia 0.6.1 flac";
        assert!(codes(media(b"x", d), media(b"x", d)).is_empty());
        assert_eq!(
            codes(media(b"x", d), media(b"y", d)),
            [code::MEDIA_MISMATCH]
        );
        let mut fewer = media(b"x", d);
        fewer.decoded_frames = Some(99);
        assert_eq!(codes(media(b"x", d), fewer), [code::MEDIA_MISMATCH]);
        // Another decoder version: a person must compare; it is not called tampering.
        assert_eq!(
            codes(media(b"x", d), media(b"y", "symphonia 0.7.0 flac")),
            [code::MEDIA_DECODER_CHANGED]
        );
    }
}
