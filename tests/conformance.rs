//! The committed conformance subset (fixtures/conformance/): every file is probed and judged
//! against the reference tools' answers stored in `expected.tsv` (ffprobe/ffmpeg and libFLAC, by
//! scripts/conformance.sh), by the same rules as the script: codec family, sample rate, channels,
//! decoded length within one codec frame, and damage flagged exactly when the references see it.
//! Each file's verdict must equal the `verdict` column, so a regression fails, and so does a fix
//! until docs/CONFORMANCE.md and the column are brought up to date.

use std::path::{Path, PathBuf};

use earwitness::probe::{Depth, probe_file};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformance")
}

const DAMAGE: &[&str] = &[
    "audio.truncated",
    "audio.decode.failed",
    "audio.checksum.mismatch",
    "audio.length.mismatch",
    "audio.decode.crashed",
];
const UNSUPPORTED: &[&str] = &[
    "audio.decode.unsupported",
    "format.unrecognized",
    "format.no_audio",
];

/// The codec family of an ffmpeg or earwitness codec name (scripts/conformance.sh `family`).
fn family(name: &str) -> String {
    let n = name.to_lowercase();
    if n.starts_with("pcm") {
        return if n.contains("mulaw") || n.contains("ulaw") {
            "mulaw".into()
        } else if n.contains("alaw") {
            "alaw".into()
        } else {
            "pcm".into()
        };
    }
    if n.starts_with("aac") {
        return "aac".into();
    }
    if n.starts_with("adpcm") {
        return "adpcm".into();
    }
    n
}

/// One codec frame, in samples (scripts/conformance.sh `frame_tolerance`).
fn tolerance(family: &str, rate: u64) -> u64 {
    match family {
        "pcm" | "mulaw" | "alaw" => 1,
        "mp3" if rate >= 32000 => 1152,
        "mp3" => 576,
        "mp2" => 1152,
        "mp1" => 384,
        "aac" => 1024,
        "flac" => 4608,
        "opus" => 960,
        "alac" => 4096,
        "amr_nb" | "amr_wb" => 320,
        _ => 2048,
    }
}

struct Row {
    file: String,
    codec: String,
    rate: Option<u64>,
    channels: Option<u64>,
    frames: Option<u64>,
    damage: bool,
    verdict: String,
}

fn rows() -> Vec<Row> {
    let text = std::fs::read_to_string(dir().join("expected.tsv")).expect("expected.tsv");
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("expected.tsv has no column {name}"))
    };
    let (file, codec, rate, ch, frames, damage, verdict) = (
        col("file"),
        col("codec"),
        col("sample_rate"),
        col("channels"),
        col("ref_frames"),
        col("ref_damage"),
        col("verdict"),
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Row {
                file: f[file].to_string(),
                codec: f[codec].to_string(),
                rate: f[rate].parse().ok(),
                channels: f[ch].parse().ok(),
                frames: f[frames].parse().ok(),
                damage: f[damage] == "yes",
                verdict: f[verdict].to_string(),
            }
        })
        .collect()
}

/// AGREE, AGREE(no-audio), UNSUPPORTED or DISAGREE, and why.
fn judge(row: &Row) -> (String, String) {
    let probed = probe_file(&dir().join(&row.file), &row.file, Depth::Decode);
    let codes: Vec<&str> = probed.findings.iter().map(|f| f.code.as_str()).collect();
    let ew_damage = codes.iter().any(|c| DAMAGE.contains(c));
    let media = probed.media.as_ref();
    let decoded = media.and_then(|m| m.decoded_frames);
    let mut problems = Vec::new();
    if row.codec == "-" && row.rate.is_none() {
        if !ew_damage && decoded.is_some_and(|d| d > 0) {
            problems.push("decoded audio the reference does not find".to_string());
        }
        let verdict = if problems.is_empty() {
            "AGREE(no-audio)"
        } else {
            "DISAGREE"
        };
        return (verdict.into(), problems.join("; "));
    }
    let fam = family(&row.codec);
    if let Some(c) = media.and_then(|m| m.codec.as_deref())
        && c != "unknown"
        && row.codec != "-"
        && family(c) != fam
    {
        problems.push(format!("codec {c} vs {}", row.codec));
    }
    let unsupported = codes.iter().any(|c| UNSUPPORTED.contains(c)) || media.is_none();
    if decoded.is_none() && (unsupported || ew_damage) {
        if ew_damage && !row.damage {
            problems.push(format!("calls an intact file unreadable: {codes:?}"));
        }
        let verdict = match (problems.is_empty(), ew_damage) {
            (false, _) => "DISAGREE",
            (true, true) => "AGREE",
            (true, false) => "UNSUPPORTED",
        };
        return (verdict.into(), problems.join("; "));
    }
    let rate = media.and_then(|m| m.sample_rate).map(u64::from);
    if rate != row.rate {
        problems.push(format!("rate {rate:?} vs {:?}", row.rate));
    }
    let channels = media.and_then(|m| m.channels).map(u64::from);
    if channels != row.channels {
        problems.push(format!("channels {channels:?} vs {:?}", row.channels));
    }
    if let (Some(d), Some(r)) = (decoded, row.frames) {
        let tol = tolerance(&fam, row.rate.unwrap_or(0));
        if d.abs_diff(r) > tol {
            problems.push(format!("length {d} vs {r} (tolerance {tol})"));
        }
    }
    if ew_damage != row.damage {
        problems.push(format!(
            "damage: earwitness {ew_damage} ({codes:?}), reference {}",
            row.damage
        ));
    }
    let verdict = if problems.is_empty() {
        "AGREE"
    } else {
        "DISAGREE"
    };
    (verdict.into(), problems.join("; "))
}

#[test]
fn the_conformance_subset_keeps_its_verdicts() {
    let rows = rows();
    assert!(rows.len() >= 50, "only {} rows in expected.tsv", rows.len());
    let mut changed = Vec::new();
    let mut agree = 0;
    for row in &rows {
        let (verdict, why) = judge(row);
        if verdict.starts_with("AGREE") {
            agree += 1;
        }
        if verdict != row.verdict {
            changed.push(format!(
                "{}: expected {}, now {verdict} {why}",
                row.file, row.verdict
            ));
        }
    }
    eprintln!("conformance subset: {agree}/{} agree", rows.len());
    assert!(
        changed.is_empty(),
        "verdicts changed (a regression, or a fix: then update the verdict column of \
         fixtures/conformance/expected.tsv and docs/CONFORMANCE.md):\n{}",
        changed.join("\n")
    );
}

#[test]
fn sources_list_every_file_with_its_hash() {
    let sources = std::fs::read_to_string(dir().join("SOURCES")).expect("SOURCES");
    let listed: Vec<(String, String)> = sources
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 6, "SOURCES row without 6 columns: {l}");
            (f[0].to_string(), f[5].to_string())
        })
        .collect();
    for (file, sha) in &listed {
        let bytes = std::fs::read(dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let got = earwitness::digest::Sha256::of(&bytes).to_string();
        assert_eq!(&got, sha, "{file}: SHA-256 differs from SOURCES");
    }
    let rows = rows();
    for row in &rows {
        assert!(
            listed.iter().any(|(f, _)| *f == row.file),
            "{} is in expected.tsv but not in SOURCES",
            row.file
        );
    }
    assert_eq!(listed.len(), rows.len(), "SOURCES and expected.tsv differ");
}
