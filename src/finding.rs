//! Findings: what sealing, probing and verifying noticed, each with a stable dotted code.
//!
//! Every code is a constant in [`code`] and is documented in `docs/FORMAT.md`. Codes never change
//! meaning once released; new ones may be added.

use serde::{Deserialize, Serialize};

/// How much a finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; changes no verdict.
    Info,
    /// Something a person should look at, but the bundle is intact (for example an unpinned signer,
    /// or a recording that did not decode cleanly).
    Warning,
    /// Verification fails.
    Error,
}

impl Severity {
    /// The lowercase word used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One thing that was noticed, with a stable code, a message for people, and where it was seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// A stable dotted code, one of [`code`].
    pub code: String,
    /// How much it matters.
    pub severity: Severity,
    /// A sentence for people: what is wrong, and where useful what to do next.
    pub message: String,
    /// The bundle path or input path the finding is about, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// What was expected, as data (a digest, a key, a count), where the check compared values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What was found instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
}

impl Finding {
    /// A finding with no path.
    pub fn new(code: &str, severity: Severity, message: impl Into<String>) -> Self {
        Finding {
            code: code.to_string(),
            severity,
            message: message.into(),
            path: None,
            expected: None,
            found: None,
        }
    }

    /// The same finding, with the expected and found values as data.
    pub fn values(mut self, expected: impl ToString, found: impl ToString) -> Self {
        self.expected = Some(expected.to_string());
        self.found = Some(found.to_string());
        self
    }

    /// An error-severity finding about `path`.
    pub fn error(code: &str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Finding::new(code, Severity::Error, message).at(path)
    }

    /// A warning-severity finding about `path`.
    pub fn warning(code: &str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Finding::new(code, Severity::Warning, message).at(path)
    }

    /// The same finding, about `path`.
    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }
}

/// The stable finding codes. `docs/FORMAT.md` has a table of every one.
pub mod code {
    // --- about one recording (recorded in evidence.json while sealing) ---
    /// The file has no bytes.
    pub const FILE_EMPTY: &str = "file.empty";
    /// No known audio container was recognised.
    pub const FORMAT_UNRECOGNIZED: &str = "format.unrecognized";
    /// The container's metadata could not be read; the audio was read without it.
    pub const FORMAT_METADATA_INVALID: &str = "format.metadata.invalid";
    /// The container was read, but it holds no audio track.
    pub const FORMAT_NO_AUDIO: &str = "format.no_audio";
    /// The container could be read, but not the codec of its audio.
    pub const AUDIO_DECODE_UNSUPPORTED: &str = "audio.decode.unsupported";
    /// Decoding failed with an error.
    pub const AUDIO_DECODE_FAILED: &str = "audio.decode.failed";
    /// The decoder crashed (a panic or a killed worker).
    pub const AUDIO_DECODE_CRASHED: &str = "audio.decode.crashed";
    /// The decoder took longer than the time limit.
    pub const AUDIO_DECODE_TIMEOUT: &str = "audio.decode.timeout";
    /// The stream ended before its declared length.
    pub const AUDIO_TRUNCATED: &str = "audio.truncated";
    /// The embedded checksum (FLAC's MD5) does not match the decoded audio.
    pub const AUDIO_CHECKSUM_MISMATCH: &str = "audio.checksum.mismatch";
    /// AMR frames that carry no usable speech: marked bad (Q bit 0), lost (NO_DATA outside a DTX
    /// silence, SPEECH_LOST) or of a reserved type; the decoder conceals them.
    pub const AUDIO_FRAMES_LOST: &str = "audio.frames.lost";
    /// The stream decodes to more frames than its container declares.
    pub const AUDIO_LENGTH_MISMATCH: &str = "audio.length.mismatch";

