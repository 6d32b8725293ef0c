//! Step 8 of docs/FORMAT.md §7: `evidence.json` parses strictly and agrees with the manifest and
//! the payload (every path once, the same SHA-256, the same size).

use std::collections::HashSet;

use super::bag::Manifest;
use super::read::{Bag, TAG_FILE_CAP};
use super::report::{Findings, Recording};
use super::streamed;
use crate::bundle::{Container, printable};
use crate::digest::Sha256;
use crate::evidence::{self, Evidence, Item};
use crate::finding::{Finding, code};

/// The most item JSON kept in memory for the report, whatever the count.
const KEPT_BYTES: u64 = 64 << 20;
/// At most this many item paths that are not in the bundle are remembered, to find duplicates.
const STRAY_KEPT: usize = 10_000;

/// What step 8 read.
pub(super) struct Read8 {
    /// The SHA-256 of `evidence.json`'s bytes, when every byte could be read.
    pub sha256: Option<Sha256>,
    /// The manifest, when it parsed: its fields, and the first items (see `items_total`).
    pub evidence: Option<Evidence>,
    /// How many items it lists.
    pub items_total: u64,
}

/// Streams `evidence.json` once: hashes it for the tag manifest, parses it strictly item by
/// item, and compares each item with the manifest and the payload as it goes. Keeps the first
/// `keep` items (and no more than 64 MiB of them) for the report.
pub(super) fn check_evidence<'a>(
    container: &mut Container,
    bag: &Bag<'a>,
    manifest: Option<&Manifest>,
    keep: usize,
    findings: &mut Findings,
) -> Read8 {
    let mut out = Read8 {
        sha256: None,
        evidence: None,
        items_total: 0,
    };
    let Some(entry) = bag.evidence else {
        if !findings.has_error_at(evidence::FILE_NAME) {
            findings.error(
                code::EVIDENCE_INVALID,
                evidence::FILE_NAME,
                "evidence.json is missing",
            );
        }
        return out;
    };
    let Some(mut hashing) = streamed::open(container, entry, evidence::FILE_NAME, findings) else {
        return out;
    };
    let mut compare = Compare {
        bag,
        manifest,
        seen: vec![false; bag.payload_entries.len()],
        stray: HashSet::new(),
        findings: Findings::default(),
    };
    let mut kept = Vec::new();
    let mut kept_bytes = 0u64;
    let mut total = 0u64;
    let parsed = evidence::parse_stream(&mut hashing, TAG_FILE_CAP, &mut |item: Item, n| {
        total += 1;
        compare.item(&item);
        if kept.len() < keep && kept_bytes + n <= KEPT_BYTES {
            kept_bytes += n;
            kept.push(item);
        }
    });
    compare.unlisted();
    let compared = compare.findings;
    out.sha256 = streamed::finish(hashing, evidence::FILE_NAME, findings);
    if out.sha256.is_none() {
        return out;
    }
    match parsed {
        Ok(ev) => {
            // What the items said counts only when the whole file parsed.
            findings.absorb(compared);
            out.items_total = total;
            out.evidence = Some(Evidence { items: kept, ..ev });
        }
        Err(e) => findings.error(code::EVIDENCE_INVALID, evidence::FILE_NAME, e.to_string()),
    }
    out
}

/// Compares items, one at a time, with the manifest and the payload.
struct Compare<'a, 'f> {
    bag: &'f Bag<'a>,
    manifest: Option<&'f Manifest>,
    /// Which payload files (by index in `payload_entries`) an item has listed already.
    seen: Vec<bool>,
    /// Item paths that are not payload files (bounded).
    stray: HashSet<String>,
    findings: Findings,
}

impl<'a> Compare<'a, '_> {
    fn item(&mut self, item: &Item) {
        let shown = printable(&item.path);
        let index = self.bag.payload_index(&item.path);
        let entry = index.map(|i| self.bag.payload_entries[i]);
        let first = match index {
            Some(i) => !std::mem::replace(&mut self.seen[i], true),
            None if self.stray.len() < STRAY_KEPT => self.stray.insert(item.path.clone()),
            None => !self.stray.contains(&item.path),
        };
        if !first {
            self.findings.error(
                code::EVIDENCE_MISMATCH,
                shown,
                "evidence.json lists this file twice",
            );
            return;
        }
        if let Some((_, entry)) = entry
            && entry.size != item.size
        {
            self.findings.push(
                Finding::error(
                    code::EVIDENCE_MISMATCH,
                    shown.clone(),
                    "evidence.json records another size than the file has",
                )
                .values(item.size, entry.size),
            );
        }
        let Some(manifest) = self.manifest else {
            return;
        };
        let listed = index.and_then(|i| manifest.listed_at(i));
        match listed {
            Some(d) if *d == item.sha256 => {}
            Some(d) => self.findings.push(
                Finding::error(
                    code::EVIDENCE_MISMATCH,
                    shown,
                    "evidence.json and the manifest disagree about this file's SHA-256",
                )
                .values(d, item.sha256),
            ),
            // The manifest lists it but the bundle lacks it: payload.missing says so already.
            None if manifest.absent.contains(&item.path) => {}
            None => self.findings.error(
                code::EVIDENCE_MISMATCH,
                shown,
                "in evidence.json, but not in the manifest",
            ),
        }
    }

    /// After the last item: every file the manifest lists must have had one.
    fn unlisted(&mut self) {
        let Some(manifest) = self.manifest else {
            return;
        };
        for (i, (path, _)) in self.bag.payload_entries.iter().enumerate() {
            if manifest.listed_at(i).is_some() && !self.seen[i] {
                self.findings.error(
                    code::EVIDENCE_MISMATCH,
                    printable(path),
                    "in the manifest, but not in evidence.json",
                );
            }
        }
        for path in &manifest.absent {
            if !self.stray.contains(path) {
                self.findings.error(
                    code::EVIDENCE_MISMATCH,
                    printable(path),
                    "in the manifest, but not in evidence.json",
                );
            }
        }
    }
}

/// The payload files as `evidence.json` lists them, each marked whether its bytes matched.
pub(super) fn recordings(ev: &Evidence, intact: impl Fn(&str) -> bool) -> Vec<Recording> {
    ev.items
        .iter()
        .map(|item| Recording {
            path: item.path.clone(),
            name: item.original.name.clone(),
            size: item.size,
            sha256: item.sha256.to_hex(),
            intact: intact(&item.path),
            format: item.media.as_ref().map(|m| match &m.codec {
                Some(c) => format!("{} / {c}", m.container),
                None => m.container.clone(),
            }),
            duration_seconds: item.media.as_ref().and_then(|m| m.duration_seconds),
            findings: item.findings.iter().map(|f| f.code.clone()).collect(),
        })
        .collect()
}
