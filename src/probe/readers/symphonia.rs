//! The container and tags of a recording, read with symphonia 0.6.

use symphonia::core::codecs::audio::AudioCodecId;
use symphonia::core::codecs::audio::well_known::*;
use symphonia::core::errors::Error;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, Track};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::{MetadataOptions, RawValue, StandardTag};

pub(super) use super::record::record_decode;
use super::{flacmeta, iso, isopcm, presentation, riff, sniff, wav};
use crate::evidence::{Media, Tag};
use crate::finding::{Finding, code};
use crate::probe::trim::Trim;
use crate::probe::{Depth, Input, Probed, amrdec, decode};

/// The version of symphonia this build links, read from `Cargo.lock` at compile time.
pub fn symphonia_version() -> &'static str {
    locked_version("symphonia")
}

/// The version of crate `name` in this build's `Cargo.lock` (embedded at compile time).
pub(crate) fn locked_version(name: &str) -> &'static str {
    // Asked once per decoded file: remember the answers instead of scanning the lock file again.
    static FOUND: std::sync::Mutex<Vec<(String, &'static str)>> = std::sync::Mutex::new(Vec::new());
    let mut found = match FOUND.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some((_, v)) = found.iter().find(|(n, _)| n == name) {
        return v;
    }
    let version = scan_lock(name);
    found.push((name.to_string(), version));
    version
}

fn scan_lock(name: &str) -> &'static str {
    const LOCK: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"));
    let wanted = format!("name = \"{name}\"");
    let mut lines = LOCK.lines();
    while let Some(line) = lines.next() {
        if line == wanted
            && let Some(v) = lines
                .next()
                .and_then(|l| l.strip_prefix("version = \""))
                .and_then(|l| l.strip_suffix('"'))
        {
            return v;
        }
    }
    "unknown"
}

/// Opens `path` with symphonia's probe (detection by content; the extension is not trusted).
pub(crate) fn open_reader(input: &Input) -> Result<Box<dyn FormatReader>, Error> {
    let file = input.open()?;
    let mss = MediaSourceStream::new(Box::new(file), MediaSourceStreamOptions::default());
    symphonia::default::get_probe().probe(
        &Hint::new(),
        mss,
        FormatOptions::default(),
        MetadataOptions::default(),
    )
}

/// Everything symphonia reads: WAV, AIFF, CAF, FLAC, MP3, MP4/M4A/3GP, Ogg, Matroska/WebM.
pub struct Symphonia;

impl super::Reader for Symphonia {
    /// symphonia recognises containers itself, and reports what it does not know.
    fn sniff(&self, _head: &[u8]) -> bool {
        true
    }

    fn probe(&self, input: &Input, label: &str, len: u64, depth: Depth) -> Probed {
        probe(input, label, len, depth)
    }
}

fn probe(input: &Input, label: &str, file_len: u64, depth: Depth) -> Probed {
    probe_with(input, label, file_len, depth, true)
}