    // --- the container ---
    /// The bundle could not be opened or read as a ZIP or a folder.
    pub const BUNDLE_UNREADABLE: &str = "bundle.unreadable";
    /// An entry name is not enclosed in the bundle (`../x`, `/abs`, `C:\x`, backslashes).
    pub const BUNDLE_ENTRY_UNSAFE_NAME: &str = "bundle.entry.unsafe_name";
    /// Two entries have the same name.
    pub const BUNDLE_ENTRY_DUPLICATE: &str = "bundle.entry.duplicate";
    /// Entries overlap inside the ZIP file.
    pub const BUNDLE_ENTRY_OVERLAP: &str = "bundle.entry.overlap";
    /// An entry is encrypted.
    pub const BUNDLE_ENTRY_ENCRYPTED: &str = "bundle.entry.encrypted";
    /// An entry is a symbolic link (or another non-regular file).
    pub const BUNDLE_ENTRY_SYMLINK: &str = "bundle.entry.symlink";
    /// An entry's bytes do not match its ZIP CRC-32.
    pub const BUNDLE_ENTRY_CRC: &str = "bundle.entry.crc";
    /// An entry expands beyond its declared size or a sane ratio, or beyond a size cap.
    pub const BUNDLE_ENTRY_OVERSIZE: &str = "bundle.entry.oversize";
    /// An entry could not be read.
    pub const BUNDLE_ENTRY_UNREADABLE: &str = "bundle.entry.unreadable";
    /// An entry uses a compression method other than stored or deflate.
    pub const BUNDLE_ENTRY_COMPRESSION: &str = "bundle.entry.compression";
    /// The bundle does not hold exactly one top-level folder.
    pub const BUNDLE_LAYOUT: &str = "bundle.layout";
    /// A file outside `data/` and `custody/` that is not one of the bag's tag files.
    pub const BUNDLE_ENTRY_UNEXPECTED: &str = "bundle.entry.unexpected";
    /// A local header disagrees with its central-directory record (name, method, flags, sizes,
    /// CRC, data descriptor), or uses a feature a bundle never uses.
    pub const BUNDLE_ENTRY_HEADER_MISMATCH: &str = "bundle.entry.header_mismatch";
    /// The end-of-central-directory record disagrees with the central directory it describes
    /// (count, size, position), so tools would list different entries.
    pub const BUNDLE_DIRECTORY_MISMATCH: &str = "bundle.directory.mismatch";
    /// Bytes that belong to no entry: before the first, between two, after the end record, or in
    /// an archive or entry comment.
    pub const BUNDLE_HIDDEN_BYTES: &str = "bundle.hidden_bytes";
    /// A folder entry that carries data or shadows a file, or a file where a folder must be.
    pub const BUNDLE_ENTRY_FOLDER: &str = "bundle.entry.folder";
    /// A name other tools would read differently: non-ASCII without the UTF-8 flag, or a Unicode
    /// Path extra field that names another file.
    pub const BUNDLE_ENTRY_NAME_AMBIGUOUS: &str = "bundle.entry.name_ambiguous";

    // --- BagIt ---
    /// `bagit.txt` is missing or not the declaration earwitness writes.
    pub const BAG_DECLARATION_INVALID: &str = "bag.declaration.invalid";
    /// `bag-info.txt` is missing or malformed.
    pub const BAG_INFO_INVALID: &str = "bag.info.invalid";
    /// Payload-Oxum does not match the payload.
    pub const BAG_OXUM_MISMATCH: &str = "bag.oxum.mismatch";
    /// A manifest or tag manifest is missing or malformed.
    pub const MANIFEST_INVALID: &str = "manifest.invalid";
    /// A payload file's SHA-256 differs from the manifest.
    pub const PAYLOAD_HASH_MISMATCH: &str = "payload.hash.mismatch";
    /// A payload file listed in the manifest is not in the bundle.
    pub const PAYLOAD_MISSING: &str = "payload.missing";
    /// A file under `data/` is not listed in the manifest.
    pub const PAYLOAD_UNLISTED: &str = "payload.unlisted";
    /// A tag file's SHA-256 differs from the tag manifest.
    pub const TAG_HASH_MISMATCH: &str = "tag.hash.mismatch";
    /// A tag file listed in the tag manifest is missing.
    pub const TAG_MISSING: &str = "tag.missing";
    /// A tag file that must be covered by the tag manifest is not listed in it.
    pub const TAG_UNLISTED: &str = "tag.unlisted";

    // --- evidence.json ---
    /// `evidence.json` is not a valid evidence manifest.
    pub const EVIDENCE_INVALID: &str = "evidence.invalid";
    /// `evidence.json` disagrees with the bundle: a path missing from either side, listed twice, or
    /// with another SHA-256 than the manifest or another size than the file.
    pub const EVIDENCE_MISMATCH: &str = "evidence.mismatch";

