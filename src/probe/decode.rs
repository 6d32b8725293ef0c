//! Full decode of a recording's first audio track: how many frames really come out, decode errors,
//! the embedded checksum (FLAC's MD5), and a hash of the decoded samples.
//!
//! "Decoded without an error" does not mean intact: a truncated MP3 simply ends early, and a FLAC
//! with a flipped byte can decode cleanly and fail only its MD5. So the declared and decoded
//! lengths are both recorded and compared.

use sha2::{Digest, Sha256 as Sha256Hasher};
use symphonia::core::audio::GenericAudioBufferRef;
use symphonia::core::codecs::audio::{
    AudioCodecParameters, AudioDecoderOptions, VerificationCheck,
};
use symphonia::core::errors::Error;
use symphonia::core::formats::FormatReader;
use symphonia::core::packet::Packet;

use super::trim::{Trim, Trimmer};
use crate::digest::Sha256;
use crate::evidence::{EmbeddedChecksum, PCM_FORMAT_FLOAT};

/// How the stream ended.
#[derive(Clone, Debug, PartialEq)]
pub enum StreamEnd {
    /// The demuxer reported a normal end of stream.
    Clean,
    /// The file ended inside a packet.
    UnexpectedEof,
    /// The demuxer failed; decoding stopped here.
    Error(String),
}

/// The next packet of track `track_id` (packets of other tracks are skipped), or how the stream
/// ended: every decode loop reads its packets through this, so they all end alike.
pub(crate) fn next_packet_of(
    format: &mut dyn FormatReader,
    track_id: u32,
) -> Result<Packet, StreamEnd> {
    loop {
        match format.next_packet() {
            Ok(Some(p)) if p.track_id == track_id => return Ok(p),
            Ok(Some(_)) => {}
            Ok(None) | Err(Error::ResetRequired) => return Err(StreamEnd::Clean),
            Err(Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(StreamEnd::UnexpectedEof);
            }
            Err(e) => return Err(StreamEnd::Error(e.to_string())),
        }
    }
}

/// What a full decode measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    /// The decoder, for example `symphonia 0.6.1 flac`.
    pub decoder: String,
    /// Frames (samples per channel) that came out of the decoder.
    pub frames: u64,
    /// Packets the decoder rejected.
    pub errors: u64,
    /// The decoded frame position, and the message, of the first rejected packet.
    pub first_error: Option<(u64, String)>,
    /// How the stream ended.
    pub end: StreamEnd,
    /// The embedded checksum verdict, for formats that carry one.
    pub checksum: Option<EmbeddedChecksum>,
    /// SHA-256 of the decoded samples in `pcm_format`.
    pub pcm_sha256: Sha256,
    /// Which of the two sample formats was hashed.
    pub pcm_format: &'static str,
    /// The waveform and spectrogram, when they were asked for.
    pub pictures: Option<super::analysis::Pictures>,
    /// Frames of encoder priming dropped at the start, where the file records them.
    pub priming: Option<u64>,
    /// Frames of padding dropped at the end, where the file records them.
    pub padding: Option<u64>,
    /// Frames decoded past the declared length (and its padding) that were not presented.
    pub beyond: u64,
    /// FLAC: bytes of packets far larger than the audio they decode to (frames the demuxer did not
    /// separate, so never decoded); 0 elsewhere.
    pub undecoded_bytes: u64,
}

/// Whether to draw pictures while decoding, and how long the recording says it is.
#[derive(Clone, Copy, Debug, Default)]
pub struct Picture {
    /// Draw them.
    pub wanted: bool,
    /// The declared length, for the first column width.
    pub expected_frames: Option<u64>,
}

