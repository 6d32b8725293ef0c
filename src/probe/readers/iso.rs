//! The tracks of an ISO media file (MP4, M4A, 3GP, QuickTime) as the file declares them: handler
//! type, sample entry, time scales, edit list. symphonia 0.6 reads none of the edit list, takes no
//! notice of the handler, and drops the codec of sample entries it does not know (AMR in 3GP).
//! ISO/IEC 14496-12 §8.3 (trak), §8.4 (mdia), §8.6.6 (elst), §8.5.2 (stsd).

use std::io::{self, Read, Seek, SeekFrom};

/// The most box headers we step over, and the deepest nesting, so a crafted file cannot loop.
const MAX_BOXES: usize = 10_000;
const MAX_DEPTH: usize = 8;
/// The most tracks we record.
const MAX_TRACKS: usize = 64;

/// What a track's first sample entry declares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SampleEntry {
    /// Its four-character code: `samr`, `sawb`, `mp4a`, ...
    pub fourcc: String,
    /// The channel count field.
    pub channels: u16,
    /// The integer part of the sample rate field.
    pub sample_rate: u32,
    /// For `mp4a`: the object type indication of its `esds` decoder configuration (0x40 MPEG-4
    /// audio, 0x69/0x6B MPEG-1/2 audio), and the MPEG-4 audio object type (2 AAC-LC, 5 SBR, 29 PS,
    /// 36 ALS) of its AudioSpecificConfig.
    pub object_type: Option<u8>,
    /// See `object_type`.
    pub audio_object_type: Option<u8>,
    /// The sample size field (bits).
    pub sample_size: u16,
    /// For `ipcm`/`fpcm` (ISO/IEC 23003-5): the `pcmC` box's little-endian flag and sample size.
    pub pcm_little_endian: bool,
    /// See `pcm_little_endian`.
    pub pcm_bits: u8,
}

/// The first edit of a track's edit list that presents media (`media_time` ≥ 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edit {
    /// Where presentation starts, in media time-scale ticks: the encoder's priming.
    pub media_time: u64,
    /// How long the edits that present media last together, in movie time-scale ticks (0: to
    /// the end).
    pub duration: u64,
}

/// One track.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IsoTrack {
    /// `tkhd` track_ID (symphonia's track id).
    pub id: u32,
    /// The `hdlr` handler type: `soun`, `vide`, `text`, ...
    pub handler: String,
    /// The `mdhd` time scale and duration.
    pub timescale: u32,
    /// See `timescale`.
    pub duration: u64,
    /// The first sample entry.
    pub entry: Option<SampleEntry>,
    /// The first edit that presents media, if the track has an edit list; `edits` counts the
    /// edits that present media.
    pub edit: Option<Edit>,
    /// See `edit`.
    pub edits: u32,
}

/// The tracks of a movie, and its `mvhd` time scale.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Movie {
    /// Movie time scale (edit list durations are in it).
    pub timescale: u32,
    /// Whether the movie is fragmented (`mvex`): its samples are in `moof` boxes, and the track
    /// durations in `moov` do not count them.
    pub fragmented: bool,
    /// The tracks in file order.
    pub tracks: Vec<IsoTrack>,
}

impl Movie {
    /// The first track whose handler is `soun`.
    pub fn first_audio(&self) -> Option<&IsoTrack> {
        self.tracks.iter().find(|t| t.handler == "soun")
    }
}

/// Reads the `moov` box of an ISO media file.
pub fn read_movie<R: Read + Seek>(f: &mut R, file_len: u64) -> io::Result<Movie> {
    let mut movie = Movie::default();
    let mut budget = MAX_BOXES;
    walk(f, 0, file_len, 0, &mut budget, &mut movie)?;
    Ok(movie)
}

fn walk<R: Read + Seek>(
    f: &mut R,
    start: u64,
    end: u64,
    depth: usize,
    budget: &mut usize,
    movie: &mut Movie,
) -> io::Result<()> {
    let mut pos = start;
    while pos + 8 <= end {
        if *budget == 0 {
            return Ok(());
        }
        *budget -= 1;
        let mut hdr = [0u8; 8];
        f.seek(SeekFrom::Start(pos))?;
        f.read_exact(&mut hdr)?;
        let mut size = u64::from(be32(&hdr[0..4]));
        let kind = [hdr[4], hdr[5], hdr[6], hdr[7]];
        let mut body = pos + 8;
        if size == 1 {
            let mut big = [0u8; 8];
            f.read_exact(&mut big)?;
            size = u64::from_be_bytes(big);
            body += 8;
        } else if size == 0 {
            size = end - pos;
        }
        if size < body - pos || pos.saturating_add(size) > end {
            return Ok(());
        }
        let box_end = pos + size;
        match &kind {
            b"trak" if depth < MAX_DEPTH && movie.tracks.len() < MAX_TRACKS => {
                movie.tracks.push(IsoTrack::default());
                walk(f, body, box_end, depth + 1, budget, movie)?;
            }
            b"moov" | b"mdia" | b"minf" | b"stbl" | b"edts" if depth < MAX_DEPTH => {
                walk(f, body, box_end, depth + 1, budget, movie)?;
            }
            b"mvex" => movie.fragmented = true,
            b"mvhd" => {
                let b = read_body(f, body, box_end, 32)?;
                let v1 = b.first() == Some(&1);
                movie.timescale = be32(b.get(if v1 { 20..24 } else { 12..16 }).unwrap_or(&[]));
            }
            _ => {
                if let Some(track) = movie.tracks.last_mut() {
                    track_box(f, &kind, body, box_end, track)?;
                }
            }
        }
        pos = box_end;
    }
    Ok(())
}

