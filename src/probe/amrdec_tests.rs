//! Unit tests of the AMR frame decoder: frame kinds and accounting, and hostile frames.

use super::*;

fn stream(variant: Variant) -> AmrStream {
    AmrStream::new(variant, Picture::default())
}

#[test]
fn payload_sizes_follow_rfc_4867() {
    assert_eq!(Variant::Nb.payload_len(7 << 3 | 4), 31);
    assert_eq!(Variant::Nb.payload_len(8 << 3 | 4), 5);
    assert_eq!(Variant::Nb.payload_len(15 << 3 | 4), 0);
    assert_eq!(Variant::Wb.payload_len(8 << 3 | 4), 60);
    assert_eq!(Variant::Wb.payload_len(9 << 3 | 4), 5);
    assert_eq!(Variant::Wb.payload_len(14 << 3 | 4), 0);
}

#[test]
fn no_data_in_a_dtx_silence_is_not_a_loss_but_elsewhere_it_is() {
    let mut s = stream(Variant::Nb);
    s.push_frame(7 << 3 | 4, &[0; 31]); // speech
    s.push_frame(8 << 3 | 4, &[0; 5]); // SID_FIRST
    s.push_frame(15 << 3 | 4, &[]); // NO_DATA in DTX: normal
    s.push_frame(7 << 3 | 4, &[0; 31]);
    assert_eq!(s.unusable, Unusable::default());
    s.push_frame(15 << 3 | 4, &[]); // NO_DATA in a talk spurt: lost
    s.push_frame(7 << 3, &[0; 31]); // Q = 0: bad
    s.push_frame(12 << 3 | 4, &[]); // reserved
    let (decoded, unusable) = s.finish(StreamEnd::Clean);
    assert_eq!(decoded.frames, 7 * 160);
    assert_eq!(decoded.pcm_format, "s16le");
    assert_eq!((unusable.lost, unusable.bad, unusable.reserved), (1, 1, 1));
    assert_eq!(unusable.first, Some(4));
    let f = unusable.finding("x", 7).unwrap();
    assert_eq!(f.code, code::AUDIO_FRAMES_LOST);
    assert!(f.message.contains("0.080 s (frame 4)"), "{}", f.message);
    assert!(f.message.starts_with("3 of 7 AMR frames"), "{}", f.message);
}

#[test]
fn wideband_speech_lost_and_leading_no_data_are_losses() {
    let mut s = stream(Variant::Wb);
    s.push_frame(15 << 3 | 4, &[]);
    s.push_frame(2 << 3 | 4, &[0; 32]);
    s.push_frame(14 << 3 | 4, &[]);
    s.push_frame(11 << 3 | 4, &[]);
    let (decoded, unusable) = s.finish(StreamEnd::Clean);
    assert_eq!(decoded.frames, 4 * 320);
    assert_eq!((unusable.lost, unusable.bad, unusable.reserved), (2, 0, 1));
    assert_eq!(unusable.first, Some(0));
}

#[test]
fn a_sample_that_ends_inside_a_frame_is_a_decode_error() {
    let mut s = stream(Variant::Nb);
    let mut sample = vec![7 << 3 | 4];
    sample.extend([0u8; 31]);
    sample.extend([7 << 3 | 4, 1, 2]);
    s.push_sample(&sample);
    let (decoded, _) = s.finish(StreamEnd::Clean);
    assert_eq!(decoded.frames, 160);
    assert_eq!(decoded.errors, 1);
    assert_eq!(decoded.first_error.as_ref().map(|e| e.0), Some(160));
}

/// A small deterministic generator (xorshift64*), so the loop fuzz is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Random frames of every type (reserved ones too, and Q = 0), random payloads, and payloads of
/// the wrong length, through both decoders: nothing may panic, and every frame gives exactly one
/// frame of samples.
#[test]
fn random_frames_never_panic() {
    let mut rng = Rng(0x4867_2026_0010);
    for variant in [Variant::Nb, Variant::Wb] {
        for round in 0..6 {
            let mut d = FrameDecoder::new(variant);
            let mut out = [0i16; MAX_FRAME_SAMPLES];
            for _ in 0..1000 {
                let r = rng.next();
                // Bias towards real speech and SID types so the decoder gets deep into its state.
                let ft = match r % 4 {
                    0 => (r >> 8) as u8 & 0x0F,
                    1 => variant.sid_type(),
                    _ => (r >> 8) as u8 % (variant.sid_type() + 1),
                };
                let header = ft << 3 | ((r >> 16) as u8 & 0x04);
                let mut len = variant.payload_len(header);
                if round == 5 {
                    len = (r >> 24) as usize % 64; // the wrong length, on purpose
                }
                let payload: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                d.decode(header, &payload, &mut out);
            }
        }
    }
}
