//! AMR-NB and AMR-WB decoding. Both the storage format (`#!AMR`, RFC 4867 §5) and 3GP samples
//! (3GPP TS 26.244) hold AMR frames the same way: a header byte (frame type and Q bit), then a
//! payload whose size the frame type fixes. [`FrameDecoder`] decodes one such frame with the
//! fixed-point decoders of the vendored `rvoip-codec-core`, driven the way opencore-amr 0.1.6's
//! `Decoder_Interface_Decode` and `D_IF_decode` drive theirs, so the samples are bit-exact with
//! opencore-amr (tests/amr.rs compares every sample). [`AmrStream`] hashes the samples, draws the
//! pictures and counts the frames that carried no usable speech.
//!
//! opencore's rules, reproduced:
//! * the Q bit is ignored: a frame marked bad is decoded as if good (and reported here);
//! * NB: types 0–7 speech; 8 SID (its STI bit picks SID_FIRST or SID_UPDATE, its mode field is
//!   the mode); 15 NO_DATA, with the previous mode; 9–14 are not decoded at all: 160 zeros, and
//!   the decoder's state is left as it was;
//! * WB: types 0–8 speech; 9 SID, with the *previous* frame's mode; 14 SPEECH_LOST; 10–13 and 15
//!   NO_DATA; decoder homing frames reset the decoder; the output is masked to 14 bits (`& !3`).

use codec_core::codecs::amr::mode::{AmrMode, AmrVariant};
use codec_core::codecs::amr::{nb, wb};
use sha2::{Digest, Sha256 as Sha256Hasher};
use symphonia::core::formats::FormatReader;

use super::decode::{Decoded, Picture, StreamEnd, next_packet_of};
use crate::digest::Sha256;
use crate::finding::{Finding, code};

/// AMR's two codecs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// AMR-NB: 8 kHz, 160 samples a frame.
    Nb,
    /// AMR-WB: 16 kHz, 320 samples a frame.
    Wb,
}

/// Payload bytes after the header byte, by frame type (RFC 4867 §5.3; TS 26.101 and 26.201).
/// Reserved types carry no payload.
const NB_PAYLOAD: [usize; 16] = [12, 13, 15, 17, 19, 20, 26, 31, 5, 0, 0, 0, 0, 0, 0, 0];
const WB_PAYLOAD: [usize; 16] = [17, 23, 32, 36, 40, 46, 50, 58, 60, 5, 0, 0, 0, 0, 0, 0];

/// The most samples one frame decodes to.
pub const MAX_FRAME_SAMPLES: usize = 320;

impl Variant {
    /// The codec's name in `evidence.json`.
    pub fn codec(self) -> &'static str {
        match self {
            Variant::Nb => "amr_nb",
            Variant::Wb => "amr_wb",
        }
    }

    /// The codec for a `codec` name, if it is AMR.
    pub fn from_codec(codec: &str) -> Option<Variant> {
        match codec {
            "amr_nb" => Some(Variant::Nb),
            "amr_wb" => Some(Variant::Wb),
            _ => None,
        }
    }

    /// Samples per second.
    pub fn sample_rate(self) -> u32 {
        match self {
            Variant::Nb => 8000,
            Variant::Wb => 16000,
        }
    }

    /// Samples in one 20 ms frame.
    pub fn frame_samples(self) -> usize {
        match self {
            Variant::Nb => 160,
            Variant::Wb => 320,
        }
    }

    /// The payload size, in bytes, of a frame with this header byte.
    pub fn payload_len(self, header: u8) -> usize {
        let table = match self {
            Variant::Nb => &NB_PAYLOAD,
            Variant::Wb => &WB_PAYLOAD,
        };
        table[usize::from((header >> 3) & 0x0F)]
    }

    /// The SID frame type.
    fn sid_type(self) -> u8 {
        match self {
            Variant::Nb => 8,
            Variant::Wb => 9,
        }
    }
}

/// What a frame's header says it is, for the findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Speech,
    Sid,
    /// NO_DATA (type 15; WB types 10–13 are decoded as NO_DATA too, but count as reserved).
    NoData,
    /// WB type 14, SPEECH_LOST.
    SpeechLost,
    /// A type RFC 4867 reserves (NB 9–14, WB 10–13).
    Reserved,
}

