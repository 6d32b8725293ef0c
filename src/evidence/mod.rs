//! The evidence manifest, `evidence.json`: what was sealed, by whom, and what each file really is.
//!
//! The types reject unknown fields and duplicate keys, so a parsed manifest means exactly what its
//! bytes say. `docs/FORMAT.md` defines every field.

mod stream;
mod write;

pub use stream::parse_stream;
pub use write::ItemsWriter;

use serde::{Deserialize, Serialize};

use crate::digest::Sha256;
use crate::finding::Finding;

/// The value of the `format` field this version writes and reads.
pub const FORMAT: &str = "earwitness-evidence/1";
/// The file's name at the top of the bag.
pub const FILE_NAME: &str = "evidence.json";

/// The whole manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// Always [`FORMAT`].
    pub format: String,
    /// The case identifier.
    pub case: Option<String>,
    /// Who sealed the bundle.
    pub actor: Option<String>,
    /// The organisation the actor belongs to.
    pub organization: Option<String>,
    /// A free-text note.
    pub note: Option<String>,
    /// When the bundle was sealed, RFC 3339 in UTC.
    pub sealed_at: String,
    /// The software that sealed it.
    pub tool: Tool,
    /// One entry per payload file, in manifest order.
    pub items: Vec<Item>,
}

/// The software that wrote the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    /// `earwitness`.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The version of symphonia that read the media metadata.
    pub symphonia: String,
}

/// One archived file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// The path inside the bag, exactly as in `manifest-sha256.txt` (before its percent-encoding).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the file's bytes.
    pub sha256: Sha256,
    /// Where the file came from.
    pub original: Original,
    /// What earwitness read in the file; `null` when nothing could be read.
    pub media: Option<Media>,
    /// What is wrong or notable about the file. Empty for a clean recording.
    pub findings: Vec<Finding>,
}

/// The original file as the sealer gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Original {
    /// The file name.
    pub name: String,
    /// The path as given on the command line (joined with the part below a folder).
    pub path: String,
    /// The modification time, RFC 3339 in UTC, if the file system reported one.
    pub modified: Option<String>,
}

/// Technical metadata of a recording.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Media {
    /// The container: `wav`, `flac`, `mp3`, `isomp4`, `ogg`, `amr`, ...
    pub container: String,
    /// The codec of the first audio track: `pcm_s16le`, `pcm_alaw`, `mp3`, `aac`, `opus`, `amr_nb`, ...
    pub codec: Option<String>,
    /// Samples per second.
    pub sample_rate: Option<u32>,
    /// Number of channels.
    pub channels: Option<u32>,
    /// Bits per coded sample, where the format declares it.
    pub bits_per_sample: Option<u32>,
    /// The number of frames (samples per channel) the container declares.
    pub declared_frames: Option<u64>,
    /// Frames of encoder priming at the start of the decoded stream that a player does not present
    /// (MP4 edit list or `iTunSMPB`, the LAME header, Opus pre-skip), dropped from
    /// `decoded_frames` and `pcm_sha256`. Absent when the file records none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priming_frames: Option<u64>,
    /// Frames of encoder padding at the end, dropped in the same way. Absent when the file
    /// records none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub padding_frames: Option<u64>,
    /// The duration in seconds: from the decoded frame count where the recording was decoded,
    /// otherwise from the declared one (see `duration_source`).
    pub duration_seconds: Option<f64>,
    /// `decoded` or `declared`: where `duration_seconds` comes from.
    pub duration_source: Option<String>,
    /// Which reader produced the container values, with its version: `symphonia 0.6.1`,
    /// `earwitness 0.1.0 amr`.
    pub reader: String,
    /// The decoder that produced the decoded values, with its version: `symphonia 0.6.1 flac`.
    /// `null` when the recording could not be decoded.
    pub decoder: Option<String>,
    /// Frames that came out of the decoder; `null` when not decoded.
    pub decoded_frames: Option<u64>,
    /// Packets the decoder rejected.
    pub decode_errors: Option<u64>,
    /// Where the first rejected packet was.
    pub first_decode_error: Option<DecodeErrorAt>,
    /// How the stream ended: `clean`, `unexpected_eof` or `error`.
    pub stream_end: Option<String>,
    /// For formats that carry a checksum of the audio (FLAC's MD5): `verified`, `mismatch`, or
    /// `absent` (the field is empty). `null` for formats without one.
    pub embedded_checksum: Option<EmbeddedChecksum>,
    /// SHA-256 of the decoded samples in `pcm_format`; see docs/FORMAT.md. For lossy codecs it
    /// depends on the decoder and its version (`decoder`).
    pub pcm_sha256: Option<Sha256>,
    /// `s32le` (integer samples at their true bit depth) or `f32le` (float samples), interleaved.
    pub pcm_format: Option<String>,
    /// Every tag of every metadata revision, in the order they were read.
    pub tags: Vec<Tag>,
}

