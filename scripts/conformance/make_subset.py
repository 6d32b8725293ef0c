#!/usr/bin/env python3
"""Copies the chosen conformance fixtures to commit/fixtures/conformance/ with SOURCES and
expected.tsv (reference values from out/raw, written by conformance.sh).

Kept as the record of how fixtures/conformance/ was chosen; it expects the research workspace's
layout (corpus/, out/ and commit/ beside it). The committed subset then dropped the six copyleft
files, and its `verdict`/`problems` columns were added from a run of scripts/conformance.sh on
fixtures/conformance."""
import csv, glob, hashlib, json, os, shutil
HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
DEST = os.path.join(HERE, "commit", "fixtures", "conformance")
# corpus path -> why it is here (defect class from the report, or a regression guard)
CHOSEN = [
 ("cellar-flac/uncommon/02 - increasing number of channels.flac", "D01 flac channel change mid-stream (263 KB, over the 200 KB guide: smallest such file)"),
 ("cellar-flac/faulty/05 - wrong total number of samples.flac", "D05 more frames than STREAMINFO declares, not flagged"),
 ("cellar-flac/faulty/10 - invalid vorbis comment metadata block.flac", "D03 a bad metadata block makes the whole stream unreadable"),
 ("cellar-flac/subset/60 - mono audio.flac", "guard: plain FLAC, MD5 verified"),
 ("cellar-flac/subset/23 - 8 bit per sample.flac", "guard: 8-bit FLAC"),
 ("androidx-media/flac/bear_32bit.flac", "guard: 32-bit FLAC that decodes (no 33-bit side channel)"),
 ("minimp3/M2L3_bitrate_24_all.bit", "D06 MPEG-2 L3 without Xing called truncated (bit-rate estimate)"),
 ("minimp3/l3-he_48khz.bit", "D06 MPEG-1 VBR without Xing called truncated"),
 ("minimp3/l3-he_mode.bit", "D08 mono/stereo switch: packets rejected"),
 ("minimp3/ILL2_layer1.bit", "D23 illegal Layer I stream decoded without a finding"),
 ("androidx-media/mp3/bear-vbr-no-seek-table.mp3", "D07 decode trimmed to the bit-rate estimate: frames silently dropped"),
 ("androidx-media/mp3/bear-vbr-xing-header.mp3", "guard: VBR MP3 with Xing"),
 ("tinytag/mpeg25_8khz_vbr.mp3", "guard: MPEG-2.5 8 kHz"),
 ("tinytag/mpeg2_16khz_vbr.mp3", "guard: MPEG-2 16 kHz"),
 ("tinytag/mpeg1_44_1khz_cbr.mp3", "guard: MPEG-1 CBR"),
 ("tinytag/id3_frames.mp3", "D06 MPEG-2 without Xing called truncated"),
 ("tinytag/bitrate_present.spx", "D10 Speex reported as unreadable/damaged"),
 ("tinytag/mp3_audio.wav", "D19 MP3 in WAV: 'no known audio format'"),
 ("tinytag/gsm_6_10.wav", "D19 GSM in WAV: 'no known audio format'"),
 ("tinytag/16bit_pcm_to_als.mp4", "D17 MPEG-4 ALS named aac"),
 ("tinytag/mp3_audio.m4a", "D17 MP3 in MP4: channels missing"),
 ("tinytag/24bit_pcm_extended.wav", "guard: WAVE_FORMAT_EXTENSIBLE 24-bit"),
 ("tinytag/32bit_pcm_extended.wav", "guard: WAVE_FORMAT_EXTENSIBLE 32-bit"),
 ("tinytag/8khz_5s.opus", "guard: Ogg Opus 8 kHz input"),
 ("tinytag/test.opus", "ok: Ogg cut mid-page, earwitness right (ffmpeg silent)"),
 ("tinytag/alac_silence.m4a", "guard: ALAC in M4A"),
 ("tinytag/classical.m4a", "guard: AAC-LC M4A"),
 ("tinytag/classical.ogg", "guard: Vorbis"),
 ("tinytag/pluck-pcm8.aiff", "guard: AIFF 8-bit"),
 ("scipy/test-44100Hz-le-1ch-4bytes-rf64.wav", "D11a RF64 unrecognized"),
 ("scipy/test-8000Hz-le-3ch-5S-24bit-rf64.wav", "D11a RF64 unrecognized"),
 ("scipy/test-8000Hz-be-3ch-5S-24bit.wav", "D11a RIFX unrecognized"),
 ("scipy/test-8000Hz-le-4ch-9S-12bit.wav", "D11b 12-bit PCM reported as damage"),
 ("scipy/test-1234Hz-le-1ch-10S-20bit-extra.wav", "D11b 20-bit PCM reported as damage"),
 ("scipy/test-8000Hz-le-1ch-1byte-ulaw.wav", "D11b u-law fmt chunk rejected"),
 ("scipy/test-44100Hz-le-1ch-4bytes.wav", "D11c RIFF size short of the data chunk: whole file rejected"),
 ("scipy/test-8000Hz-le-3ch-5S-24bit.wav", "guard: 3-channel 24-bit WAV"),
 ("scipy/test-8000Hz-le-3ch-5S-24bit-inconsistent.wav", "guard: inconsistent block align"),
 ("androidx-media/wav/sample_rf64.wav", "D11a RF64 unrecognized"),
 ("androidx-media/wav/sample_with_odd_metadata_chunk_size.wav", "D11c odd chunk size: whole file rejected"),
 ("androidx-media/wav/sample_wav_format_extensible.wav", "guard: extensible float 6 channels"),
 ("androidx-media/mp4/bbb_1ch_8kHz_aac_lc.m4a", "D14 AAC 8 kHz: edit list ignored, priming kept (+2048)"),
 ("androidx-media/mp4/long_edit_list_audioonly.mp4", "D14 edit list ignored (+26342 frames)"),
 ("androidx-media/mp4/sample_alac_20bit.mp4", "D14 ALAC: edit list ignored, false audio.truncated"),
 ("androidx-media/mp4/sample_empty_track.mp4", "D15 declared length in 1/48000 units for a 44.1 kHz track (313 KB, over the guide)"),
 ("androidx-media/mp4/sample_fpcm_32le.mp4", "D16 video first, unmapped audio: video timescale as sample rate (272 KB, over the guide)"),
 ("androidx-media/mp4/sample_video_only.mp4", "D16 no audio: video timescale reported as sample_rate"),
 ("androidx-media/mp4/sample_opus.mp4", "D12 Opus in MP4: pre-skip/edit list not applied"),
 ("androidx-media/mp4/bbb_1ch_16kHz_aac.mp4", "guard: AAC 16 kHz"),
 ("androidx-media/3gp/bbb_mono_8kHz_12.2kbps_amrnb.3gp", "guard: AMR-NB in 3GP (honestly unsupported)"),
 ("androidx-media/amr/sample_nb.amr", "guard: AMR-NB storage format"),
 ("androidx-media/mkv/sample_with_chapters.mkv", "D20 MKV chapters without EditionUID: file rejected"),
 ("androidx-media/mkv/bbb_1ch_48kHz_q10_opus.webm", "guard: Opus in WebM (48 kHz)"),
 ("androidx-media/mka/bear-opus.mka", "guard: Opus in MKA"),
 # Copyleft-licensed (GPL/LGPL/MPL) test data: redistributable under their licences; kept apart
 # so the project can drop the folder if it wants permissive fixtures only.
 ("taglib/click.wv", "D09 WavPack read as WAV (copyleft)"),
 ("taglib/mac-396.ape", "D09 Monkey's Audio read as WAV (copyleft)"),
 ("mutagen/has-tags.tak", "D09 TAK read as WAV (copyleft)"),
 ("mutagen/empty.ofr", "D09 OptimFROG read as WAV (copyleft)"),
 ("mutagen/bad-xing.mp3", "D07 Xing says 0 frames: 0 s decoded, no finding (copyleft)"),
 ("mutagen/example.opus", "D13 Ogg Opus pre-skip 65535 not subtracted from declared length (copyleft)"),
]
PERMISSIVE = ("CC0-1.0", "BSD-3-Clause", "Apache-2.0", "MIT")
manifest = {r["file"]: r for r in csv.DictReader(open(os.path.join(CORPUS, "MANIFEST.tsv")), delimiter="\t")}
raw = {}
for f in glob.glob(os.path.join(HERE, "out", "raw", "*.json")):
    d = json.load(open(f)); raw[d["file"]] = d