fn kind(variant: Variant, header: u8) -> Kind {
    let ft = (header >> 3) & 0x0F;
    match (variant, ft) {
        (_, 15) => Kind::NoData,
        (Variant::Wb, 14) => Kind::SpeechLost,
        (_, t) if t == variant.sid_type() => Kind::Sid,
        (_, t) if t < variant.sid_type() => Kind::Speech,
        _ => Kind::Reserved,
    }
}

/// One AMR decoder and the little state opencore's wrappers keep beside it.
pub struct FrameDecoder {
    inner: Inner,
    /// NB `Speech_Decode_FrameState.prev_mode`; WB `RX_State.prev_mode`.
    prev_mode: u8,
    /// WB: `D_IF_decode`'s `mode_old`.
    mode_old: u8,
    /// WB: `D_IF_decode`'s `reset_flag_old`.
    reset_flag_old: bool,
}

enum Inner {
    Nb(Box<nb::decoder::Decoder>),
    Wb(Box<wb::decoder::Decoder>),
}

impl FrameDecoder {
    /// A decoder in its reset state.
    pub fn new(variant: Variant) -> Self {
        FrameDecoder {
            inner: match variant {
                Variant::Nb => Inner::Nb(Box::default()),
                Variant::Wb => Inner::Wb(Box::default()),
            },
            prev_mode: 0,
            mode_old: 0,
            reset_flag_old: true,
        }
    }

    /// Decodes one frame: its header byte and its payload (which must be
    /// [`Variant::payload_len`] bytes; a shorter one decodes as silence). Writes 160 (NB) or 320
    /// (WB) samples to the front of `out`.
    pub fn decode(&mut self, header: u8, payload: &[u8], out: &mut [i16; MAX_FRAME_SAMPLES]) {
        match &mut self.inner {
            Inner::Nb(d) => {
                let pcm = decode_nb(d, &mut self.prev_mode, header, payload);
                out[..160].copy_from_slice(&pcm);
            }
            Inner::Wb(_) => {
                let pcm = self.decode_wb(header, payload);
                out.copy_from_slice(&pcm);
            }
        }
    }

    fn decode_wb(&mut self, header: u8, payload: &[u8]) -> [i16; 320] {
        use wb::dtx::RxFrameType as Rx;
        let Inner::Wb(decoder) = &mut self.inner else {
            return [0; 320];
        };
        // opencore's mime_unsorting (the wrapper forces the quality bit to 1).
        let (rx, mut mode) = match (header >> 3) & 0x0F {
            ft @ 0..=8 => (Rx::SpeechGood, ft),
            9 => {
                let update = payload.get(4).is_some_and(|b| b & 0x10 != 0);
                let rx = if update { Rx::SidUpdate } else { Rx::SidFirst };
                (rx, self.prev_mode)
            }
            14 => (Rx::SpeechLost, self.prev_mode),
            _ => (Rx::NoData, self.prev_mode),
        };
        self.prev_mode = mode;
        // D_IF_decode: homing, and the mode a lost frame is concealed with.
        let mut reset_flag = false;
        if matches!(rx, Rx::NoData | Rx::SpeechLost) {
            mode = self.mode_old;
        } else {
            self.mode_old = mode;
            if self.reset_flag_old && rx == Rx::SpeechGood {
                reset_flag = wb::homing::is_decoder_homing_frame_first(payload, usize::from(mode));
            }
        }
        let mut out = if reset_flag && self.reset_flag_old {
            [0x0008; 320]
        } else {
            let decoded = match (rx, AmrMode::new(AmrVariant::WideBand, mode)) {
                (Rx::SpeechGood, Ok(m)) => {
                    decoder.decode_frame(m, payload, wb::gain::FrameQuality::Good)
                }
                (Rx::SpeechLost, Ok(m)) => {
                    decoder.decode_frame(m, &[], wb::gain::FrameQuality::Unusable)
                }
                (Rx::NoData, _) => decoder.decode_comfort_noise(rx, &[], mode),
                // A SID is read only when it is the five bytes of one (always, from storage
                // framing); `decode_comfort_noise` asserts on any other length.
                (_, _) if payload.len() == 5 => decoder.decode_comfort_noise(rx, payload, mode),
                _ => None,
            };
            decoded.unwrap_or([0; 320])
        };
        for s in &mut out {
            *s &= !3;
        }
        if !self.reset_flag_old && rx == Rx::SpeechGood {
            reset_flag = wb::homing::is_decoder_homing_frame(payload, usize::from(mode));
        }
        if reset_flag {
            **decoder = wb::decoder::Decoder::new();
        }
        self.reset_flag_old = reset_flag;
        out
    }
}