impl Picture {
    /// An analyzer for samples of `format` (a `pcm_format` name), if pictures are wanted.
    pub(super) fn analyzer(
        self,
        rate: Option<u32>,
        channels: usize,
        format: &str,
    ) -> Option<super::analysis::Analyzer> {
        let depth = match format {
            "s8" => Some(8),
            "s16le" => Some(16),
            "s24le" => Some(24),
            "s32le" => Some(32),
            _ => None,
        };
        (self.wanted && channels > 0).then(|| {
            super::analysis::Analyzer::new(
                rate.unwrap_or(8000),
                channels as u32,
                depth,
                self.expected_frames,
            )
        })
    }
}

/// Little-endian PCM bytes of `format` as samples at full scale ±1.
pub(crate) fn pcm_to_f32(bytes: &[u8], format: &str, out: &mut Vec<f32>) {
    out.clear();
    match format {
        "s8" => out.extend(bytes.iter().map(|b| f32::from(*b as i8) / 128.0)),
        "s16le" => out.extend(
            bytes
                .chunks_exact(2)
                .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0),
        ),
        "s24le" => out.extend(
            bytes
                .chunks_exact(3)
                .map(|b| (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0),
        ),
        "s32le" => out.extend(
            bytes
                .chunks_exact(4)
                .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32 / 2_147_483_648.0),
        ),
        _ => out.extend(
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        ),
    }
}

/// Why the decode could not start.
#[derive(Debug)]
pub enum DecodeError {
    /// No decoder for this codec.
    Unsupported,
}

