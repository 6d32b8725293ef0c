//! Steps 1 to 3 of docs/FORMAT.md §7: open the container, find the bag, and read every entry
//! once. Payload files are streamed into hashers; tag and custody files are read into memory,
//! within per-file and total caps, so that no bundle can make verify hold more than a bounded
//! amount of memory whatever it claims.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::Options;
use super::report::Findings;
use crate::bundle::{self, Container, EntryError, EntryInfo, ParallelOpener, Problem, ProblemKind};
use crate::custody::{self, CustodyFile};
use crate::digest::{Digests, HashingReader, Known, Sha256};
use crate::finding::code;

/// The most one tag file (`evidence.json` included) may hold.
pub const TAG_FILE_CAP: u64 = 64 << 20;
/// The most all tag and custody files together may hold in memory.
pub const RETAINED_CAP: u64 = 128 << 20;
/// The most one custody event may hold.
pub const EVENT_CAP: u64 = 1 << 20;
/// The most a key, signature, time-stamp token or renewal manifest may hold.
pub const SMALL_CAP: u64 = 64 << 10;
// What `seal` and `timestamp` store must fit what verify reads.
const _: () = assert!(crate::timestamp::TOKEN_CAP <= SMALL_CAP);

/// A small file of the bag, read whole.
pub(super) struct File {
    pub bytes: Vec<u8>,
    pub sha256: Sha256,
}

/// The bag as read: what every later step checks. Names are borrowed from the container's list
/// of entries, so each name is held once however many steps look at it.
#[derive(Default)]
pub(super) struct Bag<'a> {
    /// The bag's name (its top-level folder).
    pub name: String,
    /// Tag files by bag path (all but `manifest-sha256.txt` and `evidence.json`, which steps 5
    /// and 8 stream).
    pub tags: BTreeMap<String, File>,
    /// Custody files by bag path.
    pub custody: BTreeMap<String, File>,
    /// `evidence.json`'s entry, read in step 8.
    pub evidence: Option<&'a EntryInfo>,
    /// `manifest-sha256.txt`'s entry, streamed in step 5.
    pub manifest: Option<&'a EntryInfo>,
    /// The digests of each of `payload_entries` whose bytes could all be read (same order).
    pub payload: Vec<Option<Digests>>,
    /// Payload entries by bag path, in container order.
    pub payload_entries: Vec<(&'a str, &'a EntryInfo)>,
    /// Payload file count and bytes, as found.
    pub payload_files: u64,
    pub payload_bytes: u64,
}

impl<'a> Bag<'a> {
    /// The payload entry at bag path `path`.
    pub fn payload_entry(&self, path: &str) -> Option<&'a EntryInfo> {
        self.payload_key(path).map(|(_, e)| e)
    }

    /// The digests of the payload file at bag path `path`, if its bytes could all be read.
    pub fn payload_digests(&self, path: &str) -> Option<&Digests> {
        self.payload.get(self.payload_index(path)?)?.as_ref()
    }

    /// The payload entry at bag path `path`, with the path as the bag holds it.
    pub fn payload_key(&self, path: &str) -> Option<(&'a str, &'a EntryInfo)> {
        self.payload_index(path).map(|i| self.payload_entries[i])
    }

    /// Where the payload file at bag path `path` is in `payload_entries` (sorted by path).
    pub fn payload_index(&self, path: &str) -> Option<usize> {
        self.payload_entries
            .binary_search_by(|(p, _)| (*p).cmp(path))
            .ok()
    }
}

