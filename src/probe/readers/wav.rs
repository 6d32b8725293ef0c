//! WAV files symphonia cannot read or reads wrongly: RF64 and BW64 (EBU Tech 3306, the `ds64`
//! chunk), RIFX (big-endian), integer PCM of depths that are not whole bytes (12, 20 bits) or
//! stored in wider slots (24 valid bits in 4 bytes), `WAVE_FORMAT_EXTENSIBLE` with a zero "valid
//! bits" field, and chunk sizes that disagree with the file. Integer and float PCM only; other
//! codecs stay with symphonia.

use std::io::{self, Read, Seek, SeekFrom};

use sha2::{Digest, Sha256 as Sha256Hasher};

use crate::digest::Sha256;
use crate::evidence::{Media, PCM_FORMAT_FLOAT, Tag};
use crate::finding::{Finding, code};
use crate::probe::decode::{Decoded, Picture, StreamEnd};
use crate::probe::{Depth, Input, Probed};

/// The most chunks we step over before giving up (a crafted file could have millions).
const MAX_CHUNKS: usize = 4096;

/// What the header chunks declare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wav {
    /// Big-endian samples (RIFX).
    pub big_endian: bool,
    /// IEEE float samples (format 3, or the extensible float sub-format).
    pub float: bool,
    /// Channels, frames a second, bytes a frame.
    pub channels: u16,
    /// See `channels`.
    pub rate: u32,
    /// See `channels`.
    pub block_align: u16,
    /// The true bit depth of each sample.
    pub valid_bits: u32,
    /// Where the sample data starts, and how many bytes the `data` chunk (or `ds64`) declares.
    pub data_start: u64,
    /// See `data_start`.
    pub data_len: u64,
}

impl Wav {
    /// Bytes a sample slot.
    pub(super) fn width(&self) -> usize {
        usize::from(self.block_align) / usize::from(self.channels.max(1))
    }

    /// Whether symphonia reads this file as it is: plain RIFF, whole-byte samples filling their
    /// slots, and a `data` chunk within the file.
    pub fn symphonia_reads(&self, file_len: u64) -> bool {
        let w = self.width();
        !self.big_endian
            && w * usize::from(self.channels) == usize::from(self.block_align)
            && self.valid_bits == w as u32 * 8
            && matches!(w, 1..=4)
            && self.data_start + self.data_len <= file_len
            && self.data_len > 0
    }

    /// The ffmpeg-style codec name.
    fn codec(&self) -> String {
        let e = if self.big_endian { "be" } else { "le" };
        match (self.float, self.width()) {
            (true, w) => format!("pcm_f{}{e}", w * 8),
            (false, 1) => "pcm_u8".into(),
            (false, w) => format!("pcm_s{}{e}", w * 8),
        }
    }

    /// The hashed sample format.
    pub(super) fn pcm_format(&self) -> &'static str {
        if self.float {
            return PCM_FORMAT_FLOAT;
        }
        match self.valid_bits.div_ceil(8) {
            1 => "s8",
            2 => "s16le",
            3 => "s24le",
            _ => "s32le",
        }
    }
}

fn le16(b: &[u8], at: usize, be: bool) -> u16 {
    let x = [
        b.get(at).copied().unwrap_or(0),
        b.get(at + 1).copied().unwrap_or(0),
    ];
    if be {
        u16::from_be_bytes(x)
    } else {
        u16::from_le_bytes(x)
    }
}

fn le32(b: &[u8], at: usize, be: bool) -> u32 {
    let mut x = [0u8; 4];
    for (i, v) in x.iter_mut().enumerate() {
        *v = b.get(at + i).copied().unwrap_or(0);
    }
    if be {
        u32::from_be_bytes(x)
    } else {
        u32::from_le_bytes(x)
    }
}

/// Reads the header chunks of a RIFF, RIFX, RF64 or BW64 WAVE file. `Ok(None)`: not one, or not
/// integer or float PCM.
pub fn read_header<R: Read + Seek>(f: &mut R, file_len: u64) -> io::Result<Option<Wav>> {
    let Some((fmt, be, data_start, data_len)) = read_chunks(f, file_len)? else {
        return Ok(None);
    };
    Ok(parse_fmt(&fmt, be).map(|mut w| {
        w.data_start = data_start;
        w.data_len = data_len;
        w
    }))
}

/// Where the `data` chunk of a WAVE file is: its start and declared length, clamped to the file.
pub fn data_window<R: Read + Seek>(f: &mut R, file_len: u64) -> Option<(u64, u64)> {
    let (_, _, start, len) = read_chunks(f, file_len).ok()??;
    Some((start, len.min(file_len.saturating_sub(start))))
}

/// The `fmt ` chunk body, whether the file is big-endian, and the `data` chunk's start and
/// declared length.
type Chunks = (Vec<u8>, bool, u64, u64);

