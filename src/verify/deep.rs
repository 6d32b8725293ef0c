//! Step 10 of docs/FORMAT.md §7 (`verify --deep`): decode every intact recording again, in the
//! same isolated workers as `seal`, reading stored entries in place inside the ZIP (never
//! extracted), and compare with what `evidence.json` recorded. A ZIP that is not a file on this
//! machine (an object in storage, read by ranges) cannot be read in place by the workers: its
//! recordings are copied to temporary files a few at a time, and each says so (`media.spooled`). The same one decode also draws the
//! pictures a report shows, when they are wanted.

use std::collections::BTreeMap;

use std::fs::File;

use super::read::Bag;
use super::report::{DeepCheck, Findings};
use crate::bundle::{Container, EntryError, EntryInfo, printable};
use crate::evidence::{Evidence, Item, PCM_FORMAT_FLOAT};
use crate::finding::{Finding, Severity, code};
use crate::probe::{self, Probed};

/// How to decode again.
#[derive(Clone, Debug)]
pub struct Deep {
    /// Where recordings are decoded.
    pub probe: probe::Executor,
    /// How many at once.
    pub parallel: usize,
    /// Compare the fresh decode with `evidence.json` (`verify --deep`).
    pub compare: bool,
    /// Draw each recording's waveform and spectrogram (for reports).
    pub pictures: bool,
}

/// What decoding again found.
pub(super) struct Decoded {
    /// Per recording, when compared.
    pub checks: Vec<DeepCheck>,
    /// Pictures by bag path, when drawn.
    pub pictures: BTreeMap<String, probe::analysis::Pictures>,
}

/// Decodes every intact payload recording again and compares it with `evidence.json`.
pub(super) fn check_deep(
    deep: &Deep,
    container: &mut Container,
    bag: &Bag,
    evidence: &Evidence,
    intact: &dyn Fn(&str) -> bool,
    findings: &mut Findings,
) -> Decoded {
    let mut checks = Vec::new();
    let mut jobs = Vec::new();
    let mut items = Vec::new();
    let mut spool = Vec::new();
    for item in &evidence.items {
        let check = |result: &str| DeepCheck {
            path: item.path.clone(),
            result: result.to_string(),
        };
        if !intact(&item.path) {
            // Already failing: its bytes are not what was sealed.
            checks.push(check("skipped"));
            continue;
        }
        let Some(entry) = bag.payload_entry(&item.path) else {
            continue;
        };
        match container.place(entry) {
            Some(place) => {
                jobs.push(probe::Job {
                    input: probe::Input {
                        path: place.path,
                        window: place.window,
                    },
                    label: item.path.clone(),
                    size: entry.size,
                });
                items.push(item);
            }
            // A stored entry of a ZIP that is not a file here (an object in storage, bytes in
            // memory): decoded from a temporary copy, below.
            None if !entry.compressed => spool.push((item, entry)),
            None => {
                if deep.compare {
                    findings.warning(
                        code::MEDIA_UNCHECKED,
                        printable(&item.path),
                        "the entry is compressed, so it was not decoded again; unzip the bundle and verify the folder with --deep",
                    );
                }
                checks.push(check("not_decoded"));
            }
        }
    }
    let mut decoded = Decoded {
        checks,
        pictures: BTreeMap::new(),
    };
    let results = run(deep, &jobs);
    decoded.record(deep, items.into_iter().zip(results), findings);
    for batch in spool.chunks(deep.parallel.max(1)) {
        spooled(deep, container, bag, batch, &mut decoded, findings);
    }
    if !deep.compare {
        decoded.checks.clear();
    }
    decoded
}

fn run(deep: &Deep, jobs: &[probe::Job]) -> Vec<Probed> {
    let never = std::sync::atomic::AtomicBool::new(false);
    let depth = if deep.pictures {
        probe::Depth::Pictures
    } else {
        probe::Depth::Decode
    };
    deep.probe.run(jobs, depth, deep.parallel, &never)
}

impl Decoded {
    fn record<'a>(
        &mut self,
        deep: &Deep,
        results: impl Iterator<Item = (&'a Item, Probed)>,
        findings: &mut Findings,
    ) {
        for (item, mut probed) in results {
            if let Some(p) = probed.pictures.take() {
                self.pictures.insert(item.path.clone(), p);
            }
            if deep.compare {
                let result = compare_media(item, &probed, findings);
                self.checks.push(DeepCheck {
                    path: item.path.clone(),
                    result: result.to_string(),
                });
            }
        }
    }
}