/// The finding code for a structural problem of the container.
pub(super) fn problem_code(kind: ProblemKind) -> &'static str {
    match kind {
        ProblemKind::Unreadable => code::BUNDLE_UNREADABLE,
        ProblemKind::EntryUnreadable => code::BUNDLE_ENTRY_UNREADABLE,
        ProblemKind::UnsafeName => code::BUNDLE_ENTRY_UNSAFE_NAME,
        ProblemKind::NameAmbiguous => code::BUNDLE_ENTRY_NAME_AMBIGUOUS,
        ProblemKind::Duplicate => code::BUNDLE_ENTRY_DUPLICATE,
        ProblemKind::Overlap => code::BUNDLE_ENTRY_OVERLAP,
        ProblemKind::Encrypted => code::BUNDLE_ENTRY_ENCRYPTED,
        ProblemKind::Symlink => code::BUNDLE_ENTRY_SYMLINK,
        ProblemKind::Compression => code::BUNDLE_ENTRY_COMPRESSION,
        ProblemKind::Oversize => code::BUNDLE_ENTRY_OVERSIZE,
        ProblemKind::HeaderMismatch => code::BUNDLE_ENTRY_HEADER_MISMATCH,
        ProblemKind::DirectoryMismatch => code::BUNDLE_DIRECTORY_MISMATCH,
        ProblemKind::HiddenBytes => code::BUNDLE_HIDDEN_BYTES,
        ProblemKind::Folder => code::BUNDLE_ENTRY_FOLDER,
    }
}

/// Step 1: the container's structural problems become findings.
pub(super) fn record_problems(problems: Vec<Problem>, findings: &mut Findings) {
    for p in problems {
        let code = problem_code(p.kind);
        match p.entry {
            Some(entry) => findings.error(code, entry, p.message),
            None => findings.push(crate::finding::Finding::new(
                code,
                crate::finding::Severity::Error,
                p.message,
            )),
        }
    }
}

/// The finding code for an entry that could not be read as declared.
pub(super) fn entry_error_code(error: &EntryError) -> &'static str {
    match error {
        EntryError::Crc { .. } => code::BUNDLE_ENTRY_CRC,
        EntryError::Longer { .. } | EntryError::TooLarge { .. } => code::BUNDLE_ENTRY_OVERSIZE,
        EntryError::Method(_) => code::BUNDLE_ENTRY_COMPRESSION,
        _ => code::BUNDLE_ENTRY_UNREADABLE,
    }
}

/// Step 2: the bag is the top-level folder with the most entries; everything else is a layout
/// error. `None` when the bundle holds no files in a folder.
pub(super) fn find_bag(entries: &[EntryInfo], findings: &mut Findings) -> Option<String> {
    let mut tops: BTreeMap<&str, usize> = BTreeMap::new();
    for e in entries {
        match e.name.split_once('/') {
            Some((top, _)) => *tops.entry(top).or_default() += 1,
            None => findings.error(
                code::BUNDLE_LAYOUT,
                bundle::printable(&e.name),
                "a file at the top level; a bundle holds exactly one folder. If you made this ZIP \
                 from inside the bag folder, zip the folder itself instead",
            ),
        }
    }
    let Some((&bag, _)) = tops.iter().max_by_key(|(_, n)| **n) else {
        findings.error(code::BUNDLE_LAYOUT, "", "the bundle holds no files");
        return None;
    };
    for top in tops.keys().filter(|t| **t != bag) {
        findings.error(
            code::BUNDLE_LAYOUT,
            bundle::printable(top),
            format!(
                "a second top-level folder beside {:?}; a bundle holds exactly one",
                bundle::printable(bag)
            ),
        );
    }
    Some(bag.to_string())
}

/// The cap for a file outside `data/`, by what its name says it is; `None` for a name that has
/// no place in a bag (it is reported, never read).
fn cap_for(rel: &str) -> Option<u64> {
    if rel.starts_with("custody/") {
        return match custody::classify(rel)? {
            CustodyFile::Event(..) => Some(EVENT_CAP),
            CustodyFile::Signature(_)
            | CustodyFile::Key
            | CustodyFile::Token(..)
            | CustodyFile::RenewalManifest(..)
            | CustodyFile::RenewalToken(..) => Some(SMALL_CAP),
        };
    }
    super::bag::TAG_FILES.contains(&rel).then_some(TAG_FILE_CAP)
}