/// Reads the [`Chunks`] of a WAVE file.
fn read_chunks<R: Read + Seek>(f: &mut R, file_len: u64) -> io::Result<Option<Chunks>> {
    let mut hdr = [0u8; 12];
    f.seek(SeekFrom::Start(0))?;
    if f.read_exact(&mut hdr).is_err() || &hdr[8..12] != b"WAVE" {
        return Ok(None);
    }
    let be = match &hdr[0..4] {
        b"RIFF" | b"RF64" | b"BW64" => false,
        b"RIFX" => true,
        _ => return Ok(None),
    };
    let mut ds64_data: Option<u64> = None;
    let mut fmt: Option<Vec<u8>> = None;
    let mut pos = 12u64;
    for _ in 0..MAX_CHUNKS {
        if pos + 8 > file_len {
            break;
        }
        let mut ch = [0u8; 8];
        f.seek(SeekFrom::Start(pos))?;
        f.read_exact(&mut ch)?;
        let size = u64::from(le32(&ch, 4, be));
        let body = pos + 8;
        match &ch[0..4] {
            b"ds64" => {
                let mut b = [0u8; 16];
                if f.read_exact(&mut b).is_ok() {
                    ds64_data = Some(u64::from_le_bytes(b[8..16].try_into().unwrap_or([0; 8])));
                }
            }
            b"fmt " => {
                let mut b = vec![0u8; size.min(64) as usize];
                f.read_exact(&mut b)?;
                fmt = Some(b);
            }
            b"data" => {
                let Some(fmt) = fmt else { return Ok(None) };
                let declared = match (size, ds64_data) {
                    (0xFFFF_FFFF, Some(d)) => d,
                    // A writer that never came back to fill in the size: the data runs to the end.
                    (0, _) | (0xFFFF_FFFF, None) => file_len - body,
                    (s, _) => s,
                };
                return Ok(Some((fmt, be, body, declared)));
            }
            _ => {}
        }
        pos = body + size + (size & 1);
    }
    Ok(None)
}

/// The sample layout of a `fmt ` chunk body, for integer or float PCM.
fn parse_fmt(b: &[u8], be: bool) -> Option<Wav> {
    let tag = le16(b, 0, be);
    let channels = le16(b, 2, be);
    let rate = le32(b, 4, be);
    let block_align = le16(b, 12, be);
    let bits = u32::from(le16(b, 14, be));
    let (kind, valid) = if tag == 0xFFFE && b.len() >= 40 {
        (le16(b, 24, be), u32::from(le16(b, 18, be)))
    } else {
        (tag, 0)
    };
    let float = match kind {
        1 => false,
        3 => true,
        _ => return None,
    };
    if channels == 0 || block_align == 0 || !block_align.is_multiple_of(channels) || rate == 0 {
        return None;
    }
    let slot = u32::from(block_align / channels) * 8;
    // The valid bits of an extensible header, else the declared depth; a zero or impossible
    // value means the slot is full.
    let valid_bits = [valid, bits]
        .into_iter()
        .find(|v| (1..=slot).contains(v))
        .unwrap_or(slot);
    if slot > 64 || (float && !matches!(slot, 32 | 64)) {
        return None;
    }
    Some(Wav {
        big_endian: be,
        float,
        channels,
        rate,
        block_align,
        valid_bits: if float { slot } else { valid_bits },
        data_start: 0,
        data_len: 0,
    })
}

/// The container values of `wav`, read by earwitness.
pub fn media(wav: &Wav) -> Media {
    let mut media = Media::new(
        "wav",
        format!("earwitness {} wav", env!("CARGO_PKG_VERSION")),
    );
    media.codec = Some(wav.codec());
    media.sample_rate = Some(wav.rate);
    media.channels = Some(u32::from(wav.channels));
    media.bits_per_sample = Some(wav.valid_bits);
    media.declared_frames = Some(wav.data_len / u64::from(wav.block_align));
    media
}

/// Reads every sample of `wav`, at its true depth, into the hashed form.
pub fn decode(input: &Input, wav: &Wav, file_len: u64, picture: Picture) -> io::Result<Decoded> {
    let mut f = input.open()?;
    f.seek(SeekFrom::Start(wav.data_start))?;
    let available = file_len.saturating_sub(wav.data_start);
    let len = wav.data_len.min(available);
    let fb = u64::from(wav.block_align);
    let whole = len / fb * fb;
    let mut r = io::BufReader::new(f.take(whole));
    let width = wav.width();
    let format = wav.pcm_format();
    let mut analyzer = picture.analyzer(Some(wav.rate), usize::from(wav.channels), format);
    let mut hasher = Sha256Hasher::new();
    let mut chunk = vec![0u8; fb as usize * 4096];
    let (mut out, mut samples) = (Vec::new(), Vec::new());
    let mut frames = 0u64;
    loop {
        let n = read_full(&mut r, &mut chunk)?;
        let n = n / fb as usize * fb as usize;
        if n == 0 {
            break;
        }
        out.clear();
        for s in chunk[..n].chunks_exact(width) {
            convert(s, wav, &mut out);
        }
        hasher.update(&out);
        if let Some(a) = &mut analyzer {
            crate::probe::decode::pcm_to_f32(&out, format, &mut samples);
            a.push(&samples);
        }
        frames += (n / fb as usize) as u64;
    }
    let end = if whole < wav.data_len {
        StreamEnd::UnexpectedEof
    } else {
        StreamEnd::Clean
    };
    Ok(Decoded {
        decoder: format!("earwitness {} wav", env!("CARGO_PKG_VERSION")),
        frames,
        errors: 0,
        first_error: None,
        end,
        checksum: None,
        pcm_sha256: Sha256(hasher.finalize().into()),
        pcm_format: format,
        pictures: analyzer.map(crate::probe::analysis::Analyzer::finish),
        priming: None,
        padding: None,
        beyond: 0,
        undecoded_bytes: 0,
    })
}