/// Decodes a batch of stored entries of a ZIP that is not a file on this machine: each is copied
/// to a temporary file (checked against the SHA-256 step 3 measured), decoded from there, and
/// deleted with its folder when the batch is done. Each one decoded so gets a
/// `media.spooled` note, so that nobody believes the bundle was decoded where it lies.
fn spooled(
    deep: &Deep,
    container: &mut Container,
    bag: &Bag,
    batch: &[(&Item, &EntryInfo)],
    decoded: &mut Decoded,
    findings: &mut Findings,
) {
    let mut unchecked = |findings: &mut Findings, item: &Item, why: String| {
        if deep.compare {
            findings.warning(code::MEDIA_UNCHECKED, printable(&item.path), why);
        }
        decoded.checks.push(DeepCheck {
            path: item.path.clone(),
            result: "not_decoded".into(),
        });
    };
    let dir = match tempfile::Builder::new()
        .prefix("earwitness-deep-")
        .tempdir()
    {
        Ok(d) => d,
        Err(e) => {
            for (item, _) in batch {
                unchecked(
                    findings,
                    item,
                    format!("not decoded again: no temporary folder to copy it to ({e})"),
                );
            }
            return;
        }
    };
    let mut jobs = Vec::new();
    let mut items = Vec::new();
    for (i, (item, entry)) in batch.iter().enumerate() {
        let path = dir.path().join(format!("{i}"));
        let copied = File::create(&path).and_then(|mut out| {
            let reader = container.open_entry(entry).map_err(EntryError::into_io)?;
            let d = crate::digest::copy_hashed(reader, &mut out)?;
            out.sync_all().ok();
            Ok(d)
        });
        let want = bag.payload_digests(&item.path).map(|d| d.sha256);
        match copied {
            Ok(d) if Some(d.sha256) == want => {
                findings.push(Finding::new(
                    code::MEDIA_SPOOLED,
                    Severity::Info,
                    "decoded again from a temporary copy of its entry on this machine's disk (the bundle is not a file here), deleted afterwards",
                ).at(printable(&item.path)));
                jobs.push(probe::Job {
                    input: probe::Input::file(path),
                    label: item.path.clone(),
                    size: entry.size,
                });
                items.push(*item);
            }
            Ok(_) => unchecked(
                findings,
                item,
                "not decoded again: its bytes read a second time differ from those hashed".into(),
            ),
            Err(e) => unchecked(
                findings,
                item,
                format!("not decoded again: it could not be copied to a temporary file ({e})"),
            ),
        }
    }
    let results = run(deep, &jobs);
    decoded.record(deep, items.into_iter().zip(results), findings);
    drop(dir);
}

fn compare_media(item: &Item, probed: &Probed, findings: &mut Findings) -> &'static str {
    let shown = printable(&item.path);
    let (recorded, now) = match (&item.media, &probed.media) {
        (None, None) => return "same",
        (Some(r), Some(n)) => (r, n),
        (r, _) => {
            let what = if r.is_some() {
                "nothing can be read now"
            } else {
                "media can be read now"
            };
            findings.error(
                code::MEDIA_MISMATCH,
                shown,
                format!("evidence.json and a fresh decode disagree: {what}"),
            );
            return "differs";
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
        return "same";
    }
    let list = differ.join("; ");
    // The payload's bytes passed their hash, so a difference here is the decoder's, not the
    // file's. Integer (lossless) output is exact and must reproduce; float output from lossy
    // decoders may differ in the last bits with the decoder version or the CPU's vector units.
    let lossy = now.pcm_format.as_deref() == Some(PCM_FORMAT_FLOAT)
        && !now.codec.as_deref().is_some_and(|c| c.starts_with("pcm_"));
    let only_float_pcm = lossy && differ.len() == 1 && differ[0].starts_with("pcm_sha256");
    if recorded.decoder != now.decoder || only_float_pcm {
        findings.warning(
            code::MEDIA_DECODER_CHANGED,
            shown,
            format!(
                "a fresh decode differs ({list}); it used {} where the seal used {}. The file's bytes are intact, but a lossy decoder's output can change with its version or the CPU, so compare by hand",
                now.decoder.as_deref().unwrap_or("no decoder"),
                recorded.decoder.as_deref().unwrap_or("no decoder"),
            ),
        );
        "decoder_changed"
    } else {
        findings.error(
            code::MEDIA_MISMATCH,
            shown,
            format!("a fresh decode with the same decoder disagrees with evidence.json: {list}"),
        );
        "differs"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Sha256;
    use crate::evidence::{Media, Original};

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
        let mut findings = Findings::default();
        let probed = Probed {
            media: Some(now),
            findings: Vec::new(),
            pictures: None,
        };
        compare_media(&item(recorded), &probed, &mut findings);
        findings.into_vec().into_iter().map(|f| f.code).collect()
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