/// Decodes the track `track_id` of `format` to its end, presenting what `trim` leaves. With
/// `own_trim`, symphonia's own per-packet trimming (MP3's LAME delay and padding, and its cut at a
/// Xing header's or a bit-rate estimate's length) is switched off: `trim` alone decides, and no
/// frame beyond a header's count is silently dropped.
pub fn decode_track(
    format: &mut dyn FormatReader,
    track_id: u32,
    params: &AudioCodecParameters,
    decoder_name: &str,
    picture: Picture,
    trim: Option<Trim>,
    own_trim: bool,
) -> Result<Decoded, DecodeError> {
    let options = AudioDecoderOptions::default().verify(true);
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(params, &options)
        .map_err(|_| DecodeError::Unsupported)?;
    let has_md5 = matches!(params.verification_check, Some(VerificationCheck::Md5(_)));
    let is_flac = decoder_name == "flac";
    let bits = decoder
        .codec_params()
        .bits_per_sample
        .or(params.bits_per_sample);

    let mut hasher = Sha256Hasher::new();
    let mut scratch_int: Vec<i32> = Vec::new();
    let mut scratch_float: Vec<f32> = Vec::new();
    let mut bytes: Vec<u8> = Vec::new();
    let mut frames = 0u64;
    let mut errors = 0u64;
    let mut first_error = None;
    let mut pcm_format = pcm_format_for(bits.unwrap_or(16));
    // Little-endian PCM at its container width is already in the hashed form: hash the demuxed
    // samples as they are, instead of converting them to an audio buffer and back. The result is
    // identical (the golden tests compare both), at a fraction of the work.
    let raw = raw_pcm(params);
    if let Some((_, format_name)) = raw {
        pcm_format = format_name;
    }
    let channels = params.channels.as_ref().map(|c| c.count()).unwrap_or(0);
    let mut analyzer = raw.and_then(|(_, f)| picture.analyzer(params.sample_rate, channels, f));
    let mut samples: Vec<f32> = Vec::new();
    let mut trimmer = Trimmer::new(trim.unwrap_or_default());
    let mut undecoded_bytes = 0u64;
    let trimming = trim.is_some_and(|t| !t.is_none());
    let mut frame_bytes = 0usize;
    let end = loop {
        let mut packet = match next_packet_of(format, track_id) {
            Ok(p) => p,
            Err(end) => break end,
        };
        if own_trim {
            packet.trim_start = Default::default();
            packet.trim_end = Default::default();
        }
        if let Some((fb, _)) = raw {
            let whole = packet.data.len() / fb * fb;
            frame_bytes = fb;
            trimmer.push(&packet.data[..whole], fb, |kept| {
                hasher.update(kept);
                if let Some(a) = &mut analyzer {
                    pcm_to_f32(kept, pcm_format, &mut samples);
                    a.push(&samples);
                }
            });
            frames = trimmer.kept;
            if whole != packet.data.len() {
                errors += 1;
                first_error.get_or_insert((frames, "a packet ends inside a sample frame".into()));
            }
            continue;
        }
        // symphonia's MPEG audio decoder keeps the channel layout and rate of the first frame and
        // rejects frames that change them, which the format allows (ffmpeg decodes them): start a
        // new decoder there and go on.
        let result = match decoder.decode(&packet) {
            Err(Error::DecodeError(e)) if e.contains("signal spec") => {
                match symphonia::default::get_codecs().make_audio_decoder(params, &options) {
                    Ok(fresh) => {
                        decoder = fresh;
                        decoder.decode(&packet)
                    }
                    Err(_) => Err(Error::DecodeError(e)),
                }
            }
            other => other,
        };
        match result {
            Ok(buf) => {
                if is_flac {
                    // A FLAC frame is never much larger than its samples stored verbatim.
                    let verbatim = buf.frames() * buf.spec().channels().count() * 4 + 4096;
                    undecoded_bytes += packet.data.len().saturating_sub(verbatim) as u64;
                }
                bytes.clear();
                pcm_format = feed(&buf, bits, &mut scratch_int, &mut scratch_float, &mut bytes);
                if trimming {
                    if buf.frames() > 0 {
                        frame_bytes = bytes.len() / buf.frames();
                    }
                    let channels = buf.spec().channels().count();
                    trimmer.push(&bytes, frame_bytes, |kept| {
                        hasher.update(kept);
                        if picture.wanted {
                            let a = analyzer.get_or_insert_with(|| {
                                picture
                                    .analyzer(params.sample_rate, channels, pcm_format)
                                    .unwrap_or_else(|| {
                                        super::analysis::Analyzer::new(8000, 1, None, None)
                                    })
                            });
                            pcm_to_f32(kept, pcm_format, &mut samples);
                            a.push(&samples);
                        }
                    });
                    frames = trimmer.kept;
                    continue;
                }
                frames += buf.frames() as u64;
                hasher.update(&bytes);
                if picture.wanted {
                    let a = analyzer.get_or_insert_with(|| {
                        picture
                            .analyzer(
                                params.sample_rate,
                                buf.spec().channels().count(),
                                pcm_format,
                            )
                            .unwrap_or_else(|| super::analysis::Analyzer::new(8000, 1, None, None))
                    });
                    buf.copy_to_vec_interleaved::<f32>(&mut samples);
                    a.push(&samples);
                }
            }
            Err(Error::DecodeError(e)) => {
                errors += 1;
                first_error.get_or_insert((frames, e.to_string()));
            }
            Err(Error::IoError(e)) => {
                errors += 1;
                first_error.get_or_insert((frames, e.to_string()));
            }
            Err(e) => break StreamEnd::Error(e.to_string()),
        }
    };
    let verify_ok = decoder.finalize().verify_ok;
    let checksum = if is_flac {
        Some(match (has_md5, verify_ok) {
            (false, _) => EmbeddedChecksum::Absent,
            (true, Some(true)) => EmbeddedChecksum::Verified,
            // An MD5 is stored but the decoder could not confirm it: never call that verified.
            (true, _) => EmbeddedChecksum::Mismatch,
        })
    } else {
        None
    };
    let how = if raw.is_some() {
        " (samples read directly)"
    } else {
        ""
    };
    Ok(Decoded {
        decoder: format!(
            "symphonia {} {decoder_name}{how}",
            super::readers::symphonia_version()
        ),
        frames,
        errors,
        first_error,
        end,
        checksum,
        pcm_sha256: Sha256(hasher.finalize().into()),
        pcm_format,
        pictures: analyzer.map(super::analysis::Analyzer::finish),
        priming: trim.map(|_| trimmer.primed),
        padding: trim.map(|_| trimmer.padding(frame_bytes)),
        beyond: trimmer.beyond(),
        undecoded_bytes,
    })
}

