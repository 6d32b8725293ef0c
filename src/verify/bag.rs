//! Steps 4 to 7 of docs/FORMAT.md §7: the BagIt files. `bagit.txt`, the payload manifest against
//! the payload, the tag manifest against the tag files, and `bag-info.txt`'s Payload-Oxum.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Read};

use super::read::{Bag, File};
use super::report::Findings;
use super::streamed;
use crate::bag::{self, BAG_INFO, BAGIT, MANIFEST, TAGMANIFEST};
use crate::bundle::{Container, printable};
use crate::digest::Sha256;
use crate::evidence;
use crate::finding::{Finding, code};

/// The only files a bag holds outside `data/` and `custody/`.
pub const TAG_FILES: [&str; 6] = [
    BAGIT,
    BAG_INFO,
    MANIFEST,
    TAGMANIFEST,
    evidence::FILE_NAME,
    crate::verify_txt::FILE_NAME,
];

/// Tag files that the tag manifest must list: every tag file but itself.
const COVERED_TAGS: [&str; 5] = [
    BAGIT,
    BAG_INFO,
    MANIFEST,
    evidence::FILE_NAME,
    crate::verify_txt::FILE_NAME,
];

/// A tag file as UTF-8 text, or a finding with `code` if it is missing or not UTF-8.
fn text<'a>(
    tags: &'a BTreeMap<String, File>,
    name: &str,
    code: &str,
    findings: &mut Findings,
) -> Option<&'a str> {
    let Some(t) = tags.get(name) else {
        findings.error(code, name, format!("{name} is missing"));
        return None;
    };
    match std::str::from_utf8(&t.bytes) {
        Ok(s) => Some(s),
        Err(_) => {
            findings.error(code, name, format!("{name} is not UTF-8"));
            None
        }
    }
}

/// Step 4: `bagit.txt` is exactly the declaration earwitness writes.
pub(super) fn check_declaration(bag: &Bag<'_>, findings: &mut Findings) {
    let Some(decl) = text(&bag.tags, BAGIT, code::BAG_DECLARATION_INVALID, findings) else {
        return;
    };
    if decl != bag::BAGIT_TXT {
        findings.error(
            code::BAG_DECLARATION_INVALID,
            BAGIT,
            "bagit.txt is not the BagIt 1.0 UTF-8 declaration",
        );
    }
}

/// The payload manifest as parsed, beside the payload it describes: what it says of each payload
/// file is kept in a table parallel to [`Bag::payload_entries`], so that a bag of a million files
/// costs 33 bytes a file here, not a map of names.
#[derive(Default)]
pub(super) struct Manifest {
    /// For each payload file (by its index in `payload_entries`), the SHA-256 the manifest gives.
    listed: Vec<Option<Sha256>>,
    /// Paths the manifest lists that are not in the bundle (up to a few thousand are kept).
    pub absent: HashSet<String>,
}

impl Manifest {
    /// The SHA-256 the manifest gives the payload file at `index` of `payload_entries`.
    pub fn listed_at(&self, index: usize) -> Option<&Sha256> {
        self.listed.get(index)?.as_ref()
    }

    /// Whether the payload file at bag path `path` is listed and its bytes match the manifest.
    pub fn intact(&self, bag: &Bag<'_>, path: &str) -> bool {
        bag.payload_index(path).is_some_and(|i| {
            let actual = bag.payload.get(i).and_then(Option::as_ref);
            matches!((self.listed_at(i), actual), (Some(want), Some(d)) if d.sha256 == *want)
        })
    }
}

/// At most this many absent paths are remembered (their findings are reported either way).
const ABSENT_KEPT: usize = 10_000;

/// The longest manifest line read: a ZIP name is at most 65,535 bytes, three times that
/// `%`-encoded, plus the digest.
const LINE_CAP: u64 = 4 * 65_536 + 128;

/// What step 5 read.
pub(super) struct Read5 {
    /// The manifest, when every line parsed and no path is listed twice.
    pub manifest: Option<Manifest>,
    /// The SHA-256 of `manifest-sha256.txt`'s bytes, when every byte could be read.
    pub sha256: Option<Sha256>,
}