impl Media {
    /// Media of `container`, read by `reader`, with nothing else known yet.
    pub fn new(container: &str, reader: String) -> Self {
        Media {
            container: container.to_string(),
            codec: None,
            sample_rate: None,
            channels: None,
            bits_per_sample: None,
            declared_frames: None,
            priming_frames: None,
            padding_frames: None,
            duration_seconds: None,
            duration_source: None,
            reader,
            decoder: None,
            decoded_frames: None,
            decode_errors: None,
            first_decode_error: None,
            stream_end: None,
            embedded_checksum: None,
            pcm_sha256: None,
            pcm_format: None,
            tags: Vec::new(),
        }
    }

    /// Sets `duration_seconds` from the decoded length, or else the declared one.
    pub fn settle_duration(&mut self) {
        let Some(rate) = self.sample_rate.filter(|r| *r > 0) else {
            return;
        };
        let (frames, source) = match (self.decoded_frames, self.declared_frames) {
            (Some(d), _) => (d, "decoded"),
            (None, Some(d)) => (d, "declared"),
            (None, None) => return,
        };
        self.duration_seconds = Some(frames as f64 / f64::from(rate));
        self.duration_source = Some(source.to_string());
    }
}

/// The three honest answers about an embedded checksum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmbeddedChecksum {
    /// The checksum was computed over the decoded audio and matches.
    Verified,
    /// The checksum was computed and does not match.
    Mismatch,
    /// The format carries a checksum field, but it is empty (FLAC's all-zero MD5): nothing to check.
    Absent,
}

/// Integer samples are hashed as signed little-endian values at their true bit depth, each in
/// the fewest whole bytes that hold it (`s8`, `s16le`, `s24le`, `s32le`; a 16-bit sample 0x8000
/// is the two bytes 00 80), interleaved by channel. So the same samples in WAV and FLAC hash
/// the same.
pub const PCM_FORMAT_INT: [&str; 4] = ["s8", "s16le", "s24le", "s32le"];
/// Floating-point samples (lossy decoders) are hashed as 32-bit IEEE-754 little-endian,
/// interleaved by channel.
pub const PCM_FORMAT_FLOAT: &str = "f32le";

/// Where decoding first went wrong.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecodeErrorAt {
    /// Frames decoded before it.
    pub frame: u64,
    /// The same position in seconds, where the sample rate is known.
    pub seconds: Option<f64>,
    /// What the decoder said.
    pub message: String,
}

/// One tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tag {
    /// The standard meaning, where the reader knows it: `title`, `artist`, `date` (any date the
    /// file claims: recording, release or year), `comment`, `encoder`, ...
    pub key: Option<String>,
    /// The key as the file spells it: `TDRC`, `©day`, `DATE`, `ICRD`, ...
    pub raw_key: String,
    /// The value as text.
    pub value: String,
}

/// Why `evidence.json` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// Not JSON, or not of the documented shape (unknown fields and duplicate keys included).
    #[error("evidence.json is not a valid evidence manifest: {0}")]
    Json(#[from] serde_json::Error),
    /// A `format` this version does not read.
    #[error("evidence.json has format {0:?}; this earwitness reads {FORMAT:?}")]
    Format(String),
}

impl Evidence {
    /// Parses the exact bytes of `evidence.json`.
    pub fn parse(bytes: &[u8]) -> Result<Self, EvidenceError> {
        let ev: Evidence = serde_json::from_slice(bytes)?;
        if ev.format != FORMAT {
            return Err(EvidenceError::Format(ev.format));
        }
        Ok(ev)
    }

    /// The bytes written to the bag: pretty JSON with a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("evidence types always serialize");
        out.push(b'\n');
        out
    }
}