/// [`probe`]; `gapless`: apply a LAME header's delay and padding (an MPEG stream inside WAV is
/// played without them, as ffmpeg does).
fn probe_with(input: &Input, label: &str, file_len: u64, depth: Depth, gapless: bool) -> Probed {
    let mut head = [0u8; super::HEAD_LEN];
    let head_len = input
        .open()
        .map(|mut f| crate::probe::read_up_to(&mut f, &mut head))
        .unwrap_or(0);
    let head = &head[..head_len];
    // WAV that symphonia cannot read, or reads wrongly, is read by our own WAV reader.
    let own_wav = sniff::starts_as("wav", head)
        .then(|| input.open().ok())
        .flatten()
        .and_then(|mut f| wav::read_header(&mut f, file_len).ok().flatten());
    if let Some(w) = &own_wav
        && !w.symphonia_reads(file_len)
    {
        return wav::probe(input, label, w, file_len, depth);
    }
    let mut metadata_findings = Vec::new();
    let opened = open_reader(input);
    let repaired = match (&opened, &own_wav) {
        (Err(_), None) if head.starts_with(b"fLaC") => flacmeta::reopen(input),
        _ => None,
    };
    let mut format = match (opened, &own_wav) {
        (Ok(f), _) => f,
        (Err(e), None) if repaired.is_some() => {
            let Some((reader, left_out)) = repaired else {
                return Probed::empty();
            };
            metadata_findings.push(Finding::warning(
                code::FORMAT_METADATA_INVALID,
                label,
                format!("the FLAC metadata could not be read ({e}); the audio was read without {left_out}"),
            ));
            reader
        }
        (Err(_), Some(w)) => return wav::probe(input, label, w, file_len, depth),
        (Err(Error::Unsupported(_)), None) => {
            if let Some(("wav", Some(codec @ ("mp3" | "mp2")))) = sniff::known_container(head)
                && let Ok(mut f) = input.open()
                && let Some((start, len)) = wav::data_window(&mut f, file_len)
            {
                // MPEG audio in WAV: read the data chunk as the MPEG stream it is.
                let inner = probe_with(&input.sub(start, len), label, len, depth, false);
                if let Some(mut media) = inner.media.filter(|m| m.codec.as_deref() == Some(codec)) {
                    media.container = "wav".into();
                    return Probed {
                        media: Some(media),
                        ..inner
                    };
                }
            }
            if let Some((container, codec)) = sniff::known_container(head) {
                // A container we know, with a codec symphonia does not: say which.
                let mut media = Media::new(container, format!("symphonia {}", symphonia_version()));
                media.codec = codec.map(str::to_string);
                let what = codec.map_or(format!("this {container} file's codec"), str::to_string);
                return Probed {
                    media: Some(media),
                    findings: vec![crate::probe::unsupported(label, &what)],
                    pictures: None,
                };
            }
            return Probed::nothing(Finding::warning(
                code::FORMAT_UNRECOGNIZED,
                label,
                "no known audio format; the file is archived byte for byte",
            ));
        }
        (Err(e), None) => {
            return Probed::nothing(Finding::warning(
                code::AUDIO_DECODE_FAILED,
                label,
                format!("the container could not be read: {e}"),
            ));
        }
    };
    let container = container_name(format.format_info().short_name);
    if !sniff::starts_as(container, head) {
        // symphonia's probe scans for markers anywhere in the first megabyte: a WAV header
        // embedded in another format (WavPack, Monkey's Audio, ...) is not a WAV file.
        return Probed::nothing(Finding::warning(
            code::FORMAT_UNRECOGNIZED,
            label,
            format!(
                "no known audio format (a {container} header was found inside the file, not at its start); the file is archived byte for byte"
            ),
        ));
    }
    let mut findings = metadata_findings;
    let mut media = Media::new(container, format!("symphonia {}", symphonia_version()));
    media.tags = collect_tags(format.as_mut());
    // symphonia 0.6.1 drops RIFF INFO tags; read them ourselves.
    if container == "wav"
        && let Ok(f) = input.open()
        && let Ok(info) = riff::read_info(f, file_len)
    {
        media.tags.extend(info.into_iter().map(|(id, value)| Tag {
            key: riff::standard_key(&id).map(str::to_string),
            raw_key: id,
            value,
        }));
    }
    // The first audio track, whatever comes before it (a video track's time base is no sample
    // rate). ISO files say which tracks are audio in their handler, which symphonia ignores.
    let movie = (container == "isomp4")
        .then(|| {
            let mut f = input.open().ok()?;
            iso::read_movie(&mut f, file_len).ok()
        })
        .flatten()
        .filter(|m| !m.tracks.is_empty());
    let iso_track = movie.as_ref().and_then(|m| m.first_audio()).cloned();
    let track = match (&movie, &iso_track) {
        (Some(_), Some(t)) => format.tracks().iter().find(|s| s.id == t.id).cloned(),
        (Some(_), None) => None,
        (None, _) => format
            .tracks()
            .iter()
            .find(|t| t.codec_params.as_ref().and_then(|p| p.audio()).is_some())
            .cloned(),
    };
    if let Some(track) = &track {
        fill_track(&mut media, track);
    }
    let mut trim = None;
    if container == "aiff"
        && let Ok(mut f) = input.open()
        && let Some(frames) = sniff::aiff_frames(&mut f, file_len)
    {
        media.declared_frames = Some(frames);
    }
    // Whether the codec symphonia would decode is what the file holds (it calls ALS and HE-AAC
    // "aac", and would decode only the AAC core of HE-AAC).
    let mut decodable = true;
    if let Some(t) = &iso_track {
        if let Some(entry) = &t.entry {
            let codec = iso::codec_for_entry(entry).unwrap_or("unknown");
            match media.codec.as_deref() {
                None => media.codec = Some(codec.to_string()),
                Some(ours) if entry.fourcc == "mp4a" && ours != codec && codec != "unknown" => {
                    media.codec = Some(codec.to_string());
                    decodable = false;
                }
                _ => {}
            }
            if media.sample_rate.is_none() && entry.sample_rate > 0 {
                media.sample_rate = Some(entry.sample_rate);
            }
            // 3GPP TS 26.244 fixes an AMR entry's channel field at 2 and says to ignore it: AMR
            // is always mono.
            if matches!(codec, "amr_nb" | "amr_wb") {
                media.channels = Some(1);
            } else if media.channels.is_none() {
                media.channels = Some(u32::from(entry.channels)).filter(|c| *c > 0);
            }
        }
        if media.codec.is_none() {
            media.codec = Some("unknown".into());
        }
        if let (Some(movie), Some(rate)) = (&movie, media.sample_rate.filter(|r| *r > 0)) {
            let (t, declared) = presentation::mp4(movie, t, rate, &media.tags);
            trim = t;
            media.declared_frames = declared;
        }
    }
    let codec_now = media.codec.clone().unwrap_or_default();
    let mpeg = matches!(codec_now.as_str(), "mp1" | "mp2" | "mp3");
    if mpeg && container == "mp3" {
        // Only a Xing, Info or VBRI header declares an MPEG stream's length; symphonia's
        // otherwise is a guess from the first frame's bit rate.
        let start = presentation::mpeg_start(input);
        if !start.length_header {
            media.declared_frames = None;
        }
        // The LAME header's delay and padding, applied as decoders do (ffmpeg's mp3dec): the
        // delay from the start; the padding only where the header's frame count ends, so
        // frames beyond that count are not presented, and are reported.
        if let Some(t) = &track
            && gapless
            && (t.delay.is_some() || t.padding.is_some())
        {
            trim = Some(Trim {
                start: u64::from(t.delay.unwrap_or(0)),
                end: u64::from(t.padding.unwrap_or(0)),
                keep: media.declared_frames,
            });
        }
    }
    let mut opus_pre_skip = 0u32;
    if codec_now == "opus" {
        // Opus always decodes at 48 kHz, whatever rate the container claims (RFC 7845 §5.1).
        media.sample_rate = Some(48_000);
        let head = track
            .as_ref()
            .and_then(|t| t.codec_params.as_ref())
            .and_then(|p| p.audio())
            .and_then(|p| p.extra_data.as_deref())
            .and_then(presentation::opus_pre_skip);
        opus_pre_skip = match (&trim, track.as_ref().and_then(|t| t.delay), head) {
            (Some(t), _, _) => u32::try_from(t.start).unwrap_or(u32::MAX),
            (None, Some(d), _) => d,
            (None, None, Some(h)) => h,
            _ => 0,
        };
        if container == "ogg"
            && let Some(d) = media.declared_frames
        {
            // The last granule position counts the pre-skip too (RFC 7845 §4).
            media.declared_frames = Some(d.saturating_sub(u64::from(opus_pre_skip)));
        }
    }
    if track.is_none() && media.codec.is_none() {
        findings.push(Finding::warning(
            code::FORMAT_NO_AUDIO,
            label,
            format!("the {container} container holds no audio track"),
        ));
    }
    let mut pictures = None;
    let amr = media.codec.as_deref().and_then(amrdec::Variant::from_codec);
    // PCM in MP4 that symphonia demuxes but has no codec for.
    let iso_pcm = iso_track
        .as_ref()
        .and_then(|t| t.entry.as_ref())
        .filter(|_| {
            let t = track.as_ref().and_then(|t| t.codec_params.as_ref());
            t.and_then(|p| p.audio()).is_none()
        })
        .zip(media.channels.zip(media.sample_rate))
        .and_then(|(e, (ch, rate))| isopcm::layout(e, ch, rate));
    if let (true, Some(track), Some(pcm)) = (depth.decodes(), track.as_ref(), &iso_pcm) {
        let picture = decode::Picture {
            wanted: depth == Depth::Pictures,
            expected_frames: media.declared_frames,
        };
        let mut decoded = isopcm::decode(format.as_mut(), track.id, pcm, picture);
        pictures = decoded.pictures.take();
        findings.extend(record_decode(&mut media, decoded, label));
    } else if let (true, Some(track), Some(variant)) = (depth.decodes(), track.as_ref(), amr) {
        // AMR in 3GP: symphonia demuxes the samples; earwitness decodes them.
        let picture = decode::Picture {
            wanted: depth == Depth::Pictures,
            expected_frames: media.declared_frames,
        };
        let (mut decoded, unusable, frames) =
            amrdec::decode_track(format.as_mut(), track.id, variant, picture);
        pictures = decoded.pictures.take();
        findings.extend(record_decode(&mut media, decoded, label));
        findings.extend(unusable.finding(label, frames));
    } else if depth.decodes() && media.codec.is_some() {
        let params = track
            .as_ref()
            .and_then(|t| t.codec_params.as_ref())
            .and_then(|p| p.audio())
            .cloned()
            .filter(|_| decodable);
        match (track.as_ref(), params) {
            (Some(track), Some(params)) => {
                let name = codec_name(params.codec);
                let picture = decode::Picture {
                    wanted: depth == Depth::Pictures,
                    expected_frames: media.declared_frames,
                };
                let result = if params.codec == CODEC_ID_OPUS {
                    let keep = trim.and_then(|t| t.keep);
                    decode::decode_opus(
                        format.as_mut(),
                        track.id,
                        &params,
                        opus_pre_skip,
                        keep,
                        picture,
                    )
                } else if name == "flac" && params.bits_per_sample == Some(32) {
                    flac_32(format.as_mut(), track.id, &params, picture)
                } else {
                    decode::decode_track(
                        format.as_mut(),
                        track.id,
                        &params,
                        name,
                        picture,
                        trim,
                        mpeg,
                    )
                };
                match result {
                    Ok(mut decoded) => {
                        pictures = decoded.pictures.take();
                        if container == "flac" {
                            findings.extend(flac_left_over(&decoded, label));
                        }
                        findings.extend(record_decode(&mut media, decoded, label))
                    }
                    Err(decode::DecodeError::Unsupported) => {
                        let what = match params.bits_per_sample {
                            Some(32) if name == "flac" => {
                                "32-bit FLAC (symphonia 0.6.1 decodes its side channel wrongly)"
                            }
                            _ => name,
                        };
                        findings.push(crate::probe::unsupported(label, what));
                    }
                }
            }
            _ => findings.push(crate::probe::unsupported(
                label,
                media.codec.as_deref().unwrap_or("this codec"),
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

fn fill_track(media: &mut Media, track: &Track) {
    if let Some(params) = track.codec_params.as_ref().and_then(|p| p.audio()) {
        media.codec = Some(codec_name(params.codec).to_string());
        media.sample_rate = params.sample_rate;
        media.channels = params.channels.as_ref().map(|c| c.count() as u32);
        media.bits_per_sample = params.bits_per_sample;
    }
    media.declared_frames = track.num_frames;
    // A track duration counts frames only where the time base is one sample; a time base is
    // never taken for a sample rate.
    if media.declared_frames.is_none()
        && let (Some(tb), Some(rate)) = (track.time_base, media.sample_rate)
        && tb.numer.get() == 1
        && tb.denom.get() == rate
    {
        media.declared_frames = track.duration.map(|d| d.get());
    }
}

/// 32-bit FLAC: symphonia 0.6.1 decodes its 33-bit side channel wrongly (a debug assertion
/// fails, or the samples come out wrong), so a 32-bit stream is decoded only where its MD5
/// confirms the result; otherwise it is unsupported, never called damaged.
fn flac_32(
    format: &mut dyn FormatReader,
    track_id: u32,
    params: &symphonia::core::codecs::audio::AudioCodecParameters,
    picture: decode::Picture,
) -> Result<decode::Decoded, decode::DecodeError> {
    let run = std::panic::AssertUnwindSafe(|| {
        decode::decode_track(format, track_id, params, "flac", picture, None, false)
    });
    match std::panic::catch_unwind(run) {
        Ok(Ok(d)) if d.checksum == Some(crate::evidence::EmbeddedChecksum::Verified) => Ok(d),
        _ => Err(decode::DecodeError::Unsupported),
    }
}

/// A FLAC stream whose demuxed packets hold far more bytes than they decode to: symphonia's
/// parser does not separate frames whose sample rate, channels or depth differ from STREAMINFO
/// (the format allows such changes), and would otherwise drop them without a word.
fn flac_left_over(decoded: &decode::Decoded, label: &str) -> Option<Finding> {
    (decoded.undecoded_bytes > 0).then(|| {
        Finding::warning(
            code::AUDIO_DECODE_FAILED,
            label,
            format!(
                "{} bytes of the stream were not decoded (after {} frames): frames that change the sample rate, channels or bit depth, which this decoder does not read, or damage",
                decoded.undecoded_bytes, decoded.frames
            ),
        )
    })
}

/// Our names for symphonia's containers.
fn container_name(short: &str) -> &str {
    match short {
        "wave" => "wav",
        other => other,
    }
}

/// The ffmpeg-style short name of a codec.
pub(crate) fn codec_name(id: AudioCodecId) -> &'static str {
    if let Some(reg) = symphonia::default::get_codecs().get_audio_decoder(id) {
        return reg.codec.info.short_name;
    }
    match id {
        CODEC_ID_OPUS => "opus",
        CODEC_ID_SPEEX => "speex",
        CODEC_ID_AC3 => "ac3",
        CODEC_ID_EAC3 => "eac3",
        CODEC_ID_DCA => "dts",
        CODEC_ID_WAVPACK => "wavpack",
        CODEC_ID_MUSEPACK => "musepack",
        CODEC_ID_TTA => "tta",
        _ => "unknown",
    }
}

fn collect_tags(format: &mut dyn FormatReader) -> Vec<Tag> {
    let mut revisions = Vec::new();
    let mut log = format.metadata();
    while let Some(older) = log.pop() {
        revisions.push(older);
    }
    if let Some(latest) = log.current() {
        revisions.push(latest.clone());
    }
    let mut tags = Vec::new();
    for rev in &revisions {
        for tag in &rev.media.tags {
            let mut raw_key = tag.raw.key.clone();
            let mut key = tag.std.as_ref().and_then(standard_key).map(str::to_string);
            // ID3 TXXX frames carry their real name in a DESCRIPTION sub-field.
            if let Some(desc) = tag.raw.sub_fields.as_ref().and_then(|subs| {
                subs.iter()
                    .find(|s| s.field == "DESCRIPTION")
                    .map(|s| value_text(&s.value))
            }) {
                raw_key = format!("{raw_key}:{desc}");
                if key.is_none() && desc.eq_ignore_ascii_case("comment") {
                    key = Some("comment".into());
                }
            }
            tags.push(Tag {
                key,
                raw_key,
                value: value_text(&tag.raw.value),
            });
        }
    }
    tags
}

fn value_text(value: &RawValue) -> String {
    match value {
        RawValue::String(s) => s.as_str().to_owned(),
        RawValue::StringList(v) => v.join("\n"),
        other => other.to_string(),
    }
}

/// The standard key earwitness records for a symphonia standard tag. Every date a file claims
/// (recording, release, year) is `date`: formats disagree on which field holds the creation date
/// (ID3 `TDRC`, MP4 `©day`, Vorbis `DATE`), and `raw_key` keeps the exact field.
fn standard_key(tag: &StandardTag) -> Option<&'static str> {
    Some(match tag {
        StandardTag::TrackTitle(_) => "title",
        StandardTag::Artist(_) => "artist",
        StandardTag::AlbumArtist(_) => "album_artist",
        StandardTag::Album(_) => "album",
        StandardTag::Comment(_) | StandardTag::Description(_) => "comment",
        StandardTag::RecordingDate(_)
        | StandardTag::RecordingTime(_)
        | StandardTag::RecordingYear(_)
        | StandardTag::ReleaseDate(_)
        | StandardTag::ReleaseYear(_)
        | StandardTag::OriginalReleaseDate(_) => "date",
        StandardTag::EncodingDate(_) => "encoding_date",
        StandardTag::Encoder(_) | StandardTag::EncoderSettings(_) | StandardTag::EncodedBy(_) => {
            "encoder"
        }
        StandardTag::Copyright(_) => "copyright",
        StandardTag::Genre(_) => "genre",
        StandardTag::Language(_) => "language",
        _ => return None,
    })
}