/// Step 5: the payload manifest against the payload, streamed line by line (a bag of a million
/// files has a manifest of about 100 MB, which is never held): each line's path is looked up
/// among the payload files and its SHA-256 kept beside them. The file is hashed to its end for
/// the tag manifest, whatever its lines say. A malformed manifest (a line that does not parse, a
/// path listed twice, bytes that are not UTF-8) gets one finding and no others, as a stranger's
/// verifier would refuse it whole.
pub(super) fn check_payload_manifest(
    container: &mut Container,
    bag: &Bag<'_>,
    findings: &mut Findings,
) -> Read5 {
    let mut out = Read5 {
        manifest: None,
        sha256: None,
    };
    let Some(entry) = bag.manifest else {
        if !findings.has_error_at(MANIFEST) {
            findings.error(
                code::MANIFEST_INVALID,
                MANIFEST,
                format!("{MANIFEST} is missing"),
            );
        }
        return out;
    };
    let Some(mut hashing) = streamed::open(container, entry, MANIFEST, findings) else {
        return out;
    };
    let mut lines = BufReader::with_capacity(1 << 16, &mut hashing);
    let mut compare = Compare {
        bag,
        manifest: Manifest {
            listed: vec![None; bag.payload_entries.len()],
            absent: HashSet::new(),
        },
        others: HashSet::new(),
        findings: Findings::default(),
        before: findings,
    };
    let mut malformed = None;
    let mut line = Vec::new();
    for line_no in 1.. {
        line.clear();
        match (&mut lines).take(LINE_CAP).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if !line.ends_with(b"\n") && line.len() as u64 == LINE_CAP {
            malformed = Some(format!(
                "{MANIFEST} is malformed: line {line_no} is longer than {LINE_CAP} bytes"
            ));
            break;
        }
        let Ok(text) = std::str::from_utf8(&line) else {
            malformed = Some(format!("{MANIFEST} is not UTF-8"));
            break;
        };
        if let Err(e) = bag::parse_manifest_line(line_no, text).and_then(|l| compare.line(l)) {
            malformed = Some(format!("{MANIFEST} is malformed: {e}"));
            break;
        }
    }
    drop(lines);
    let Compare {
        manifest,
        findings: compared,
        ..
    } = compare;
    out.sha256 = streamed::finish(hashing, MANIFEST, findings);
    if out.sha256.is_none() {
        return out;
    }
    if let Some(message) = malformed {
        findings.error(code::MANIFEST_INVALID, MANIFEST, message);
        return out;
    }
    findings.absorb(compared);
    for (i, (path, _)) in bag.payload_entries.iter().enumerate() {
        if manifest.listed[i].is_none() {
            findings.error(
                code::PAYLOAD_UNLISTED,
                printable(path),
                "in the bundle's data/ folder, but not listed in the manifest",
            );
        }
    }
    out.manifest = Some(manifest);
    out
}

/// Compares manifest lines, one at a time, with the payload.
struct Compare<'b, 'a> {
    bag: &'b Bag<'a>,
    manifest: Manifest,
    /// Listed paths that are not payload files, to find one listed twice.
    others: HashSet<String>,
    /// What the lines showed; kept apart until the whole manifest proves well formed.
    findings: Findings,
    /// What the steps before found.
    before: &'b Findings,
}

impl Compare<'_, '_> {
    fn line(&mut self, line: bag::ManifestLine<'_>) -> Result<(), bag::ManifestError> {
        let index = self.bag.payload_index(&line.path);
        let first = match index {
            Some(i) => self.manifest.listed[i].replace(line.sha256).is_none(),
            None => self.others.insert(line.path.to_string()),
        };
        if !first {
            return Err(line.twice());
        }
        let path = line.path;
        if !path.starts_with("data/") {
            self.findings.error(
                code::MANIFEST_INVALID,
                printable(&path),
                "the manifest lists a file outside data/",
            );
            return Ok(());
        }
        let Some(i) = index else {
            // It may exist but have been unreadable; that has its own finding already.
            let shown = printable(&path);
            if !self.before.has_error_at(&shown) && !self.findings.has_error_at(&shown) {
                self.findings.error(
                    code::PAYLOAD_MISSING,
                    shown,
                    "listed in the manifest, but not in the bundle",
                );
            }
            if self.manifest.absent.len() < ABSENT_KEPT {
                self.manifest.absent.insert(path.into_owned());
            }
            return Ok(());
        };
        let key = self.bag.payload_entries[i].0;
        let expected = line.sha256;
        match self.bag.payload.get(i).and_then(Option::as_ref) {
            Some(actual) if actual.sha256 == expected => {}
            Some(actual) => self.findings.push(
                Finding::error(
                    code::PAYLOAD_HASH_MISMATCH,
                    printable(key),
                    format!(
                        "SHA-256 is {}, but the manifest says {expected}: the file was changed",
                        actual.sha256
                    ),
                )
                .values(expected, actual.sha256),
            ),
            None => {}
        }
        Ok(())
    }
}