/// Appends `buf`'s samples to `out` in the documented hash format; returns which format.
fn feed(
    buf: &GenericAudioBufferRef<'_>,
    bits: Option<u32>,
    ints: &mut Vec<i32>,
    floats: &mut Vec<f32>,
    out: &mut Vec<u8>,
) -> &'static str {
    // The true bit depth of each native integer format; 32-bit buffers from FLAC and ALAC hold
    // left-justified samples of the stream's bit depth.
    let depth = match buf {
        GenericAudioBufferRef::U8(_) | GenericAudioBufferRef::S8(_) => 8,
        GenericAudioBufferRef::U16(_) | GenericAudioBufferRef::S16(_) => 16,
        GenericAudioBufferRef::U24(_) | GenericAudioBufferRef::S24(_) => 24,
        GenericAudioBufferRef::U32(_) | GenericAudioBufferRef::S32(_) => {
            bits.unwrap_or(32).clamp(1, 32)
        }
        GenericAudioBufferRef::F32(_) | GenericAudioBufferRef::F64(_) => {
            buf.copy_to_vec_interleaved::<f32>(floats);
            extend_le(out, floats.iter().map(|s| s.to_le_bytes()));
            return PCM_FORMAT_FLOAT;
        }
    };
    // Signed 16-bit samples are already in the hashed form: copy their bytes straight out.
    #[cfg(target_endian = "little")]
    if let GenericAudioBufferRef::S16(_) = buf {
        buf.copy_bytes_to_vec_interleaved(out);
        return pcm_format_for(16);
    }
    buf.copy_to_vec_interleaved::<i32>(ints);
    let shift = 32 - depth;
    let width = depth.div_ceil(8) as usize;
    out.reserve(ints.len() * width);
    for s in ints.iter() {
        out.extend_from_slice(&(s >> shift).to_le_bytes()[..width]);
    }
    pcm_format_for(depth)
}

/// For little-endian integer or float PCM stored at its container width: the bytes per frame and
/// the hashed format name. `None` for everything that needs decoding.
fn raw_pcm(params: &AudioCodecParameters) -> Option<(usize, &'static str)> {
    use symphonia::core::codecs::audio::well_known::*;
    let (width, name) = match params.codec {
        CODEC_ID_PCM_S16LE => (2, "s16le"),
        CODEC_ID_PCM_S24LE => (3, "s24le"),
        CODEC_ID_PCM_S32LE => (4, "s32le"),
        CODEC_ID_PCM_F32LE => (4, PCM_FORMAT_FLOAT),
        _ => return None,
    };
    // A narrower declared depth inside the container (24 valid bits in 32) would change the
    // hashed value: leave those to the decoder.
    if params
        .bits_per_sample
        .is_some_and(|b| b != width as u32 * 8)
    {
        return None;
    }
    let channels = params.channels.as_ref()?.count();
    (channels > 0).then_some((width * channels, name))
}

fn extend_le<const N: usize>(out: &mut Vec<u8>, samples: impl ExactSizeIterator<Item = [u8; N]>) {
    out.reserve(samples.len() * N);
    for s in samples {
        out.extend_from_slice(&s);
    }
}

/// The hashed format of integer samples of `depth` bits: signed, little-endian, in the fewest
/// whole bytes that hold the depth.
fn pcm_format_for(depth: u32) -> &'static str {
    match depth.div_ceil(8) {
        1 => "s8",
        2 => "s16le",
        3 => "s24le",
        _ => "s32le",
    }
}