fn decode_nb(
    decoder: &mut nb::decoder::Decoder,
    prev_mode: &mut u8,
    header: u8,
    payload: &[u8],
) -> [i16; 160] {
    use nb::dtx::RxFrameType as Rx;
    let ft = (header >> 3) & 0x0F;
    let (rx, mode, params) = match ft {
        0..=7 => match nb::bitstream::parse(ft, payload) {
            Some(p) => (Rx::SpeechGood, ft, p),
            None => return [0; 160],
        },
        8 => match nb::bitstream::parse_sid_header(payload) {
            Some(h) if h.update => match nb::bitstream::parse(8, payload) {
                Some(p) => (Rx::SidUpdate, h.mode_index, p),
                None => return [0; 160],
            },
            Some(h) => (Rx::SidFirst, h.mode_index, Vec::new()),
            None => return [0; 160],
        },
        15 => (Rx::NoData, *prev_mode, Vec::new()),
        // opencore's AMRDecode returns without decoding and without touching its state.
        _ => return [0; 160],
    };
    // `decode_typed` asserts a speech mode; every mode above is 0..=7 (3-bit fields, or types
    // 0..=7), but an input must never reach an assertion.
    if mode > 7 {
        return [0; 160];
    }
    let out = decoder.decode_typed(rx, mode, &params);
    *prev_mode = mode;
    out
}

/// The frames that carried no usable speech, and where the first one was.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Unusable {
    /// Frames whose Q bit is 0 (marked damaged).
    pub bad: u64,
    /// NO_DATA frames outside a DTX silence, and WB SPEECH_LOST frames.
    pub lost: u64,
    /// Frames of a reserved type.
    pub reserved: u64,
    /// The index of the first such frame.
    pub first: Option<u64>,
}

impl Unusable {
    /// All of them.
    pub fn total(&self) -> u64 {
        self.bad + self.lost + self.reserved
    }