/// Step 3: reads every entry of the bag once: the small tag and custody files first, then every
/// payload file (on all cores where the container allows); `evidence.json` is left for step 8,
/// which streams it.
pub(super) fn read_bag<'a>(
    container: &mut Container,
    entries: &'a [EntryInfo],
    bag_name: &str,
    options: &Options,
    known: Option<&Known>,
    findings: &mut Findings,
) -> Bag<'a> {
    let prefix = format!("{bag_name}/");
    let mut bag = Bag {
        name: bag_name.to_string(),
        ..Bag::default()
    };
    let in_bag = || {
        entries
            .iter()
            .filter_map(|e| e.name.strip_prefix(&prefix).map(|rel| (rel, e)))
    };
    bag.payload_entries
        .reserve_exact(in_bag().filter(|(rel, _)| rel.starts_with("data/")).count());
    for (rel, e) in in_bag() {
        if rel.starts_with("data/") {
            bag.payload_files += 1;
            bag.payload_bytes = bag.payload_bytes.saturating_add(e.size);
            bag.payload_entries.push((rel, e));
        }
    }
    bag.payload_entries.sort_by(|a, b| a.0.cmp(b.0));
    options.progress.start(bag.payload_bytes, entries.len());
    options.progress.stage("verifying");
    let mut retained = 0u64;
    for (rel, e) in in_bag().filter(|(rel, _)| !rel.starts_with("data/")) {
        let shown = bundle::printable(rel);
        if rel == crate::evidence::FILE_NAME {
            bag.evidence = Some(e);
            continue;
        }
        if rel == crate::bag::MANIFEST {
            bag.manifest = Some(e);
            continue;
        }
        let Some(cap) = cap_for(rel) else {
            let code = if rel.starts_with("custody/") {
                code::CUSTODY_ENTRY_UNEXPECTED
            } else {
                code::BUNDLE_ENTRY_UNEXPECTED
            };
            let what = if rel.starts_with("custody/") {
                "not part of the custody layout (events, their signatures and time-stamps, and signers' keys)"
            } else {
                "a file that is not one of the bag's tag files; nothing vouches for it"
            };
            findings.error(code, shown, what);
            continue;
        };
        if e.size > cap {
            findings.error(
                code::BUNDLE_ENTRY_OVERSIZE,
                shown,
                format!(
                    "the file declares {} bytes; a file of this kind holds at most {cap}",
                    e.size
                ),
            );
            continue;
        }
        retained = retained.saturating_add(e.size);
        if retained > RETAINED_CAP {
            findings.error(
                code::BUNDLE_ENTRY_OVERSIZE,
                shown,
                format!(
                    "the bag's tag and custody files together declare more than {RETAINED_CAP} bytes; the rest are not read"
                ),
            );
            continue;
        }
        let bytes = match container.read_small(e, cap) {
            Ok(b) => b,
            Err(error) => {
                findings.error(
                    entry_error_code(&error),
                    shown,
                    format!("cannot be read: {error}"),
                );
                continue;
            }
        };
        let file = File {
            sha256: Sha256::of(&bytes),
            bytes,
        };
        if rel.starts_with("custody/") {
            bag.custody.insert(rel.to_string(), file);
        } else {
            bag.tags.insert(rel.to_string(), file);
        }
    }
    hash_payload(container, &mut bag, options, known, findings);
    bag
}

/// What reading one payload entry gave: its digests when every byte was read (even when its CRC
/// failed), and the error, if any.
type Hashed = (Option<Digests>, Option<io::Error>);

/// Streams one entry through SHA-256 and CRC-32.
fn hash_entry(reader: io::Result<Box<dyn Read + '_>>, options: &Options) -> Hashed {
    let reader = match reader {
        Ok(r) => r,
        Err(e) => return (None, Some(e)),
    };
    let mut hashing = HashingReader::new(reader);
    let failure = crate::digest::with_copy_buffer(|buf| {
        loop {
            match hashing.read(buf) {
                Ok(0) => break None,
                Ok(n) => options.progress.advance(n as u64),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Some(e),
            }
        }
    });
    let digests = hashing.finish();
    match &failure {
        None => (Some(digests), None),
        // The CRC is checked at the end of the entry, after every byte went through the hasher,
        // so the digest is complete and the manifest comparison still says what changed.
        Some(e) if matches!(EntryError::within(e), Some(EntryError::Crc { .. })) => {
            (Some(digests), failure)
        }
        Some(_) => (None, failure),
    }
}

