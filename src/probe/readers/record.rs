//! What a decode result says about a recording: its values copied into `Media`, and the
//! findings it calls for (truncation, frames beyond the declared length, rejected packets,
//! checksum mismatch). docs/FORMAT.md §8.

use crate::evidence::{DecodeErrorAt, Media};
use crate::finding::{Finding, code};
use crate::probe::decode;

/// Frames a stream may fall short of its declared length before it is called truncated: the
/// larger of 2048 frames and 0.1 % (declared lengths of some formats are estimates).
fn truncation_tolerance(declared: u64) -> u64 {
    (declared / 1000).max(2048)
}

/// Frames a stream may run past its declared length before that is reported: none for PCM,
/// whose length is its data size; otherwise one large codec frame, or 0.1 % of long streams.
fn excess_tolerance(codec: Option<&str>, declared: u64) -> u64 {
    if codec.is_some_and(|c| c.starts_with("pcm")) {
        return 0;
    }
    (declared / 1000).max(4608)
}

/// Copies a decode result into `media` and returns the findings it calls for.
pub(crate) fn record_decode(
    media: &mut Media,
    decoded: decode::Decoded,
    label: &str,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let rate = media.sample_rate.filter(|r| *r > 0).map(f64::from);
    media.decoder = Some(decoded.decoder.clone());
    media.decoded_frames = Some(decoded.frames);
    media.decode_errors = Some(decoded.errors);
    media.first_decode_error = decoded
        .first_error
        .as_ref()
        .map(|(frame, message)| DecodeErrorAt {
            frame: *frame,
            seconds: rate.map(|r| *frame as f64 / r),
            message: message.clone(),
        });
    media.embedded_checksum = decoded.checksum;
    media.priming_frames = decoded.priming;
    media.padding_frames = decoded.padding;
    media.pcm_sha256 = Some(decoded.pcm_sha256);
    media.pcm_format = Some(decoded.pcm_format.to_string());
    media.stream_end = Some(
        match &decoded.end {
            decode::StreamEnd::Clean => "clean",
            decode::StreamEnd::UnexpectedEof => "unexpected_eof",
            decode::StreamEnd::Error(_) => "error",
        }
        .to_string(),
    );
    let at = |frames: u64| match rate {
        Some(r) => format!("{:.3} s", frames as f64 / r),
        None => format!("frame {frames}"),
    };
    match &decoded.end {
        decode::StreamEnd::Clean => {}
        decode::StreamEnd::UnexpectedEof => findings.push(Finding::warning(
            code::AUDIO_TRUNCATED,
            label,
            format!(
                "the file ends in the middle of the audio, after {} decoded frames ({})",
                decoded.frames,
                at(decoded.frames)
            ),
        )),
        decode::StreamEnd::Error(e) => findings.push(Finding::warning(
            code::AUDIO_DECODE_FAILED,
            label,
            format!(
                "decoding stopped at {} with an error: {e}",
                at(decoded.frames)
            ),
        )),
    }
    if decoded.end == decode::StreamEnd::Clean
        && let Some(declared) = media.declared_frames
        && declared > decoded.frames + truncation_tolerance(declared)
    {
        findings.push(Finding::warning(
            code::AUDIO_TRUNCATED,
            label,
            format!(
                "only {} of the {declared} declared frames decoded ({} of {}): the stream is truncated or frames were dropped",
                decoded.frames,
                at(decoded.frames),
                at(declared)
            ),
        ));
    }
    let excess = |declared: u64| excess_tolerance(media.codec.as_deref(), declared);
    if let Some(declared) = media.declared_frames
        && decoded.beyond > excess(declared)
    {
        findings.push(Finding::warning(
            code::AUDIO_LENGTH_MISMATCH,
            label,
            format!(
                "{} frames decode beyond the {declared} the file declares ({}); a player does not present them",
                decoded.beyond,
                at(declared)
            ),
        ));
    } else if decoded.end == decode::StreamEnd::Clean
        && let Some(declared) = media.declared_frames
        && decoded.frames > declared + excess(declared)
    {
        findings.push(Finding::warning(
            code::AUDIO_LENGTH_MISMATCH,
            label,
            format!(
                "{} frames decoded where the file declares {declared} ({} where it declares {}): the declared length is wrong, or audio was appended",
                decoded.frames,
                at(decoded.frames),
                at(declared)
            ),
        ));
    }
    if decoded.errors > 0 {
        let first = decoded
            .first_error
            .as_ref()
            .map(|(frame, msg)| format!("; the first at {} ({msg})", at(*frame)))
            .unwrap_or_default();
        findings.push(Finding::warning(
            code::AUDIO_DECODE_FAILED,
            label,
            format!("the decoder rejected {} packet(s){first}", decoded.errors),
        ));
    }
    if decoded.checksum == Some(crate::evidence::EmbeddedChecksum::Mismatch) {
        findings.push(Finding::warning(
            code::AUDIO_CHECKSUM_MISMATCH,
            label,
            "the decoded audio does not match the MD5 stored in the file: the audio was altered or damaged",
        ));
    }
    findings
}
