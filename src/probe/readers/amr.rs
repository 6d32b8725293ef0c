//! AMR-NB and AMR-WB in their storage format (RFC 4867 §5, the `#!AMR` magic), which symphonia
//! cannot read: we walk the frame headers ourselves to count frames and measure the duration.

use std::io::Read;

use crate::evidence::Media;
use crate::finding::{Finding, code};
use crate::probe::{Depth, Input, Probed};

/// `#!AMR\n`: AMR-NB, single channel.
pub const MAGIC_NB: &[u8] = b"#!AMR\n";
/// `#!AMR-WB\n`: AMR-WB, single channel.
pub const MAGIC_WB: &[u8] = b"#!AMR-WB\n";

/// Frame sizes in bytes, including the one-byte frame header, by frame type (RFC 4867 §5.3 with
/// 3GPP TS 26.101 and 26.201). Reserved types carry no data.
const NB_SIZES: [usize; 16] = [13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1];
const WB_SIZES: [usize; 16] = [18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 1, 1, 1, 1, 1, 1];

/// What the frame walk found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmrInfo {
    /// `amr_nb` or `amr_wb`.
    pub codec: &'static str,
    /// 8000 for AMR-NB, 16000 for AMR-WB.
    pub sample_rate: u32,
    /// Complete frames, 20 ms each.
    pub frames: u64,
    /// Bytes after the last complete frame (a cut-off frame), 0 when the file ends cleanly.
    pub trailing_bytes: u64,
}

impl AmrInfo {
    /// Samples per channel: 160 (NB) or 320 (WB) per frame.
    pub fn samples(&self) -> u64 {
        self.frames * u64::from(self.sample_rate / 50)
    }
}

/// Recognises the AMR storage format by its magic.
pub fn sniff(head: &[u8]) -> bool {
    head.starts_with(MAGIC_NB) || head.starts_with(MAGIC_WB)
}

/// Walks an AMR file's frames. Returns `None` if `data` is not AMR storage format.
pub fn parse(data: &[u8]) -> Option<AmrInfo> {
    let (codec, rate, sizes, mut pos) = if data.starts_with(MAGIC_WB) {
        ("amr_wb", 16000, &WB_SIZES, MAGIC_WB.len())
    } else if data.starts_with(MAGIC_NB) {
        ("amr_nb", 8000, &NB_SIZES, MAGIC_NB.len())
    } else {
        return None;
    };
    let mut frames = 0u64;
    while pos < data.len() {
        let frame_type = usize::from((data[pos] >> 3) & 0x0F);
        let size = sizes[frame_type];
        if pos + size > data.len() {
            break;
        }
        pos += size;
        frames += 1;
    }
    Some(AmrInfo {
        codec,
        sample_rate: rate,
        frames,
        trailing_bytes: (data.len() - pos) as u64,
    })
}

/// The most of an AMR file we read into memory: hours of AMR-NB at 12.2 kbit/s.
const AMR_MAX: u64 = 256 << 20;

/// The AMR storage format reader.
pub struct Amr;

impl super::Reader for Amr {
    fn sniff(&self, head: &[u8]) -> bool {
        sniff(head)
    }

    fn probe(&self, input: &Input, label: &str, _len: u64, depth: Depth) -> Probed {
        probe_amr(input, label, depth)
    }
}

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
    let Some(info) = parse(&data) else {
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
    if depth.decodes() {
        findings.push(super::super::unsupported(label, info.codec));
    }
    Probed {
        media: Some(media),
        findings,
        pictures: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_frames_and_a_cut_frame() {
        let mut data = MAGIC_NB.to_vec();
        // Two 12.2 kbit/s frames (type 7, 32 bytes each) and a cut-off third one.
        for _ in 0..2 {
            data.push(7 << 3 | 0x04);
            data.extend([0u8; 31]);
        }
        data.push(7 << 3);
        data.extend([0u8; 5]);
        let info = parse(&data).unwrap();
        assert_eq!(info.frames, 2);
        assert_eq!(info.trailing_bytes, 6);
        assert_eq!(info.samples(), 320);
        assert!(parse(b"RIFF").is_none());
    }
}