    /// `verify --deep`: decoding the payload again gives other media values than `evidence.json`
    /// records, with the same decoder.
    pub const MEDIA_MISMATCH: &str = "media.mismatch";
    /// `verify --deep`: the values differ, but so does the decoder (another version), which can
    /// change lossy decoders' output; a person should compare.
    pub const MEDIA_DECODER_CHANGED: &str = "media.decoder_changed";
    /// `verify --deep`: a payload file could not be decoded again (a compressed entry).
    pub const MEDIA_UNCHECKED: &str = "media.unchecked";
    /// `verify --deep` of a bundle that is not a file on this machine (an object in storage): a
    /// recording was decoded from a temporary copy of its entry, deleted afterwards. A note.
    pub const MEDIA_SPOOLED: &str = "media.spooled";

    // --- custody ---
    /// The bundle has no custody events.
    pub const CUSTODY_MISSING: &str = "custody.missing";
    /// A custody event is not valid JSON of the documented shape, or breaks a rule about its
    /// members.
    pub const CUSTODY_EVENT_INVALID: &str = "custody.event.invalid";
    /// The events do not form one chain: a gap, a duplicate, a reordering or a wrong link.
    pub const CUSTODY_CHAIN_BROKEN: &str = "custody.chain.broken";
    /// An event names a tag manifest other than the one in the bundle.
    pub const CUSTODY_TAGMANIFEST_MISMATCH: &str = "custody.tagmanifest.mismatch";
    /// A raw Ed25519 signature is missing.
    pub const CUSTODY_SIGNATURE_MISSING: &str = "custody.signature.missing";
    /// A raw Ed25519 signature does not verify.
    pub const CUSTODY_SIGNATURE_INVALID: &str = "custody.signature.invalid";
    /// An SSHSIG signature is missing or does not verify.
    pub const CUSTODY_SSHSIG_INVALID: &str = "custody.sshsig.invalid";
    /// A signer's public key file (`.pem` or `.pub`) is missing.
    pub const CUSTODY_KEY_MISSING: &str = "custody.key.missing";
    /// A key file does not match the fingerprint it is named for, is a weak key, or holds other
    /// bytes than the one form earwitness writes.
    pub const CUSTODY_KEY_INVALID: &str = "custody.key.invalid";
    /// A `received` event signed by another key than the preceding transfer named, or with no
    /// transfer before it.
    pub const CUSTODY_RECEIVER_UNEXPECTED: &str = "custody.receiver.unexpected";
    /// A `transferred` event signed by someone other than the current holder (the sealer, or the
    /// last receiver).
    pub const CUSTODY_HOLDER_UNEXPECTED: &str = "custody.holder.unexpected";
    /// An event's time is earlier than the previous event's (a warning: clocks are claims).
    pub const CUSTODY_TIME_BACKWARDS: &str = "custody.time.backwards";
    /// A receipt given with `--expect-receipt` names an event the bundle does not contain.
    pub const CUSTODY_RECEIPT_MISSING: &str = "custody.receipt.missing";
    /// A receipt given with `--expect-receipt` is damaged, is for another bag, does not name a
    /// `received` event, or its signature does not verify.
    pub const CUSTODY_RECEIPT_INVALID: &str = "custody.receipt.invalid";
    /// A file under `custody/` that is not part of the custody layout.
    pub const CUSTODY_ENTRY_UNEXPECTED: &str = "custody.entry.unexpected";
    /// A time-stamp token fails a check (status, imprint, the TSA's signature, its certificate,
    /// the chain at genTime), or a renewal manifest is not the one its files make.
    pub const CUSTODY_TIMESTAMP_INVALID: &str = "custody.timestamp.invalid";
    /// A time-stamp token beside one event time-stamps another event's file: it was moved.
    pub const CUSTODY_TIMESTAMP_MISPLACED: &str = "custody.timestamp.misplaced";
    /// A sound time-stamp token from a TSA that is not among the trusted roots.
    pub const CUSTODY_TIMESTAMP_UNTRUSTED: &str = "custody.timestamp.untrusted";
    /// An event claims a time more than the tolerance after a TSA time-stamped it.
    pub const CUSTODY_TIME_AFTER_TIMESTAMP: &str = "custody.time.after_timestamp";

    // --- trust ---
    /// The signer is not among the keys the user trusts (or not for the event's time).
    pub const SIGNER_UNTRUSTED: &str = "signer.untrusted";
    /// No trusted keys were given, so the signer could not be checked against any.
    pub const SIGNER_UNPINNED: &str = "signer.unpinned";
    /// A report's analysis: samples at full scale in runs (the recording is clipped).
    pub const AUDIO_CLIPPING: &str = "audio.clipping";
    /// Findings beyond the first few hundred of one code, counted and left out.
    pub const FINDINGS_TRUNCATED: &str = "findings.truncated";