/// Step 6: the tag manifest against the tag files. Returns whether every tag file it must cover
/// matched.
pub(super) fn check_tag_manifest(
    bag: &Bag<'_>,
    streamed: [(&str, Option<Sha256>); 2],
    findings: &mut Findings,
) -> HashSet<String> {
    let mut matched = HashSet::new();
    let Some(text) = text(&bag.tags, TAGMANIFEST, code::MANIFEST_INVALID, findings) else {
        return matched;
    };
    let listed = match bag::parse_manifest(text) {
        Ok(m) => m,
        Err(e) => {
            findings.error(
                code::MANIFEST_INVALID,
                TAGMANIFEST,
                format!("{TAGMANIFEST} is malformed: {e}"),
            );
            return matched;
        }
    };
    let mut covered = HashSet::new();
    for (path, expected) in &listed {
        let shown = printable(path);
        if !COVERED_TAGS.contains(&path.as_str()) {
            findings.error(
                code::MANIFEST_INVALID,
                shown,
                "the tag manifest may list only the bag's tag files (bagit.txt, bag-info.txt, manifest-sha256.txt, evidence.json, VERIFY.txt)",
            );
            continue;
        }
        covered.insert(path.as_str());
        let found = match streamed.iter().find(|(name, _)| name == path) {
            Some((_, sha256)) => *sha256,
            None => bag.tags.get(path).map(|t| t.sha256),
        };
        match found {
            Some(t) if t == *expected => {
                matched.insert(path.clone());
            }
            Some(t) => findings.push(
                Finding::error(
                    code::TAG_HASH_MISMATCH,
                    shown,
                    format!(
                        "SHA-256 is {t}, but the tag manifest says {expected}: the file was changed",
                    ),
                )
                .values(expected, t),
            ),
            None if findings.has_error_at(&shown) => {}
            None => findings.error(
                code::TAG_MISSING,
                shown,
                "listed in the tag manifest, but not in the bundle",
            ),
        }
    }
    let present = |name: &str| {
        bag.tags.contains_key(name)
            || (name == evidence::FILE_NAME && bag.evidence.is_some())
            || (name == MANIFEST && bag.manifest.is_some())
    };
    for required in COVERED_TAGS {
        if !present(required) && !covered.contains(required) {
            if !findings.has_error_at(required) {
                findings.error(
                    code::TAG_MISSING,
                    required,
                    format!("{required} is missing: every bag holds it"),
                );
            }
        } else if present(required) && !covered.contains(required) {
            findings.error(
                code::TAG_UNLISTED,
                required,
                format!("{required} must be covered by the tag manifest, and is not"),
            );
        }
    }
    matched
}

/// Step 7: `bag-info.txt` and its Payload-Oxum against the payload found.
pub(super) fn check_bag_info(bag: &Bag<'_>, findings: &mut Findings) {
    let Some(text) = text(&bag.tags, BAG_INFO, code::BAG_INFO_INVALID, findings) else {
        return;
    };
    let fields = match bag::parse_bag_info(text) {
        Ok(f) => f,
        Err(e) => {
            findings.error(
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
    let [one] = oxum.as_slice() else {
        findings.error(
            code::BAG_INFO_INVALID,
            BAG_INFO,
            "bag-info.txt must have exactly one Payload-Oxum",
        );
        return;
    };
    match bag::parse_oxum(one) {
        Some((bytes, files)) if bytes == bag.payload_bytes && files == bag.payload_files => {}
        Some((bytes, files)) => findings.push(
            Finding::error(
                code::BAG_OXUM_MISMATCH,
                BAG_INFO,
                format!(
                    "Payload-Oxum says {bytes} bytes in {files} files; the bundle holds {} bytes in {} files",
                    bag.payload_bytes, bag.payload_files
                ),
            )
            .values(
                format!("{bytes}.{files}"),
                format!("{}.{}", bag.payload_bytes, bag.payload_files),
            ),
        ),
        None => findings.error(
            code::BAG_INFO_INVALID,
            BAG_INFO,
            format!("Payload-Oxum {:?} is malformed", printable(one)),
        ),
    }
}
