//! What a player presents of a track: the encoder priming and padding a file records, and the
//! declared length of the presented part. docs/FORMAT.md §3 (`priming_frames`, `padding_frames`).

use std::io::Read;

use super::iso::{IsoTrack, Movie};
use crate::evidence::Tag;
use crate::probe::Input;
use crate::probe::trim::Trim;

/// `ticks` at `from` ticks a second, in ticks of `to` a second (rounded down, no overflow).
fn rescale(ticks: u64, from: u32, to: u32) -> u64 {
    if from == 0 {
        return 0;
    }
    (u128::from(ticks) * u128::from(to) / u128::from(from)) as u64
}

/// The trim and the declared presented length of an MP4 audio track at `rate` samples a second:
/// its edit list (ISO/IEC 14496-12 §8.6.6) where it has one, else iTunes' `iTunSMPB` tag, else the
/// whole media duration. A fragmented movie declares no length (its `moov` does not count the
/// fragments' samples).
pub fn mp4(
    movie: &Movie,
    track: &IsoTrack,
    rate: u32,
    tags: &[Tag],
) -> (Option<Trim>, Option<u64>) {
    let media = rescale(track.duration, track.timescale, rate);
    if movie.fragmented {
        let trim = track.edit.map(|edit| Trim {
            start: rescale(edit.media_time, track.timescale, rate),
            end: 0,
            keep: None,
        });
        return (trim, None);
    }
    if let Some(edit) = track.edit {
        let start = rescale(edit.media_time, track.timescale, rate);
        let keep = (edit.duration > 0).then(|| rescale(edit.duration, movie.timescale, rate));
        let declared = keep.unwrap_or(media.saturating_sub(start));
        let trim = Trim {
            start,
            end: 0,
            keep,
        };
        return (Some(trim), Some(declared));
    }
    if let Some((priming, padding, length)) = itunsmpb(tags) {
        let trim = Trim {
            start: priming,
            end: 0,
            keep: (length > 0).then_some(length),
        };
        let declared = if length > 0 {
            length
        } else {
            media.saturating_sub(priming + padding)
        };
        return (Some(trim), Some(declared));
    }
    (None, Some(media))
}

/// iTunes' gapless tag: ` 00000000 PRIMING PADDING LENGTH ...` in hexadecimal.
fn itunsmpb(tags: &[Tag]) -> Option<(u64, u64, u64)> {
    let tag = tags.iter().find(|t| t.raw_key.ends_with("iTunSMPB"))?;
    let mut fields = tag
        .value
        .split_whitespace()
        .map(|f| u64::from_str_radix(f, 16).ok());
    fields.next()?;
    Some((fields.next()??, fields.next()??, fields.next()??))
}

/// What the start of an MPEG audio stream says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MpegStart {
    /// The first frame is a Xing, Info or VBRI header, which declares the stream's exact length.
    /// Without one, symphonia's length is an estimate from the first frame's bit rate, which is
    /// not a declaration.
    pub length_header: bool,
}

/// Whether `b` starts with a valid MPEG audio frame header (free-format bit rate excluded).
fn is_mpeg_header(b: &[u8]) -> bool {
    let Some(h) = b.get(..4) else {
        return false;
    };
    if h[0] != 0xFF || h[1] & 0xE0 != 0xE0 {
        return false;
    }
    let version = (h[1] >> 3) & 3;
    let layer = (h[1] >> 1) & 3;
    let bitrate = usize::from(h[2] >> 4);
    let rate = usize::from((h[2] >> 2) & 3);
    !(version == 1 || layer == 0 || bitrate == 0 || bitrate == 15 || rate == 3)
}

