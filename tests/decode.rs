//! Audio truth: what earwitness reads and decodes in every fixture, kept as golden JSON and
//! compared field by field; agreement with ffprobe; and decoder faults isolated in workers.

mod common;

use common::{Scratch, bin, code, fixtures, run, verify_codes};
use earwitness::probe::{Depth, probe_file};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Every recording fixture, good and broken.
fn recordings() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["audio", "broken", "other"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        out.extend(files);
    }
    out
}

/// What a golden file holds: the media object exactly, and the finding codes.
fn observed(path: &Path) -> Value {
    let probed = probe_file(path, "fixture", Depth::Decode);
    let codes: Vec<&str> = probed.findings.iter().map(|f| f.code.as_str()).collect();
    serde_json::json!({ "media": probed.media, "findings": codes })
}

fn golden_path(fixture: &Path) -> PathBuf {
    let dir = fixture.parent().unwrap().file_name().unwrap();
    let name = fixture.file_name().unwrap().to_str().unwrap();
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(dir)
        .join(format!("{name}.json"))
}

/// Lists every field where `got` differs from `want`, by JSON path.
fn diff(path: &str, want: &Value, got: &Value, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                diff(
                    &format!("{path}.{k}"),
                    wv,
                    g.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
            for k in g.keys().filter(|k| !w.contains_key(*k)) {
                out.push(format!("{path}.{k}: not in the golden file"));
            }
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => {
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                diff(&format!("{path}[{i}]"), wv, gv, out);
            }
        }
        _ if want != got => out.push(format!("{path}: expected {want}, got {got}")),
        _ => {}
    }
}

