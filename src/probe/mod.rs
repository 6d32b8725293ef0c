//! Probe: what a recording really is — container, codec, sample rate, channels, declared and
//! decoded length, embedded checksum, and tags — with findings for what could not be read. It
//! never fails: a file it cannot read gets `media: null` and a finding that says why.
//!
//! Probing runs hostile input through third-party decoders, so `seal` runs it in worker processes
//! ([`worker`]); [`probe_file`] is the in-process entry point the workers (and `inspect`) call.

mod amr;
mod decode;
mod input;
mod iso;
mod riff;
mod symphonia_probe;
pub mod worker;

use std::io::Read;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

use crate::evidence::Media;
use crate::finding::{Finding, code};

pub use decode::{EmbeddedChecksum, PCM_FORMAT_FLOAT, PCM_FORMAT_INT};
pub use input::Input;
pub use symphonia_probe::symphonia_version;

/// What the probe learned about one file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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

/// Where recordings are probed and decoded.
#[derive(Clone, Debug)]
pub enum ProbeIn {
    /// In worker processes running `program` (the earwitness binary), with limits. A decoder crash
    /// or hang cannot take the archiver down.
    Workers {
        /// The earwitness binary.
        program: std::path::PathBuf,
        /// Memory, CPU and time limits.
        limits: worker::Limits,
    },
    /// In threads of this process: a panic is caught, but an abort or a hang is not. For tests and
    /// for library users who accept that.
    Threads,
}

impl ProbeIn {
    /// Probes every job on `parallel` workers or threads; results come back in job order. Once
    /// `cancel` is set, no further job is started (their results are empty).
    pub fn run(
        &self,
        jobs: &[worker::Job],
        depth: Depth,
        parallel: usize,
        cancel: &AtomicBool,
    ) -> Vec<Probed> {
        match self {
            ProbeIn::Workers { program, limits } => {
                worker::Pool::new(program.clone(), parallel, limits.clone())
                    .probe_all(jobs, depth, cancel)
            }
            ProbeIn::Threads => worker::in_threads(jobs, depth, parallel, cancel),
        }
    }
}

/// How much work the probe does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Depth {
    /// Container, codec parameters and tags only.
    Metadata,
    /// Also decode every frame of the first audio track.
    Decode,
}

/// Reads the metadata of the file at `path` (and decodes it, with [`Depth::Decode`]). `label`
/// names the file in findings.
///
/// The file is opened read-only. A panic inside the decoder library is caught and reported as
/// `audio.decode.crashed`; an abort or a hang is not catchable in-process, which is why `seal`
/// calls this in a worker process.
pub fn probe_file(path: &Path, label: &str, depth: Depth) -> Probed {
    probe_input(&Input::file(path), label, depth)
}

/// [`probe_file`] for any [`Input`]: a whole file or a window of one.
pub fn probe_input(input: &Input, label: &str, depth: Depth) -> Probed {
    let mut file = match input.open() {
        Ok(f) => f,
        Err(e) => {
            return Probed::nothing(Finding::error(
                code::AUDIO_DECODE_FAILED,
                label,
                format!("could not open the file to read its metadata: {e}"),
            ));
        }
    };
    let len = file.len();
    if len == 0 {
        return Probed::nothing(Finding::warning(
            code::FILE_EMPTY,
            label,
            "the file is empty (0 bytes)",
        ));
    }
    let mut head = [0u8; 32];
    let n = read_up_to(&mut file, &mut head);
    let head = &head[..n];

    // symphonia's probe has been seen to report AMR as MP1; the magic is unambiguous, so check it
    // first.
    if amr::sniff(head) {
        return probe_amr(input, label, depth);
    }
    let result = std::panic::catch_unwind(|| {
        worker::maybe_inject_fault(head);
        symphonia_probe::probe(input, label, len, depth)
    });
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

fn read_up_to(f: &mut impl Read, buf: &mut [u8]) -> usize {
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

fn probe_amr(input: &Input, label: &str, depth: Depth) -> Probed {
    let mut data = Vec::new();
    let read = input
        .open()
        .and_then(|f| f.take(AMR_MAX).read_to_end(&mut data));
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
    let mut media = Media::new(
        "amr",
        format!("earwitness {} amr", env!("CARGO_PKG_VERSION")),
    );
    media.codec = Some(info.codec.into());
    media.sample_rate = Some(info.sample_rate);
    media.channels = Some(1);
    media.declared_frames = Some(info.samples());
    media.settle_duration();
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
    if depth == Depth::Decode {
        findings.push(unsupported(label, info.codec));
    }
    Probed {
        media: Some(media),
        findings,
    }
}

fn unsupported(label: &str, codec: &str) -> Finding {
    Finding::warning(
        code::AUDIO_DECODE_UNSUPPORTED,
        label,
        format!(
            "earwitness has no decoder for {codec}: the container metadata is recorded, but the audio was not decoded or checked"
        ),
    )
}