/// Reads one of the boxes inside a `trak` into `track`.
fn track_box<R: Read + Seek>(
    f: &mut R,
    kind: &[u8; 4],
    body: u64,
    end: u64,
    track: &mut IsoTrack,
) -> io::Result<()> {
    match kind {
        b"tkhd" => {
            let b = read_body(f, body, end, 32)?;
            let v1 = b.first() == Some(&1);
            track.id = be32(b.get(if v1 { 20..24 } else { 12..16 }).unwrap_or(&[]));
        }
        b"mdhd" => {
            let b = read_body(f, body, end, 32)?;
            if b.first() == Some(&1) {
                track.timescale = be32(b.get(20..24).unwrap_or(&[]));
                track.duration = be64(b.get(24..32).unwrap_or(&[]));
            } else {
                track.timescale = be32(b.get(12..16).unwrap_or(&[]));
                track.duration = u64::from(be32(b.get(16..20).unwrap_or(&[])));
            }
        }
        // The first handler is the media's (`mdia`); QuickTime puts a data handler (`alis`)
        // in `minf` after it.
        b"hdlr" if track.handler.is_empty() => {
            let b = read_body(f, body, end, 12)?;
            track.handler = String::from_utf8_lossy(b.get(8..12).unwrap_or(&[])).into_owned();
        }
        b"elst" => {
            let b = read_body(f, body, end, 4096)?;
            let v1 = b.first() == Some(&1);
            let count = be32(b.get(4..8).unwrap_or(&[])) as usize;
            let width = if v1 { 20 } else { 12 };
            for i in 0..count {
                let at = 8 + i * width;
                let Some(e) = b.get(at..at + width) else {
                    break;
                };
                let (duration, media_time) = if v1 {
                    (be64(&e[0..8]), be64(&e[8..16]) as i64)
                } else {
                    (u64::from(be32(&e[0..4])), i64::from(be32(&e[4..8]) as i32))
                };
                if media_time >= 0 {
                    track.edits += 1;
                    let edit = track.edit.get_or_insert(Edit {
                        media_time: media_time as u64,
                        duration: 0,
                    });
                    edit.duration = edit.duration.saturating_add(duration);
                }
            }
        }
        b"stsd" => {
            let b = read_body(f, body, end, 512)?;
            track.entry = sample_entry(&b);
        }
        _ => {}
    }
    Ok(())
}

/// The first sample entry of an `stsd` body: version/flags (4), entry count (4), then the entry:
/// size (4), type (4), reserved (6), data reference index (2), version (2), reserved (6),
/// channels (2), sample size (2), pre-defined (2), reserved (2), sample rate (16.16).
fn sample_entry(b: &[u8]) -> Option<SampleEntry> {
    let entry = b.get(8..)?;
    let size = (be32(entry.get(0..4)?) as usize).min(entry.len());
    let head = entry.get(..36)?;
    let mut out = SampleEntry {
        fourcc: String::from_utf8_lossy(&head[4..8]).into_owned(),
        channels: u16::from_be_bytes([head[24], head[25]]),
        sample_rate: u32::from(u16::from_be_bytes([head[32], head[33]])),
        sample_size: u16::from_be_bytes([head[26], head[27]]),
        ..SampleEntry::default()
    };
    if matches!(out.fourcc.as_str(), "ipcm" | "fpcm")
        && let Some(pcmc) = find_box(entry.get(36..size).unwrap_or(&[]), b"pcmC")
    {
        out.pcm_little_endian = pcmc.get(4).is_some_and(|f| f & 1 == 1);
        out.pcm_bits = pcmc.get(5).copied().unwrap_or(0);
    }
    if out.fourcc == "mp4a" {
        // QuickTime sound description version 1 and 2 add 16 and 36 bytes before the boxes.
        let extra = match u16::from_be_bytes([head[16], head[17]]) {
            1 => 16,
            2 => 36,
            _ => 0,
        };
        let boxes = entry.get(36 + extra..size).unwrap_or(&[]);
        if let Some(esds) = find_box(boxes, b"esds")
            .or_else(|| find_box(boxes, b"wave").and_then(|w| find_box(w, b"esds")))
        {
            let (oti, aot) = esds_types(esds.get(4..).unwrap_or(&[]));
            out.object_type = oti;
            out.audio_object_type = aot;
        }
    }
    Some(out)
}

