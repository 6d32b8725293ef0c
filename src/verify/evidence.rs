//! Step 8 of docs/FORMAT.md §7: `evidence.json` parses strictly and agrees with the manifest and
//! the payload (every path once, the same SHA-256, the same size).

use std::collections::{HashMap, HashSet};

use super::read::Bag;
use super::report::{Findings, Recording};
use crate::bundle::printable;
use crate::digest::Sha256;
use crate::evidence::{self, Evidence};
use crate::finding::{Finding, code};

/// Parses `evidence.json` and compares it with the manifest (when that parsed).
pub(super) fn check_evidence(
    bag: &Bag,
    manifest: Option<&[(String, Sha256)]>,
    findings: &mut Findings,
) -> Option<Evidence> {
    let Some(file) = bag.tags.get(evidence::FILE_NAME) else {
        if !findings.has_error_at(evidence::FILE_NAME) {
            findings.error(
                code::EVIDENCE_INVALID,
                evidence::FILE_NAME,
                "evidence.json is missing",
            );
        }
        return None;
    };
    let ev = match Evidence::parse(&file.bytes) {
        Ok(ev) => ev,
        Err(e) => {
            findings.error(code::EVIDENCE_INVALID, evidence::FILE_NAME, e.to_string());
            return None;
        }
    };
    if let Some(manifest) = manifest {
        compare(&ev, manifest, bag, findings);
    }
    Some(ev)
}

fn compare(ev: &Evidence, manifest: &[(String, Sha256)], bag: &Bag, findings: &mut Findings) {
    let listed: HashMap<&str, &Sha256> = manifest.iter().map(|(p, d)| (p.as_str(), d)).collect();
    let mut seen = HashSet::with_capacity(ev.items.len());
    for item in &ev.items {
        let shown = printable(&item.path);
        if !seen.insert(item.path.as_str()) {
            findings.error(
                code::EVIDENCE_MISMATCH,
                shown,
                "evidence.json lists this file twice",
            );
            continue;
        }
        if let Some(entry) = bag.payload_entries.get(&item.path)
            && entry.size != item.size
        {
            findings.push(
                Finding::error(
                    code::EVIDENCE_MISMATCH,
                    shown.clone(),
                    "evidence.json records another size than the file has",
                )
                .values(item.size, entry.size),
            );
        }
        match listed.get(item.path.as_str()) {
            Some(d) if **d == item.sha256 => {}
            Some(d) => findings.push(
                Finding::error(
                    code::EVIDENCE_MISMATCH,
                    shown,
                    "evidence.json and the manifest disagree about this file's SHA-256",
                )
                .values(d, item.sha256),
            ),
            None => findings.error(
                code::EVIDENCE_MISMATCH,
                shown,
                "in evidence.json, but not in the manifest",
            ),
        }
    }
    for (path, _) in manifest {
        if !seen.contains(path.as_str()) {
            findings.error(
                code::EVIDENCE_MISMATCH,
                printable(path),
                "in the manifest, but not in evidence.json",
            );
        }
    }
}

/// The payload files as `evidence.json` lists them, each marked whether its bytes matched.
pub(super) fn recordings(ev: &Evidence, intact: &HashSet<String>) -> Vec<Recording> {
    ev.items
        .iter()
        .map(|item| Recording {
            path: item.path.clone(),
            name: item.original.name.clone(),
            size: item.size,
            sha256: item.sha256.to_hex(),
            intact: intact.contains(&item.path),
            format: item.media.as_ref().map(|m| match &m.codec {
                Some(c) => format!("{} / {c}", m.container),
                None => m.container.clone(),
            }),
            duration_seconds: item.media.as_ref().and_then(|m| m.duration_seconds),
            findings: item.findings.iter().map(|f| f.code.clone()).collect(),
        })
        .collect()
}
