//! AMR-NB and AMR-WB in their storage format (RFC 4867 §5, the `#!AMR` magic), which symphonia
//! cannot read: we walk the frame headers ourselves, streaming (a file of any size is read in
//! small pieces), to count frames and measure the duration, and decode them with
//! [`super::super::amrdec`].

use std::io::{self, BufReader, Read};

use crate::evidence::Media;
use crate::finding::{Finding, code};
use crate::probe::amrdec::{AmrStream, Variant};
use crate::probe::decode::{Picture, StreamEnd};
use crate::probe::{Depth, Input, Probed};

/// `#!AMR\n`: AMR-NB, single channel.
pub const MAGIC_NB: &[u8] = b"#!AMR\n";
/// `#!AMR-WB\n`: AMR-WB, single channel.
pub const MAGIC_WB: &[u8] = b"#!AMR-WB\n";

/// Recognises the AMR storage format by its magic.
pub fn sniff(head: &[u8]) -> bool {
    head.starts_with(MAGIC_NB) || head.starts_with(MAGIC_WB)
}

/// What the frame walk found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmrInfo {
    /// NB or WB.
    pub variant: Variant,
    /// Complete frames, 20 ms each.
    pub frames: u64,
    /// Bytes after the last complete frame (a cut-off frame), 0 when the file ends cleanly.
    pub trailing_bytes: u64,
    /// A read error that stopped the walk.
    pub error: Option<String>,
}

impl AmrInfo {
    /// Samples per channel: 160 (NB) or 320 (WB) per frame.
    pub fn samples(&self) -> u64 {
        self.frames * self.variant.frame_samples() as u64
    }
}

/// Walks an AMR storage file from its start, handing each complete frame (the variant, its
/// header byte and its payload) to `frame`. Returns `None` if `r` does not start with an AMR
/// magic.
pub fn walk(r: impl Read, mut frame: impl FnMut(Variant, u8, &[u8])) -> Option<AmrInfo> {
    let mut r = BufReader::with_capacity(64 << 10, r);
    let mut magic = [0u8; 9];
    let got = read_full(&mut r, &mut magic[..MAGIC_NB.len()]).ok()?;
    if magic[..got] != *MAGIC_NB {
        // `#!AMR-W`: read the rest of the wideband magic.
        let more = read_full(&mut r, &mut magic[got..]).ok()?;
        if magic[..got + more] != *MAGIC_WB {
            return None;
        }
    }
    let variant = if magic.starts_with(MAGIC_WB) {
        Variant::Wb
    } else {
        Variant::Nb
    };
    let mut info = AmrInfo {
        variant,
        frames: 0,
        trailing_bytes: 0,
        error: None,
    };
    let mut buf = [0u8; 64];
    loop {
        let got = match read_full(&mut r, &mut buf[..1]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                info.error = Some(e.to_string());
                break;
            }
        };
        let header = buf[0];
        let n = variant.payload_len(header);
        let payload = &mut buf[1..=n];
        match read_full(&mut r, payload) {
            Ok(m) if m == n => {}
            Ok(m) => {
                info.trailing_bytes = (got + m) as u64;
                break;
            }
            Err(e) => {
                info.error = Some(e.to_string());
                break;
            }
        }
        frame(variant, header, payload);
        info.frames += 1;
    }
    Some(info)
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

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
    let file = match input.open() {
        Ok(f) => f,
        Err(e) => {
            return Probed::nothing(Finding::error(
                code::AUDIO_DECODE_FAILED,
                label,
                format!("could not read the AMR file: {e}"),
            ));
        }
    };
    // The decoder starts at the first frame, when the walk knows the variant.
    let mut stream: Option<AmrStream> = None;
    let picture = Picture {
        wanted: depth == Depth::Pictures,
        expected_frames: None,
    };
    let walked = walk(file, |variant, header, payload| {
        if depth.decodes() {
            stream
                .get_or_insert_with(|| AmrStream::new(variant, picture))
                .push_frame(header, payload);
        }
    });
    let Some(info) = walked else {
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
    media.codec = Some(info.variant.codec().into());
    media.sample_rate = Some(info.variant.sample_rate());
    media.channels = Some(1);
    media.declared_frames = Some(info.samples());
    let mut findings = Vec::new();
    let mut pictures = None;
    if depth.decodes() {
        let stream = stream.unwrap_or_else(|| AmrStream::new(info.variant, picture));
        let end = match (&info.error, info.trailing_bytes) {
            (Some(e), _) => StreamEnd::Error(e.clone()),
            (None, 0) => StreamEnd::Clean,
            (None, _) => StreamEnd::UnexpectedEof,
        };
        let frames = stream.frames();
        let (mut decoded, unusable) = stream.finish(end);
        pictures = decoded.pictures.take();
        findings.extend(super::symphonia::record_decode(&mut media, decoded, label));
        findings.extend(unusable.finding(label, frames));
    } else {
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
        if let Some(e) = &info.error {
            findings.push(Finding::warning(
                code::AUDIO_DECODE_FAILED,
                label,
                format!("reading the AMR frames stopped with an error: {e}"),
            ));
        }
    }
    media.settle_duration();
    Probed {
        media: Some(media),
        findings,
        pictures,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk_bytes(data: &[u8]) -> Option<(AmrInfo, Vec<u8>)> {
        let mut headers = Vec::new();
        let info = walk(data, |_, h, _| headers.push(h))?;
        Some((info, headers))
    }

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
        let (info, headers) = walk_bytes(&data).unwrap();
        assert_eq!(info.variant, Variant::Nb);
        assert_eq!(info.frames, 2);
        assert_eq!(headers.len(), 2);
        assert_eq!(info.trailing_bytes, 6);
        assert_eq!(info.samples(), 320);
        assert!(walk_bytes(b"RIFF").is_none());
        assert!(walk_bytes(b"#!AMR-X\n").is_none());
        assert!(walk_bytes(b"#!AM").is_none());
    }

    #[test]
    fn wideband_and_reserved_types() {
        let mut data = MAGIC_WB.to_vec();
        // WB 23.85 (type 8, 61 bytes), NO_DATA (1 byte), reserved type 12 (1 byte), SID (6).
        data.push(8 << 3 | 4);
        data.extend([0u8; 60]);
        data.push(15 << 3 | 4);
        data.push(12 << 3 | 4);
        data.push(9 << 3 | 4);
        data.extend([0u8; 5]);
        let (info, headers) = walk_bytes(&data).unwrap();
        assert_eq!(info.variant, Variant::Wb);
        assert_eq!(info.frames, 4);
        assert_eq!(info.trailing_bytes, 0);
        assert_eq!(headers, [8 << 3 | 4, 15 << 3 | 4, 12 << 3 | 4, 9 << 3 | 4]);
        assert_eq!(info.samples(), 4 * 320);
    }
}