/// Hashes every payload entry (or, with digests measured while writing, checks each one's CRC
/// and size against them), on all cores when the container can open entries independently.
fn hash_payload(
    container: &mut Container,
    bag: &mut Bag<'_>,
    options: &Options,
    known: Option<&Known>,
    findings: &mut Findings,
) {
    let entries = bag.payload_entries.clone();
    let results: Vec<Hashed> = if let Some(known) = known {
        let mut out = Vec::with_capacity(entries.len());
        for (rel, e) in &entries {
            let shown = bundle::printable(rel);
            match known.get(rel) {
                None => {
                    findings.error(
                        code::PAYLOAD_UNLISTED,
                        shown,
                        "written to the bundle but never hashed",
                    );
                    out.push((None, None));
                }
                Some(d) => {
                    if e.size != d.len || e.crc32.is_some_and(|crc| crc != d.crc32) {
                        findings.error(
                            code::BUNDLE_ENTRY_CRC,
                            shown,
                            "the ZIP records another size or CRC-32 than the bytes that were hashed",
                        );
                    }
                    out.push((Some(*d), None));
                }
            }
        }
        out
    } else {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(entries.len());
        match container.parallel().filter(|_| threads > 1) {
            Some(opener) => in_parallel(&opener, &entries, threads, options),
            None => entries
                .iter()
                .map(|(rel, e)| {
                    options.progress.file(rel);
                    let reader = container
                        .open_entry(e)
                        .map(|r| Box::new(r) as Box<dyn Read + '_>)
                        .map_err(EntryError::into_io);
                    hash_entry(reader, options)
                })
                .collect(),
        }
    };
    // Collected in place: the results' allocation becomes the digests', so the two lists (64 and
    // 56 bytes a file) are never held side by side.
    let mut rels = entries.iter();
    bag.payload = results
        .into_iter()
        .map(|(digests, error)| {
            let rel = rels.next().map_or("", |(rel, _)| *rel);
            if let Some(error) = error {
                report_entry_error(rel, &error, findings);
            }
            digests
        })
        .collect();
}

/// The finding for a payload entry that could not be read as declared.
fn report_entry_error(rel: &str, error: &io::Error, findings: &mut Findings) {
    let shown = bundle::printable(rel);
    match EntryError::within(error) {
        Some(crc @ EntryError::Crc { .. }) => findings.error(
            code::BUNDLE_ENTRY_CRC,
            shown,
            format!("{crc}: the entry was altered or damaged"),
        ),
        Some(other) => findings.error(entry_error_code(other), shown, other.to_string()),
        None => findings.error(
            code::BUNDLE_ENTRY_UNREADABLE,
            shown,
            format!("cannot be read: {error}"),
        ),
    }
}

/// Hashes `entries` on `threads` threads, each with its own file handle; results in order.
fn in_parallel(
    opener: &ParallelOpener,
    entries: &[(&str, &EntryInfo)],
    threads: usize,
    options: &Options,
) -> Vec<Hashed> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Hashed>>> = entries.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((rel, e)) = entries.get(i) else {
                        break;
                    };
                    options.progress.file(rel);
                    let reader = opener
                        .open(e)
                        .map(|r| Box::new(r) as Box<dyn Read>)
                        .map_err(EntryError::into_io);
                    let hashed = hash_entry(reader, options);
                    if let Ok(mut slot) = slots[i].lock() {
                        *slot = Some(hashed);
                    }
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .ok()
                .flatten()
                .unwrap_or((None, Some(io::Error::other("the hashing thread died"))))
        })
        .collect()
}
