//! Uncompressed PCM in MP4/QuickTime (`sowt`, `twos`, `in24`, `in32`, `fl32`, `fl64`, and the
//! ISO/IEC 23003-5 `ipcm`/`fpcm` entries), whose samples symphonia demuxes without knowing their
//! codec: hashed here like WAV samples, at their true depth.

use sha2::{Digest, Sha256 as Sha256Hasher};
use symphonia::core::formats::FormatReader;

use super::iso::SampleEntry;
use super::wav::{Wav, convert};
use crate::digest::Sha256;
use crate::probe::decode::{Decoded, Picture, next_packet_of};

/// The sample layout of a PCM sample entry with `channels` and `rate`, if it is one.
pub fn layout(entry: &SampleEntry, channels: u32, rate: u32) -> Option<Wav> {
    let (big_endian, float, bits) = match entry.fourcc.as_str() {
        "sowt" if entry.sample_size == 16 => (false, false, 16),
        "twos" if entry.sample_size == 16 => (true, false, 16),
        "in24" => (true, false, 24),
        "in32" => (true, false, 32),
        "fl32" => (true, true, 32),
        "fl64" => (true, true, 64),
        "ipcm" if matches!(entry.pcm_bits, 16 | 24 | 32) => {
            (!entry.pcm_little_endian, false, u32::from(entry.pcm_bits))
        }
        "fpcm" if matches!(entry.pcm_bits, 32 | 64) => {
            (!entry.pcm_little_endian, true, u32::from(entry.pcm_bits))
        }
        _ => return None,
    };
    let channels = u16::try_from(channels).ok().filter(|c| *c > 0)?;
    Some(Wav {
        big_endian,
        float,
        channels,
        rate,
        block_align: channels.checked_mul(u16::try_from(bits / 8).ok()?)?,
        valid_bits: bits,
        data_start: 0,
        data_len: 0,
    })
}

/// Hashes every sample of track `track_id`.
pub fn decode(
    format: &mut dyn FormatReader,
    track_id: u32,
    pcm: &Wav,
    picture: Picture,
) -> Decoded {
    let fb = usize::from(pcm.block_align);
    let width = pcm.width();
    let pcm_format = pcm.pcm_format();
    let mut analyzer = picture.analyzer(Some(pcm.rate), usize::from(pcm.channels), pcm_format);
    let mut hasher = Sha256Hasher::new();
    let (mut out, mut samples) = (Vec::new(), Vec::new());
    let (mut frames, mut errors, mut first_error) = (0u64, 0u64, None);
    let end = loop {
        let packet = match next_packet_of(format, track_id) {
            Ok(p) => p,
            Err(end) => break end,
        };
        let whole = packet.data.len() / fb * fb;
        out.clear();
        for s in packet.data[..whole].chunks_exact(width) {
            convert(s, pcm, &mut out);
        }
        hasher.update(&out);
        if let Some(a) = &mut analyzer {
            crate::probe::decode::pcm_to_f32(&out, pcm_format, &mut samples);
            a.push(&samples);
        }
        frames += (whole / fb) as u64;
        if whole != packet.data.len() {
            errors += 1;
            first_error.get_or_insert((frames, "a packet ends inside a sample frame".into()));
        }
    };
    Decoded {
        decoder: format!("earwitness {} pcm", env!("CARGO_PKG_VERSION")),
        frames,
        errors,
        first_error,
        end,
        checksum: None,
        pcm_sha256: Sha256(hasher.finalize().into()),
        pcm_format,
        pictures: analyzer.map(crate::probe::analysis::Analyzer::finish),
        priming: None,
        padding: None,
        beyond: 0,
        undecoded_bytes: 0,
    }
}