rows = {}
for r in csv.DictReader(open(os.path.join(HERE, "out", "results.tsv")), delimiter="\t"):
    rows[r["file"]] = r
shutil.rmtree(DEST, ignore_errors=True)
os.makedirs(DEST)
sources, expected, total = [], [], 0
for path, why in CHOSEN:
    m = manifest[path]
    copyleft = not m["licence"].startswith(PERMISSIVE)
    short = path.split("/", 1)[0]
    name = os.path.basename(path).replace(" ", "_").replace(",", "")
    rel = os.path.join("copyleft" if copyleft else "", short, name)
    dst = os.path.join(DEST, rel)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(os.path.join(CORPUS, path), dst)
    sha = hashlib.sha256(open(dst, "rb").read()).hexdigest()
    assert sha == m["sha256"]
    total += os.path.getsize(dst)
    sources.append([rel, m["repo"], m["commit"], m["path"], m["licence"], sha])
    d = raw[path]; ref = d["reference"]; a = ref.get("audio") or {}; row = rows[path]
    flac_t = "-" if "flac_t_rc" not in ref else ("pass" if ref["flac_t_rc"] == 0 else "fail")
    expected.append([rel, a.get("codec") or "-", a.get("sample_rate") or "-", a.get("channels") or "-",
                     ref.get("ff_frames") if ref.get("ff_frames") is not None else "-",
                     ref.get("ff_raw_frames") if ref.get("ff_raw_frames") is not None else "-",
                     "yes" if row["ref_damage"] == "True" else "no", row["ref_damage_why"] or "-",
                     flac_t, row["verdict"], row["class"] or "-", why])
