//! Probe: what a recording really is — container, codec, sample rate, channels, declared and
//! decoded length, embedded checksum, and tags — with findings for what could not be read. It
//! never fails: a file it cannot read gets `media: null` and a finding that says why.
//!
//! The [`readers`] are tried in order, each recognising its containers by their first bytes;
//! adding a container is one file in `readers/` and one line in [`readers::READERS`]. Probing
//! runs hostile input through third-party decoders, so `seal` and `verify --deep` run it through
//! an [`Executor`] in worker processes ([`worker`]); [`probe_input`] is the in-process entry point
//! the workers (and `inspect`) call.

mod amrdec;
pub mod analysis;
mod decode;
mod executor;
mod input;
mod readers;
mod trim;
pub mod worker;

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::evidence::Media;
use crate::finding::{Finding, code};

pub use executor::{Executor, Job};
pub use input::Input;
pub use readers::symphonia_version;

/// What the probe learned about one file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probed {
    /// The media metadata, or `None` when nothing could be read.
    pub media: Option<Media>,
    /// Problems found.
    pub findings: Vec<Finding>,
    /// The waveform and spectrogram, with [`Depth::Pictures`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pictures: Option<analysis::Pictures>,
}

impl Probed {
    fn nothing(finding: Finding) -> Self {
        Probed {
            media: None,
            findings: vec![finding],
            pictures: None,
        }
    }

    /// No result: nothing read and nothing found (a job that was cancelled).
    pub fn empty() -> Self {
        Probed {
            media: None,
            findings: Vec::new(),
            pictures: None,
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
    /// Also draw the waveform and spectrogram while decoding (for reports).
    Pictures,
}

impl Depth {
    /// Whether this depth decodes the audio.
    pub fn decodes(self) -> bool {
        matches!(self, Depth::Decode | Depth::Pictures)
    }
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
    let mut head = [0u8; readers::HEAD_LEN];
    let n = read_up_to(&mut file, &mut head);
    let head = &head[..n];
    let Some(reader) = readers::READERS.iter().find(|r| r.sniff(head)) else {
        return Probed::nothing(Finding::warning(
            code::FORMAT_UNRECOGNIZED,
            label,
            "no known audio format; the file is archived byte for byte",
        ));
    };
    let result = std::panic::catch_unwind(|| {
        crate::faults::maybe_inject_probe_fault(head);
        reader.probe(input, label, len, depth)
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

pub(crate) fn read_up_to(f: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut filled = 0;
    while filled < buf.len() {
        match f.read(&mut buf[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    filled
}

/// The finding for a recording whose container was read but whose codec earwitness cannot decode.
fn unsupported(label: &str, codec: &str) -> Finding {
    Finding::warning(
        code::AUDIO_DECODE_UNSUPPORTED,
        label,
        format!(
            "earwitness has no decoder for {codec}: the container metadata is recorded, but the audio was not decoded or checked"
        ),
    )
}
