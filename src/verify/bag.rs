//! Steps 4 to 7 of docs/FORMAT.md §7: the BagIt files. `bagit.txt`, the payload manifest against
//! the payload, the tag manifest against the tag files, and `bag-info.txt`'s Payload-Oxum.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::read::{Bag, File};
use super::report::Findings;
use crate::bag::{self, BAG_INFO, BAGIT, MANIFEST, TAGMANIFEST};
use crate::bundle::printable;
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

/// The payload manifest as parsed, keyed by the payload's own names.
#[derive(Default)]
pub(super) struct Manifest<'a> {
    /// Paths that are payload files, and the SHA-256 the manifest gives each.
    pub listed: HashMap<&'a str, Sha256>,
    /// Paths the manifest lists that are not in the bundle (up to a few thousand are kept).
    pub absent: HashSet<String>,
}

/// At most this many absent paths are remembered (their findings are reported either way).
const ABSENT_KEPT: usize = 10_000;

/// Step 5: the payload manifest against the payload. Returns the parsed manifest.
pub(super) fn check_payload_manifest<'a>(
    bag: &Bag<'a>,
    findings: &mut Findings,
) -> Option<Manifest<'a>> {
    let text = text(&bag.tags, MANIFEST, code::MANIFEST_INVALID, findings)?;
    let parsed = match bag::parse_manifest(text) {
        Ok(m) => m,
        Err(e) => {
            findings.error(
                code::MANIFEST_INVALID,
                MANIFEST,
                format!("{MANIFEST} is malformed: {e}"),
            );
            return None;
        }
    };
    let mut manifest = Manifest::default();
    for (path, expected) in parsed {
        if !path.starts_with("data/") {
            findings.error(
                code::MANIFEST_INVALID,
                printable(&path),
                "the manifest lists a file outside data/",
            );
            continue;
        }
        let Some((key, _)) = bag.payload_key(&path) else {
            // It may exist but have been unreadable; that has its own finding already.
            if !findings.has_error_at(&printable(&path)) {
                findings.error(
                    code::PAYLOAD_MISSING,
                    printable(&path),
                    "listed in the manifest, but not in the bundle",
                );
            }
            if manifest.absent.len() < ABSENT_KEPT {
                manifest.absent.insert(path);
            }
            continue;
        };
        manifest.listed.insert(key, expected);
        match bag.payload_digests(key) {
            Some(actual) if actual.sha256 == expected => {}
            Some(actual) => findings.push(
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
    }
    for (path, _) in &bag.payload_entries {
        if !manifest.listed.contains_key(path) {
            findings.error(
                code::PAYLOAD_UNLISTED,
                printable(path),
                "in the bundle's data/ folder, but not listed in the manifest",
            );
        }
    }
    Some(manifest)
}

/// Step 6: the tag manifest against the tag files. Returns whether every tag file it must cover
/// matched.
pub(super) fn check_tag_manifest(
    bag: &Bag<'_>,
    evidence_sha256: Option<Sha256>,
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
        let found = if path == evidence::FILE_NAME {
            evidence_sha256
        } else {
            bag.tags.get(path).map(|t| t.sha256)
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
        bag.tags.contains_key(name) || (name == evidence::FILE_NAME && bag.evidence.is_some())
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
