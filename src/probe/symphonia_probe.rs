//! The container and tags of a recording, read with symphonia 0.6.

use std::fs::File;
use std::path::Path;

use symphonia::core::codecs::audio::AudioCodecId;
use symphonia::core::codecs::audio::well_known::*;
use symphonia::core::errors::Error;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, Track, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::{MetadataOptions, RawValue, StandardTag};

use super::{Probed, iso, riff};
use crate::evidence::{Media, Tag};
use crate::finding::{Finding, code};

/// The version of symphonia this build links, read from `Cargo.lock` at compile time.
pub fn symphonia_version() -> &'static str {
    const LOCK: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"));
    let mut lines = LOCK.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"symphonia\""
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
pub(crate) fn open_reader(path: &Path) -> Result<Box<dyn FormatReader>, Error> {
    let file = File::open(path)?;
    let mss = MediaSourceStream::new(Box::new(file), MediaSourceStreamOptions::default());
    symphonia::default::get_probe().probe(
        &Hint::new(),
        mss,
        FormatOptions::default(),
        MetadataOptions::default(),
    )
}

pub(super) fn probe(path: &Path, label: &str, file_len: u64) -> Probed {
    let mut format = match open_reader(path) {
        Ok(f) => f,
        Err(Error::Unsupported(_)) => {
            return Probed::nothing(Finding::warning(
                code::FORMAT_UNRECOGNIZED,
                label,
                "no known audio format; the file is archived byte for byte",
            ));
        }
        Err(e) => {
            return Probed::nothing(Finding::warning(
                code::AUDIO_DECODE_FAILED,
                label,
                format!("the container could not be read: {e}"),
            ));
        }
    };
    let container = container_name(format.format_info().short_name);
    let mut findings = Vec::new();
    let mut tags = collect_tags(format.as_mut());
    if container == "wav" {
        // symphonia 0.6.1 drops RIFF INFO tags; read them ourselves.
        if let Ok(f) = File::open(path)
            && let Ok(info) = riff::read_info(f, file_len)
        {
            tags.extend(info.into_iter().map(|(id, value)| Tag {
                key: riff::standard_key(&id).map(str::to_string),
                raw_key: id,
                value,
            }));
        }
    }
    let reader = format!("symphonia {}", symphonia_version());
    let track = format
        .default_track(TrackType::Audio)
        .or_else(|| format.tracks().first());
    let mut media = Media {
        container: container.to_string(),
        codec: None,
        sample_rate: None,
        channels: None,
        bits_per_sample: None,
        declared_frames: None,
        duration_seconds: None,
        reader,
        tags,
    };
    if let Some(track) = track {
        fill_track(&mut media, track)
    }
    if media.codec.is_none() && container == "isomp4" {
        // symphonia keeps an AMR track in 3GP but drops its codec; read the sample entry.
        if let Ok(mut f) = File::open(path)
            && let Ok(Some((fourcc, rate))) = iso::first_sample_entry(&mut f, file_len)
        {
            media.codec = Some(
                iso::codec_for_entry(&fourcc)
                    .unwrap_or("unknown")
                    .to_string(),
            );
            if media.sample_rate.is_none() && rate > 0 {
                media.sample_rate = Some(rate);
            }
            if let (Some(frames), Some(rate)) = (media.declared_frames, media.sample_rate) {
                media.duration_seconds = Some(frames as f64 / f64::from(rate));
            }
        }
    }
    if track.is_none() && media.codec.is_none() {
        findings.push(Finding::warning(
            code::FORMAT_NO_AUDIO,
            label,
            format!("the {container} container holds no audio track"),
        ));
    }
    Probed {
        media: Some(media),
        findings,
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
    // Frames are counted at the track's time base when the codec gave no sample rate.
    let rate = media.sample_rate.or_else(|| {
        track
            .time_base
            .filter(|tb| tb.numer.get() == 1)
            .map(|tb| tb.denom.get())
    });
    if media.sample_rate.is_none() {
        media.sample_rate = rate;
    }
    if media.declared_frames.is_none() {
        media.declared_frames = track.duration.map(|d| d.get());
    }
    if let (Some(frames), Some(rate)) = (media.declared_frames, rate)
        && rate > 0
    {
        media.duration_seconds = Some(frames as f64 / f64::from(rate));
    }
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
