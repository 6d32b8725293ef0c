//! Probe: what a recording really is — container, codec, sample rate, channels, declared length,
//! and tags — with findings for what could not be read. It never fails: a file it cannot read gets
//! `media: null` and a finding that says why.

mod amr;
mod iso;
mod riff;
mod symphonia_probe;

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::evidence::Media;
use crate::finding::{Finding, code};

pub use symphonia_probe::symphonia_version;

/// What the probe learned about one file.
#[derive(Clone, Debug, PartialEq)]
pub struct Probed {
    /// The media metadata, or `None` when nothing could be read.
    pub media: Option<Media>,
    /// Problems found.
    pub findings: Vec<Finding>,
}

impl Probed {
    fn nothing(finding: Finding) -> Self {
        Probed {
            media: None,
            findings: vec![finding],
        }
    }
}

/// Reads the metadata of the file at `path`. `label` names the file in findings.
///
/// The file is opened read-only. A panic inside the decoder library is caught and reported as
/// `audio.decode.crashed`; the caller still archives the file.
pub fn probe_file(path: &Path, label: &str) -> Probed {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            return Probed::nothing(Finding::error(
                code::AUDIO_DECODE_FAILED,
                label,
                format!("could not open the file to read its metadata: {e}"),
            ));
        }
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len == 0 {
        return Probed::nothing(Finding::warning(
            code::FILE_EMPTY,
            label,
            "the file is empty (0 bytes)",
        ));
    }
    let mut head = [0u8; 16];
    let n = read_up_to(&mut file, &mut head);
    let head = &head[..n];

    // symphonia's probe has been seen to report AMR as MP1; the magic is unambiguous, so check it
    // first.
    if amr::sniff(head) {
        return probe_amr(path, label);
    }
    let result = std::panic::catch_unwind(|| symphonia_probe::probe(path, label, len));
    match result {
        Ok(probed) => probed,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Probed::nothing(Finding::warning(
                code::AUDIO_DECODE_CRASHED,
                label,
                format!("the media reader crashed on this file ({what}); it is archived unread"),
            ))
        }
    }
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> usize {
    let mut filled = 0;
    while filled < buf.len() {
        match f.read(&mut buf[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    filled
}

/// The most of an AMR file we read into memory: hours of AMR-NB at 12.2 kbit/s.
const AMR_MAX: u64 = 256 << 20;

fn probe_amr(path: &Path, label: &str) -> Probed {
    let mut data = Vec::new();
    let read = File::open(path).and_then(|f| f.take(AMR_MAX).read_to_end(&mut data));
    if let Err(e) = read {
        return Probed::nothing(Finding::error(
            code::AUDIO_DECODE_FAILED,
            label,
            format!("could not read the AMR file: {e}"),
        ));
    }
    let Some(info) = amr::parse(&data) else {
        return Probed::nothing(Finding::warning(
            code::FORMAT_UNRECOGNIZED,
            label,
            "no known audio format",
        ));
    };
    let samples = info.samples();
    let mut findings = Vec::new();
    if info.trailing_bytes > 0 {
        findings.push(Finding::warning(
            code::AUDIO_TRUNCATED,
            label,
            format!(
                "the last AMR frame is cut off ({} bytes after {} complete frames)",
                info.trailing_bytes, info.frames
            ),
        ));
    }
    Probed {
        media: Some(Media {
            container: "amr".into(),
            codec: Some(info.codec.into()),
            sample_rate: Some(info.sample_rate),
            channels: Some(1),
            bits_per_sample: None,
            declared_frames: Some(samples),
            duration_seconds: Some(samples as f64 / f64::from(info.sample_rate)),
            reader: format!("earwitness {} amr", env!("CARGO_PKG_VERSION")),
            tags: Vec::new(),
        }),
        findings,
    }
}