with open(os.path.join(DEST, "SOURCES"), "w") as f:
    f.write("# file\trepository\tcommit\tpath in the repository\tlicence\tsha256\n")
    for s in sources:
        f.write("\t".join(s) + "\n")
with open(os.path.join(DEST, "expected.tsv"), "w") as f:
    f.write("# Reference values (ffprobe/ffmpeg 5.1.9, flac 1.4.2) and the earwitness snapshot's verdict.\n")
    f.write("# ref_frames: ffmpeg's decoded presentation length (edit lists, Opus pre-skip, LAME gapless\n"
            "# applied; for FLAC that flac -t passes and ffmpeg cannot decode: STREAMINFO total).\n"
            "# ref_raw_frames: with priming/padding kept (-ignore_editlist 1 -flags2 +skip_manual).\n"
            "# A length agrees when within one codec frame. ref_damage: ffmpeg error lines (tag noise\n"
            "# filtered), flac -t errors, or a decode falling short of / exceeding an exact declared length.\n")
    f.write("\t".join(["file", "codec", "sample_rate", "channels", "ref_frames", "ref_raw_frames",
                       "ref_damage", "ref_damage_why", "flac_t", "snapshot_verdict", "class", "why"]) + "\n")
    for e in expected:
        f.write("\t".join(str(x) for x in e) + "\n")
print(len(CHOSEN), "files,", total, "bytes")
