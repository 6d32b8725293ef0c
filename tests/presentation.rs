//! Presentation lengths against ffmpeg: AAC at the phone and music rates (8, 16, 22.05, 44.1 and
//! 48 kHz, in M4A with an edit list), MP3 with a LAME header, Opus in Ogg and in WebM. Each file is
//! made here by ffmpeg; earwitness's decoded frame count must be within one codec frame of the
//! samples ffmpeg's own decode presents (which drops priming and padding), and so must
//! `duration_seconds` of ffprobe's duration (except for MP3, see below).

mod common;

use std::path::Path;
use std::process::Command;

use earwitness::probe::{Depth, probe_file};

/// ffmpeg's decoded length in frames (samples per channel), counted from its s16 output.
fn ffmpeg_frames(path: &Path, channels: u64) -> u64 {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(path)
        .args(["-map", "0:a:0", "-f", "s16le", "-c:a", "pcm_s16le", "-"])
        .output()
        .expect("run ffmpeg");
    assert!(out.status.success(), "ffmpeg failed on {}", path.display());
    out.stdout.len() as u64 / (2 * channels)
}

fn ffprobe_seconds(path: &Path) -> f64 {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("run ffprobe");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("ffprobe duration")
}

/// Makes `name` from a 2.3 s tone with ffmpeg `args` (after the input).
fn make(dir: &Path, name: &str, rate: u32, args: &[&str]) -> std::path::PathBuf {
    let path = dir.join(name);
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-f", "lavfi", "-i"])
        .arg(format!(
            "sine=frequency=440:sample_rate={rate}:duration=2.3"
        ))
        .args(args)
        .arg(&path)
        .status()
        .expect("run ffmpeg");
    assert!(status.success(), "ffmpeg could not make {name}");
    path
}

#[test]
fn presented_length_matches_ffmpeg_within_one_frame() {
    if !common::have_tool("ffmpeg", &["-version"]) || !common::have_tool("ffprobe", &["-version"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // (file, rate, encoder arguments, codec frame in samples)
    let mut cases = Vec::new();
    for rate in [8000, 16000, 22050, 44100, 48000] {
        let name = format!("aac-{rate}.m4a");
        cases.push((
            make(d, &name, rate, &["-c:a", "aac", "-b:a", "32k"]),
            1024u64,
        ));
    }
    cases.push((
        make(
            d,
            "lame-44k.mp3",
            44100,
            &["-c:a", "libmp3lame", "-q:a", "5"],
        ),
        1152,
    ));
    cases.push((
        make(
            d,
            "lame-16k.mp3",
            16000,
            &["-c:a", "libmp3lame", "-b:a", "32k"],
        ),
        576,
    ));
    cases.push((
        make(d, "voice.opus", 16000, &["-c:a", "libopus", "-b:a", "24k"]),
        960,
    ));
    cases.push((
        make(d, "voice.webm", 48000, &["-c:a", "libopus", "-b:a", "24k"]),
        960,
    ));
    let mut problems = Vec::new();
    for (path, frame) in &cases {
        let media = probe_file(path, "x", Depth::Decode).media.expect("media");
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let rate = f64::from(media.sample_rate.expect("rate"));
        let ours = media.decoded_frames.expect("decoded");
        let theirs = ffmpeg_frames(path, u64::from(media.channels.expect("channels")));
        if ours.abs_diff(theirs) > *frame {
            problems.push(format!("{name}: {ours} frames, ffmpeg presents {theirs}"));
        }
        let seconds = media.duration_seconds.expect("duration");
        let probe = ffprobe_seconds(path);
        // ffprobe 5.1's MP3 duration is the Xing frame count, with the LAME delay and padding
        // that its own decode (above) drops: only the decode is compared for MP3.
        if !name.ends_with(".mp3") && (seconds - probe).abs() > *frame as f64 / rate {
            problems.push(format!("{name}: {seconds} s, ffprobe says {probe} s"));
        }
        eprintln!(
            "{name}: earwitness {ours} frames ({seconds:.4} s), ffmpeg {theirs} frames, ffprobe {probe} s; priming {:?}, padding {:?}",
            media.priming_frames, media.padding_frames
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