#[test]
fn every_fixture_matches_its_golden_media_json() {
    // EARWITNESS_UPDATE_GOLDEN=1 rewrites the golden files; review the diff before committing.
    let update = std::env::var("EARWITNESS_UPDATE_GOLDEN").as_deref() == Ok("1");
    let mut problems = Vec::new();
    for fixture in recordings() {
        let got = observed(&fixture);
        let golden = golden_path(&fixture);
        if update {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
            continue;
        }
        let want: Value = match std::fs::read(&golden) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap(),
            Err(_) => {
                problems.push(format!(
                    "{}: no golden file {}",
                    fixture.display(),
                    golden.display()
                ));
                continue;
            }
        };
        let mut diffs = Vec::new();
        diff("", &want, &got, &mut diffs);
        for d in diffs {
            problems.push(format!("{}: {d}", fixture.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "media differs from the golden files:\n{}",
        problems.join("\n")
    );
}

#[test]
fn broken_fixtures_get_honest_findings() {
    let codes = |name: &str| -> Vec<String> {
        let p = probe_file(&fixtures().join(name), "x", Depth::Decode);
        p.findings.into_iter().map(|f| f.code).collect()
    };
    let media = |name: &str| {
        probe_file(&fixtures().join(name), "x", Depth::Decode)
            .media
            .unwrap()
    };
    // An MP3 cut at half ends "cleanly" in the decoder; only the length comparison shows it.
    assert_eq!(codes("broken/mp3-truncated-half.mp3"), ["audio.truncated"]);
    let m = media("broken/mp3-truncated-half.mp3");
    assert!(m.decoded_frames.unwrap() < m.declared_frames.unwrap() / 2 + 2048);
    assert_eq!(
        codes("broken/flac-wrong-md5.flac"),
        ["audio.checksum.mismatch"]
    );
    assert_eq!(
        media("broken/flac-wrong-md5.flac").embedded_checksum,
        Some(earwitness::evidence::EmbeddedChecksum::Mismatch)
    );
    // An all-zero MD5 means no checksum: never "verified".
    assert!(codes("broken/flac-zero-md5.flac").is_empty());
    assert_eq!(
        media("broken/flac-zero-md5.flac").embedded_checksum,
        Some(earwitness::evidence::EmbeddedChecksum::Absent)
    );
    assert!(
        codes("broken/flac-flipped-audio-byte.flac")
            .contains(&"audio.checksum.mismatch".to_string())
    );
    assert!(codes("broken/flac-truncated.flac").contains(&"audio.truncated".to_string()));
    assert!(codes("broken/wav-truncated.wav").contains(&"audio.truncated".to_string()));
    // A data chunk that claims more bytes than the file has: the samples there are read, and
    // the file is called truncated (it was refused as unreadable before earwitness read WAV
    // itself).
    assert_eq!(codes("broken/wav-huge-data-size.wav"), ["audio.truncated"]);
    // The good FLAC's MD5 is really checked.
    assert_eq!(
        media("audio/music-44k-stereo.flac").embedded_checksum,
        Some(earwitness::evidence::EmbeddedChecksum::Verified)
    );
    // Clean recordings have no findings.
    for clean in [
        "audio/call-8k-pcm16.wav",
        "audio/call-8k.amr",
        "audio/call-8k.3gp",
        "audio/call-8k-alaw.wav",
        "audio/call-8k-ulaw.wav",
        "audio/call-16k.mp3",
        "audio/call-16k.m4a",
        "audio/music-44k-stereo.flac",
        "audio/music-44k-stereo.ogg",
        "audio/music-48k-24bit.wav",
        "audio/voice-note-16k.opus",
    ] {
        assert!(codes(clean).is_empty(), "{clean}: {:?}", codes(clean));
    }
}

#[test]
fn pcm_hash_survives_remuxing_lossless_audio() {
    // The same samples in FLAC and re-muxed into WAV (tags dropped) hash the same: the hash is of
    // the audio, not of the file.
    let flac = media_of("audio/music-44k-stereo.flac");
    let wav = media_of("audio/music-44k-stereo-remux.wav");
    assert_eq!(flac.pcm_format.as_deref(), Some("s16le"));
    assert!(flac.pcm_sha256.is_some());
    assert_eq!(
        flac.pcm_sha256, wav.pcm_sha256,
        "re-muxing changed the audio hash"
    );
    assert_eq!(
        flac.pcm_sha256,
        media_of("broken/flac-wrong-md5.flac").pcm_sha256
    );
    assert_ne!(
        flac.pcm_sha256,
        media_of("broken/flac-flipped-audio-byte.flac").pcm_sha256
    );
}

fn media_of(name: &str) -> earwitness::evidence::Media {
    probe_file(&fixtures().join(name), "x", Depth::Decode)
        .media
        .unwrap()
}

/// Tolerance for duration agreement with ffprobe: 0.12 s. ffprobe counts MP3 encoder delay and
/// padding and AAC priming that the decoder trims, up to about 0.1 s on these files.
const DURATION_TOLERANCE: f64 = 0.12;

#[test]
fn agrees_with_ffprobe() {
    let table = std::fs::read_to_string(fixtures().join("ffprobe.tsv")).unwrap();
    let mut checked = 0;
    for line in table.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [file, codec, rate, channels, duration, packets] = cols[..] else {
            panic!("bad ffprobe.tsv line {line:?}");
        };
        let m = media_of(file);
        assert_eq!(m.codec.as_deref(), Some(codec), "{file}: codec");
        assert_eq!(
            m.sample_rate.map(|r| r.to_string()).as_deref(),
            Some(rate),
            "{file}: sample rate"
        );
        assert_eq!(
            m.channels.map(|c| c.to_string()).as_deref(),
            Some(channels),
            "{file}: channels"
        );
        let mut want: f64 = duration.parse().unwrap();
        if m.container == "amr" {
            // Raw AMR has no length field: ffprobe's duration is a bit-rate estimate; its packet
            // count is the measurement (20 ms each).
            want = packets.parse::<f64>().unwrap() * 0.02;
        }
        let got = m.duration_seconds.unwrap();
        assert!(
            (got - want).abs() <= DURATION_TOLERANCE,
            "{file}: duration {got} vs ffprobe {want}"
        );
        checked += 1;
    }
    assert!(checked >= 10);
}

#[test]
fn decoder_crashes_and_hangs_are_isolated_in_workers() {
    let s = Scratch::new();
    let key = s.keygen("officer");
    let out_path = s.path("faults.zip");
    let start = std::time::Instant::now();
    let out = run(bin()
        .env(earwitness::faults::FAULT_ENV, "1")
        .args([
            "seal",
            "--jobs",
            "1",
            "--decode-timeout",
            "2",
            "--decode-memory",
            "256",
            "--key",
        ])
        .arg(&key)
        .arg("--out")
        .arg(&out_path)
        .arg(fixtures().join("faults"))
        .arg(fixtures().join("audio/call-8k-pcm16.wav")));
    assert_eq!(code(&out), 0, "the archiver itself must survive");
    assert!(start.elapsed().as_secs() < 60, "the hangs were not cut off");
    let evidence: Value = serde_json::from_slice(
        &common::read_zip(&out_path)
            .into_iter()
            .find(|(n, _)| n.ends_with("/evidence.json"))
            .unwrap()
            .1,
    )
    .unwrap();
    let first_code = |name: &str| -> String {
        let item = evidence["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["path"].as_str().unwrap().ends_with(name))
            .unwrap();
        item["findings"][0]["code"]
            .as_str()
            .unwrap_or("none")
            .to_string()
    };
    assert_eq!(first_code("faults/panic.bin"), "audio.decode.crashed");
    assert_eq!(first_code("faults/abort.bin"), "audio.decode.crashed");
    assert_eq!(first_code("faults/oom.bin"), "audio.decode.crashed");
    assert_eq!(first_code("faults/hang.bin"), "audio.decode.timeout");
    assert_eq!(first_code("faults/spin.bin"), "audio.decode.timeout");
    // The worker was replaced: the recording after the faults was decoded normally.
    let wav = evidence["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with("call-8k-pcm16.wav"))
        .unwrap();
    assert_eq!(wav["media"]["decoded_frames"], 28000);
    assert_eq!(wav["findings"].as_array().unwrap().len(), 0);
    let (c, codes) = verify_codes(
        &out_path,
        &["--trust", key.with_extension("pub").to_str().unwrap()],
    );
    assert_eq!(c, 0, "{codes:?}");
}

#[test]
fn verify_deep_decodes_again_and_agrees() {
    let s = Scratch::new();
    let key = s.keygen("officer");
    let bundle = s.seal(
        &key,
        "deep",
        &[fixtures().join("audio"), fixtures().join("broken")],
    );
    let trust = key.with_extension("pub");
    let (c, codes) = verify_codes(&bundle, &["--deep", "--trust", trust.to_str().unwrap()]);
    assert_eq!(c, 0, "{codes:?}");
    assert!(codes.is_empty(), "{codes:?}");
    // An unzipped folder is decoded in place too.
    let dir = s.path("unzipped");
    common::unzip(&bundle, &dir);
    let (c, codes) = verify_codes(
        &dir.join("deep"),
        &["--deep", "--trust", trust.to_str().unwrap()],
    );
    assert_eq!(c, 0, "{codes:?}");
    assert!(codes.is_empty(), "{codes:?}");
}

#[test]
fn verify_deep_says_when_it_could_not_decode_a_compressed_entry() {
    let vectors = fixtures().join("vectors");
    let (c, codes) = verify_codes(
        &vectors.join("rezipped-deflate.zip"),
        &[
            "--deep",
            "--trust",
            vectors.join("key.pub").to_str().unwrap(),
        ],
    );
    assert_eq!(c, 0, "a re-zipped bundle is still intact: {codes:?}");
    assert!(codes.iter().any(|c| c == "media.unchecked"), "{codes:?}");
}