    use super::Severity::{self, Error, Info, Warning};

    /// Every code, with its severity (as a verifier reports it; seal-time codes as `seal`
    /// records them). docs/FORMAT.md §8 lists exactly these; a test keeps the two in step.
    pub const ALL: &[(&str, Severity)] = &[
        (FILE_EMPTY, Warning),
        (FORMAT_UNRECOGNIZED, Warning),
        (FORMAT_NO_AUDIO, Warning),
        (FORMAT_METADATA_INVALID, Warning),
        (AUDIO_DECODE_UNSUPPORTED, Warning),
        (AUDIO_DECODE_FAILED, Warning),
        (AUDIO_DECODE_CRASHED, Warning),
        (AUDIO_DECODE_TIMEOUT, Warning),
        (AUDIO_TRUNCATED, Warning),
        (AUDIO_CHECKSUM_MISMATCH, Warning),
        (AUDIO_CLIPPING, Warning),
        (AUDIO_FRAMES_LOST, Warning),
        (AUDIO_LENGTH_MISMATCH, Warning),
        (BUNDLE_UNREADABLE, Error),
        (BUNDLE_ENTRY_UNSAFE_NAME, Error),
        (BUNDLE_ENTRY_NAME_AMBIGUOUS, Error),
        (BUNDLE_ENTRY_DUPLICATE, Error),
        (BUNDLE_ENTRY_OVERLAP, Error),
        (BUNDLE_ENTRY_ENCRYPTED, Error),
        (BUNDLE_ENTRY_SYMLINK, Error),
        (BUNDLE_ENTRY_CRC, Error),
        (BUNDLE_ENTRY_OVERSIZE, Error),
        (BUNDLE_ENTRY_UNREADABLE, Error),
        (BUNDLE_ENTRY_COMPRESSION, Error),
        (BUNDLE_ENTRY_HEADER_MISMATCH, Error),
        (BUNDLE_ENTRY_FOLDER, Error),
        (BUNDLE_DIRECTORY_MISMATCH, Error),
        (BUNDLE_HIDDEN_BYTES, Error),
        (BUNDLE_LAYOUT, Error),
        (BUNDLE_ENTRY_UNEXPECTED, Error),
        (BAG_DECLARATION_INVALID, Error),
        (BAG_INFO_INVALID, Error),
        (BAG_OXUM_MISMATCH, Error),
        (MANIFEST_INVALID, Error),
        (PAYLOAD_HASH_MISMATCH, Error),
        (PAYLOAD_MISSING, Error),
        (PAYLOAD_UNLISTED, Error),
        (TAG_HASH_MISMATCH, Error),
        (TAG_MISSING, Error),
        (TAG_UNLISTED, Error),
        (EVIDENCE_INVALID, Error),
        (EVIDENCE_MISMATCH, Error),
        (MEDIA_MISMATCH, Error),
        (MEDIA_DECODER_CHANGED, Warning),
        (MEDIA_UNCHECKED, Warning),
        (MEDIA_SPOOLED, Info),
        (CUSTODY_MISSING, Error),
        (CUSTODY_EVENT_INVALID, Error),
        (CUSTODY_CHAIN_BROKEN, Error),
        (CUSTODY_TAGMANIFEST_MISMATCH, Error),
        (CUSTODY_SIGNATURE_MISSING, Error),
        (CUSTODY_SIGNATURE_INVALID, Error),
        (CUSTODY_SSHSIG_INVALID, Error),
        (CUSTODY_KEY_MISSING, Error),
        (CUSTODY_KEY_INVALID, Error),
        (CUSTODY_RECEIVER_UNEXPECTED, Error),
        (CUSTODY_HOLDER_UNEXPECTED, Error),
        (CUSTODY_TIME_BACKWARDS, Warning),
        (CUSTODY_RECEIPT_MISSING, Error),
        (CUSTODY_RECEIPT_INVALID, Error),
        (CUSTODY_ENTRY_UNEXPECTED, Error),
        (CUSTODY_TIMESTAMP_INVALID, Error),
        (CUSTODY_TIMESTAMP_MISPLACED, Error),
        (CUSTODY_TIMESTAMP_UNTRUSTED, Warning),
        (CUSTODY_TIME_AFTER_TIMESTAMP, Warning),
        (SIGNER_UNTRUSTED, Warning),
        (SIGNER_UNPINNED, Warning),
        (FINDINGS_TRUNCATED, Info),
    ];
}