/// Reads the start of an MPEG audio file (after an ID3v2 tag).
pub fn mpeg_start(input: &Input) -> MpegStart {
    let mut out = MpegStart::default();
    let Ok(f) = input.open() else {
        return out;
    };
    let mut head = Vec::with_capacity(1 << 16);
    if f.take(1 << 16).read_to_end(&mut head).is_err() {
        return out;
    }
    // Skip an ID3v2 tag: "ID3", version (2), flags (1), syncsafe size (4), footer flag 0x10.
    let mut at = 0usize;
    if head.starts_with(b"ID3") && head.len() >= 10 {
        let size = head[6..10]
            .iter()
            .fold(0usize, |n, b| (n << 7) | usize::from(b & 0x7f));
        at = 10 + size + if head[5] & 0x10 != 0 { 10 } else { 0 };
    }
    let Some(rest) = head.get(at..) else {
        return out;
    };
    let Some(sync) = (0..rest.len()).find(|&i| is_mpeg_header(&rest[i..])) else {
        return out;
    };
    // The tag sits after the side information (9 to 32 bytes) or, for VBRI, at byte 36.
    let frame = &rest[sync..rest.len().min(sync + 4 + 32 + 8)];
    out.length_header = frame
        .windows(4)
        .any(|w| w == b"Xing" || w == b"Info" || w == b"VBRI");
    out
}

/// The pre-skip of an Opus identification header (RFC 7845 §5.1), in 48 kHz frames.
pub fn opus_pre_skip(head: &[u8]) -> Option<u32> {
    if !head.starts_with(b"OpusHead") {
        return None;
    }
    Some(u32::from(u16::from_le_bytes([
        *head.get(10)?,
        *head.get(11)?,
    ])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::readers::iso::Edit;

    fn tag(value: &str) -> Tag {
        Tag {
            key: None,
            raw_key: "----:com.apple.iTunes:iTunSMPB".into(),
            value: value.into(),
        }
    }

    #[test]
    fn edit_list_sets_priming_and_length() {
        let movie = Movie {
            timescale: 1000,
            ..Movie::default()
        };
        let track = IsoTrack {
            timescale: 8000,
            duration: 10_240,
            edit: Some(Edit {
                media_time: 1024,
                duration: 1000,
            }),
            ..IsoTrack::default()
        };
        let (trim, declared) = mp4(&movie, &track, 8000, &[]);
        assert_eq!(declared, Some(8000));
        assert_eq!(
            trim,
            Some(Trim {
                start: 1024,
                end: 0,
                keep: Some(8000)
            })
        );
        let bare = IsoTrack {
            edit: None,
            ..track.clone()
        };
        assert_eq!(mp4(&movie, &bare, 16000, &[]), (None, Some(20_480)));
        let smpb = [tag(" 00000000 00000840 000001C0 0000000000046E00 00000000")];
        let (trim, declared) = mp4(&movie, &bare, 8000, &smpb);
        assert_eq!(declared, Some(0x46E00));
        assert_eq!(trim.map(|t| t.start), Some(0x840));
    }

    #[test]
    fn mpeg_start_finds_a_xing_header() {
        // MPEG-1 layer III, 32 kbit/s, 44.1 kHz, no CRC.
        let frame = |tag: &[u8]| {
            let mut f = vec![0xFF, 0xFB, 0x10, 0x64];
            f.resize(4 + 17, 0);
            f.extend_from_slice(tag);
            f.resize(104, 0);
            f
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.mp3");
        std::fs::write(&path, frame(b"Xing")).expect("write");
        assert!(mpeg_start(&Input::file(&path)).length_header);
        std::fs::write(&path, frame(b"")).expect("write");
        assert!(!mpeg_start(&Input::file(&path)).length_header);
    }

    #[test]
    fn opus_head_pre_skip() {
        let mut head = b"OpusHead\x01\x02\x38\x01\x80\xbb\0\0\0\0\0".to_vec();
        assert_eq!(opus_pre_skip(&head), Some(312));
        head[0] = b'X';
        assert_eq!(opus_pre_skip(&head), None);
        assert_eq!(opus_pre_skip(b"OpusHead\x01"), None);
    }
}