/// The body of the first box of type `kind` in a run of boxes.
fn find_box<'a>(mut b: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    while b.len() >= 8 {
        let size = be32(&b[0..4]) as usize;
        if size < 8 || size > b.len() {
            return None;
        }
        if &b[4..8] == kind {
            return Some(&b[8..size]);
        }
        b = &b[size..];
    }
    None
}

/// The object type indication and the audio object type of an ES descriptor (ISO/IEC 14496-1
/// §7.2.6.5, 14496-3 §1.6.2.1).
fn esds_types(b: &[u8]) -> (Option<u8>, Option<u8>) {
    let mut oti = None;
    let mut aot = None;
    let mut i = 0;
    let mut hops = 0;
    while i < b.len() && hops < 8 {
        hops += 1;
        let tag = b[i];
        i += 1;
        let mut len = 0usize;
        for _ in 0..4 {
            let Some(&c) = b.get(i) else { break };
            i += 1;
            len = (len << 7) | usize::from(c & 0x7f);
            if c & 0x80 == 0 {
                break;
            }
        }
        match tag {
            // ES_Descriptor: ES_ID (2), flags (1), then optional fields.
            0x03 => {
                let Some(&flags) = b.get(i + 2) else { break };
                i += 3;
                if flags & 0x80 != 0 {
                    i += 2;
                }
                if flags & 0x40 != 0 {
                    i += 1 + usize::from(*b.get(i).unwrap_or(&0));
                }
                if flags & 0x20 != 0 {
                    i += 2;
                }
            }
            // DecoderConfigDescriptor: object type (1), stream type etc. (12), then its children.
            0x04 => {
                oti = b.get(i).copied();
                i += 13;
            }
            // DecoderSpecificInfo: the AudioSpecificConfig.
            0x05 => {
                let asc = b.get(i..(i + len).min(b.len())).unwrap_or(&[]);
                aot = asc.first().map(|c| c >> 3).map(|t| {
                    if t == 31 {
                        32 + ((asc.first().copied().unwrap_or(0) & 7) << 3)
                            + (asc.get(1).copied().unwrap_or(0) >> 5)
                    } else {
                        t
                    }
                });
                break;
            }
            _ => break,
        }
    }
    (oti, aot)
}

fn read_body<R: Read + Seek>(f: &mut R, body: u64, end: u64, max: u64) -> io::Result<Vec<u8>> {
    let n = (end - body).min(max) as usize;
    let mut b = vec![0u8; n];
    f.seek(SeekFrom::Start(body))?;
    f.read_exact(&mut b)?;
    Ok(b)
}

fn be32(b: &[u8]) -> u32 {
    b.get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .unwrap_or(0)
}

fn be64(b: &[u8]) -> u64 {
    b.get(..8)
        .map(|b| u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
        .unwrap_or(0)
}

/// The codec name for an ISO audio sample entry, with `mp4a` resolved by its object types.
pub fn codec_for_entry(entry: &SampleEntry) -> Option<&'static str> {
    Some(match entry.fourcc.as_str() {
        "samr" => "amr_nb",
        "sawb" => "amr_wb",
        "mp4a" => match (entry.object_type, entry.audio_object_type) {
            (Some(0x69 | 0x6B), _) => "mp3",
            (_, Some(36)) => "mp4als",
            (_, Some(5)) => "aac_he",
            (_, Some(29)) => "aac_he_v2",
            (Some(0xA5), _) => "ac3",
            (Some(0xA6), _) => "eac3",
            (Some(0xA9 | 0xAC), _) => "dts",
            (Some(0xE1), _) => "qcelp",
            (Some(0xDD), _) => "vorbis",
            _ => "aac",
        },
        "Opus" => "opus",
        "alac" => "alac",
        "fLaC" => "flac",
        ".mp3" => "mp3",
        "ulaw" => "pcm_mulaw",
        "alaw" => "pcm_alaw",
        "sowt" | "twos" | "lpcm" | "in24" | "in32" | "fl32" | "fl64" | "raw " | "ipcm" | "fpcm" => {
            "pcm"
        }
        "ac-3" => "ac3",
        "ec-3" => "eac3",
        "ima4" => "adpcm_ima_qt",
        "sqcp" => "qcelp",
        "mp4s" => "mpeg4_systems",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esds_object_types() {
        // ES_Descriptor (ES_ID 1, no flags) > DecoderConfig (OTI 0x40) > DecSpecificInfo: AOT 2.
        let esds = [
            0x03, 0x19, 0x00, 0x01, 0x00, 0x04, 0x11, 0x40, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0x05, 0x02, 0x12, 0x10,
        ];
        assert_eq!(esds_types(&esds), (Some(0x40), Some(2)));
        let mut he = esds;
        he[22] = 0x2B; // AOT 5
        assert_eq!(esds_types(&he), (Some(0x40), Some(5)));
        assert_eq!(esds_types(&[0x03, 0x80]), (None, None));
    }
}