/// The longest Opus packet: 120 ms at 48 kHz.
const OPUS_MAX_FRAME: usize = 5760;

/// Decodes an Opus track (which symphonia demuxes but cannot decode) with rusty-opus, at 48 kHz,
/// dropping the pre-skip (the track's delay) and the end padding (Ogg's last granule position,
/// or `keep` frames at most), as libopus players do. Only
/// mono and stereo (channel mapping family 0) are decoded; more channels are `Unsupported`.
///
/// rusty-opus picks SIMD kernels at run time, and they round differently in the last bits; the
/// earwitness binary pins it to its scalar kernels (`RUSTY_OPUS_ISA=scalar`, set in `main`), so
/// `pcm_sha256` is the same on every machine.
pub fn decode_opus(
    format: &mut dyn FormatReader,
    track_id: u32,
    params: &AudioCodecParameters,
    pre_skip: u32,
    keep: Option<u64>,
    picture: Picture,
) -> Result<Decoded, DecodeError> {
    let channels = params.channels.as_ref().map(|c| c.count()).unwrap_or(0);
    if !(1..=2).contains(&channels) {
        return Err(DecodeError::Unsupported);
    }
    let mut decoder =
        rusty_opus::OpusDecoder::new(48_000, channels).map_err(|_| DecodeError::Unsupported)?;
    let mut analyzer = picture.analyzer(Some(48_000), channels, PCM_FORMAT_FLOAT);
    let mut pcm = vec![0f32; OPUS_MAX_FRAME * channels];
    let mut skip = pre_skip as usize;
    let mut hasher = Sha256Hasher::new();
    let mut bytes = Vec::new();
    let (mut frames, mut errors, mut first_error) = (0u64, 0u64, None);
    let (mut primed, mut padded) = (0u64, 0u64);
    let end = loop {
        let packet = match next_packet_of(format, track_id) {
            Ok(p) => p,
            Err(end) => break end,
        };
        let n = match decoder.decode(&packet.data, OPUS_MAX_FRAME, &mut pcm) {
            Ok(n) => n,
            Err(e) => {
                errors += 1;
                first_error.get_or_insert((frames, e.to_string()));
                continue;
            }
        };
        let mut stop = n.saturating_sub(packet.trim_end.get() as usize);
        let skipped = skip.min(n);
        skip -= skipped;
        let start = (skipped + packet.trim_start.get() as usize).min(stop);
        if let Some(k) = keep {
            // An MP4 edit list's duration: what lies beyond it is padding.
            let left = k.saturating_sub(frames) as usize;
            stop = stop.min(start + left);
        }
        frames += (stop - start) as u64;
        primed += start as u64;
        padded += (n - stop) as u64;
        bytes.clear();
        let kept = &pcm[start * channels..stop * channels];
        for s in kept {
            bytes.extend_from_slice(&s.to_le_bytes());
        }
        hasher.update(&bytes);
        if let Some(a) = &mut analyzer {
            a.push(kept);
        }
    };
    // Say which kernels ran: the binary pins the scalar ones; a library caller may not have.
    let kernels = match std::env::var("RUSTY_OPUS_ISA").as_deref() {
        Ok("scalar") => "scalar",
        _ => "CPU-dispatched SIMD",
    };
    Ok(Decoded {
        decoder: format!("rusty-opus {} ({kernels})", opus_version()),
        frames,
        errors,
        first_error,
        end,
        checksum: None,
        pcm_sha256: Sha256(hasher.finalize().into()),
        pcm_format: PCM_FORMAT_FLOAT,
        pictures: analyzer.map(super::analysis::Analyzer::finish),
        priming: Some(primed),
        padding: Some(padded),
        beyond: 0,
        undecoded_bytes: 0,
    })
}

/// The version of rusty-opus this build links, read from `Cargo.lock` at compile time.
fn opus_version() -> &'static str {
    super::readers::locked_version("rusty-opus")
}