/// One sample slot in the hashed form: integers shifted down to their valid bits, floats as f32.
pub(super) fn convert(s: &[u8], wav: &Wav, out: &mut Vec<u8>) {
    let mut le = [0u8; 8];
    for (i, b) in s.iter().enumerate().take(8) {
        le[if wav.big_endian { s.len() - 1 - i } else { i }] = *b;
    }
    if wav.float {
        let v = if s.len() == 8 {
            f64::from_le_bytes(le) as f32
        } else {
            f32::from_le_bytes([le[0], le[1], le[2], le[3]])
        };
        out.extend_from_slice(&v.to_le_bytes());
        return;
    }
    // Left-justify the slot in 64 bits (8-bit WAV is unsigned), then keep the valid bits.
    let slot = s.len() as u32 * 8;
    let mut v = (u64::from_le_bytes(le) << (64 - slot)) as i64;
    if s.len() == 1 {
        v ^= i64::MIN;
    }
    let v = v >> (64 - wav.valid_bits);
    let bytes = wav.valid_bits.div_ceil(8) as usize;
    out.extend_from_slice(&v.to_le_bytes()[..bytes]);
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Reads a WAV file with this reader: the container values and tags, and with `depth` its
/// samples.
pub fn probe(input: &Input, label: &str, wav: &Wav, file_len: u64, depth: Depth) -> Probed {
    let mut media = media(wav);
    if let Ok(f) = input.open()
        && let Ok(info) = super::riff::read_info(f, file_len)
    {
        media.tags.extend(info.into_iter().map(|(id, value)| Tag {
            key: super::riff::standard_key(&id).map(str::to_string),
            raw_key: id,
            value,
        }));
    }
    let mut findings = Vec::new();
    let mut pictures = None;
    if !wav.float && wav.valid_bits > 32 {
        // The hashed sample formats stop at 32 bits.
        let what = format!("{}-bit integer PCM", wav.valid_bits);
        findings.push(crate::probe::unsupported(label, &what));
    } else if depth.decodes() {
        let picture = Picture {
            wanted: depth == Depth::Pictures,
            expected_frames: media.declared_frames,
        };
        match decode(input, wav, file_len, picture) {
            Ok(mut decoded) => {
                pictures = decoded.pictures.take();
                findings = super::symphonia::record_decode(&mut media, decoded, label);
            }
            Err(e) => findings.push(Finding::warning(
                code::AUDIO_DECODE_FAILED,
                label,
                format!("the samples could not be read: {e}"),
            )),
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

    fn wav(valid_bits: u32, width: u16, be: bool) -> Wav {
        Wav {
            big_endian: be,
            float: false,
            channels: 1,
            rate: 8000,
            block_align: width,
            valid_bits,
            data_start: 0,
            data_len: 0,
        }
    }

    #[test]
    fn samples_at_their_true_depth() {
        let mut out = Vec::new();
        // 24 valid bits in a 4-byte slot: the low byte is padding.
        convert(&[0x00, 0x56, 0x34, 0x92], &wav(24, 4, false), &mut out);
        assert_eq!(out, [0x56, 0x34, 0x92]);
        out.clear();
        // 12 bits in 2 bytes, big-endian: 0xABC0 → 0xFABC (negative).
        convert(&[0xAB, 0xC0], &wav(12, 2, true), &mut out);
        assert_eq!(out, [0xBC, 0xFA]);
        out.clear();
        // 8-bit WAV is unsigned: 0x80 is silence.
        convert(&[0x80], &wav(8, 1, false), &mut out);
        convert(&[0x00], &wav(8, 1, false), &mut out);
        assert_eq!(out, [0x00, 0x80]);
    }

    #[test]
    fn zero_valid_bits_fill_the_slot() {
        let mut fmt = vec![0u8; 40];
        fmt[0..2].copy_from_slice(&0xFFFEu16.to_le_bytes());
        fmt[2] = 2;
        fmt[4..8].copy_from_slice(&48000u32.to_le_bytes());
        fmt[12] = 8; // block align: 2 channels × 4 bytes
        fmt[14] = 32;
        fmt[24] = 1; // PCM sub-format
        let w = parse_fmt(&fmt, false).expect("PCM");
        assert_eq!(w.valid_bits, 32);
        fmt[18] = 24;
        assert_eq!(parse_fmt(&fmt, false).map(|w| w.valid_bits), Some(24));
        fmt[24] = 2; // ADPCM: not ours
        assert_eq!(parse_fmt(&fmt, false), None);
    }
}