    /// The `audio.frames.lost` finding, if any frame was unusable.
    pub fn finding(&self, label: &str, frames: u64) -> Option<Finding> {
        let first = self.first?;
        let mut parts = Vec::new();
        for (n, what) in [
            (self.bad, "marked bad (Q bit 0)"),
            (
                self.lost,
                "lost (NO_DATA outside a DTX silence, or SPEECH_LOST)",
            ),
            (self.reserved, "of a reserved frame type"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        Some(Finding::warning(
            code::AUDIO_FRAMES_LOST,
            label,
            format!(
                "{} of {frames} AMR frames carry no usable speech: {}; the first at {:.3} s (frame {first}). The decoder filled them in (concealment or silence), as opencore-amr does",
                self.total(),
                parts.join(", "),
                first as f64 * 0.02,
            ),
        ))
    }
}

/// A whole AMR stream being decoded: samples hashed, pictures drawn, unusable frames counted.
pub struct AmrStream {
    variant: Variant,
    decoder: FrameDecoder,
    hasher: Sha256Hasher,
    analyzer: Option<super::analysis::Analyzer>,
    pcm: [i16; MAX_FRAME_SAMPLES],
    bytes: Vec<u8>,
    floats: Vec<f32>,
    /// Frames decoded.
    frames: u64,
    /// Whether the last frame that said anything was a SID: then NO_DATA is DTX, not a loss.
    in_dtx: bool,
    unusable: Unusable,
    errors: u64,
    first_error: Option<(u64, String)>,
}

impl AmrStream {
    /// A stream of `variant`, drawing pictures if `picture` asks for them.
    pub fn new(variant: Variant, picture: Picture) -> Self {
        AmrStream {
            variant,
            decoder: FrameDecoder::new(variant),
            hasher: Sha256Hasher::new(),
            analyzer: picture.analyzer(Some(variant.sample_rate()), 1, "s16le"),
            pcm: [0; MAX_FRAME_SAMPLES],
            bytes: Vec::with_capacity(2 * MAX_FRAME_SAMPLES),
            floats: Vec::new(),
            frames: 0,
            in_dtx: false,
            unusable: Unusable::default(),
            errors: 0,
            first_error: None,
        }
    }

    /// Decodes one frame (`payload` is [`Variant::payload_len`] bytes).
    pub fn push_frame(&mut self, header: u8, payload: &[u8]) {
        let k = kind(self.variant, header);
        let unusable = match k {
            Kind::Speech | Kind::SpeechLost => {
                self.in_dtx = false;
                k == Kind::SpeechLost
            }
            Kind::Sid => {
                self.in_dtx = true;
                false
            }
            Kind::NoData => !self.in_dtx,
            Kind::Reserved => true,
        };
        let bad = header & 0x04 == 0;
        if bad {
            self.unusable.bad += 1;
        } else if k == Kind::Reserved {
            self.unusable.reserved += 1;
        } else if unusable {
            self.unusable.lost += 1;
        }
        if bad || unusable {
            self.unusable.first.get_or_insert(self.frames);
        }
        self.decoder.decode(header, payload, &mut self.pcm);
        let samples = &self.pcm[..self.variant.frame_samples()];
        self.bytes.clear();
        for s in samples {
            self.bytes.extend_from_slice(&s.to_le_bytes());
        }
        self.hasher.update(&self.bytes);
        if let Some(a) = &mut self.analyzer {
            self.floats.clear();
            self.floats
                .extend(samples.iter().map(|s| f32::from(*s) / 32768.0));
            a.push(&self.floats);
        }
        self.frames += 1;
    }

    /// Decodes the frames of one 3GP sample. Bytes after the last whole frame are a decode
    /// error (they are not decoded).
    pub fn push_sample(&mut self, mut data: &[u8]) {
        while let Some((&header, rest)) = data.split_first() {
            let n = self.variant.payload_len(header);
            let Some(payload) = rest.get(..n) else {
                self.errors += 1;
                self.first_error.get_or_insert((
                    self.samples(),
                    format!(
                        "a 3GP sample ends inside an AMR frame ({} of its {} bytes)",
                        data.len(),
                        n + 1
                    ),
                ));
                return;
            };
            self.push_frame(header, payload);
            data = &rest[n..];
        }
    }

    /// Frames (samples) decoded so far.
    fn samples(&self) -> u64 {
        self.frames * self.variant.frame_samples() as u64
    }

    /// AMR frames decoded so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The result, for a stream that ended as `end`; and the unusable frames.
    pub fn finish(self, end: StreamEnd) -> (Decoded, Unusable) {
        let decoded = Decoded {
            decoder: decoder_name(self.variant),
            frames: self.samples(),
            errors: self.errors,
            first_error: self.first_error,
            end,
            checksum: None,
            pcm_sha256: Sha256(self.hasher.finalize().into()),
            pcm_format: "s16le",
            pictures: self.analyzer.map(super::analysis::Analyzer::finish),
            priming: None,
            padding: None,
            beyond: 0,
            undecoded_bytes: 0,
        };
        (decoded, self.unusable)
    }
}

/// Decodes the AMR track `track_id` of an ISO media file (3GP, MP4) to its end: each sample holds
/// whole storage-format frames (3GPP TS 26.244 §6.7). Returns the result, the unusable frames and
/// the number of AMR frames.
pub fn decode_track(
    format: &mut dyn FormatReader,
    track_id: u32,
    variant: Variant,
    picture: Picture,
) -> (Decoded, Unusable, u64) {
    let mut stream = AmrStream::new(variant, picture);
    let end = loop {
        let packet = match next_packet_of(format, track_id) {
            Ok(p) => p,
            Err(end) => break end,
        };
        stream.push_sample(&packet.data);
    };
    let frames = stream.frames();
    let (decoded, unusable) = stream.finish(end);
    (decoded, unusable, frames)
}

/// `decoder` in `evidence.json`: the vendored crate's version, marked as patched (`+opencore.1`,
/// vendor/README.md), and the codec.
fn decoder_name(variant: Variant) -> String {
    format!(
        "rvoip-codec-core {}+opencore.1 {}",
        super::readers::locked_version("rvoip-codec-core"),
        variant.codec()
    )
}

#[cfg(test)]
#[path = "amrdec_tests.rs"]
mod tests;
