#!/usr/bin/env bash
# scripts/conformance.sh CORPUS_DIR EARWITNESS [OUT_DIR]
#
# Example (the committed subset): scripts/conformance.sh fixtures/conformance target/debug/earwitness
# The full corpus is rebuilt from fetched repositories by scripts/conformance/build_corpus.sh.
#
# For every file under CORPUS_DIR, records what the reference tools say (ffprobe, a full
# ffmpeg decode counting samples and errors, and for FLAC `flac -t` + metaflac) and what
# `EARWITNESS inspect --json` says, and classifies their agreement:
#   codec family, sample rate, channels, decoded length (within one codec frame of ffmpeg's
#   presentation length: ffmpeg applies MP4 edit lists, Opus pre-skip and LAME delay/padding),
#   and "damage flagged exactly when the reference tools see damage".
# Writes OUT_DIR/results.tsv (one row a file), OUT_DIR/results.md (table + summary),
# OUT_DIR/raw/<n>.json (everything each tool said). Each tool runs under a timeout;
# earwitness crashing (signal / no JSON) or hanging is its own verdict.
#
# Environment: JOBS (parallel files, default 2), EW_TIMEOUT (s, default 60),
#              REF_TIMEOUT (s, default 120), REUSE_RAW=1 (re-classify the raw results of an
#              earlier run in OUT_DIR without running the tools again), REUSE_REF=1 (keep the
#              reference tools' answers from an earlier run in OUT_DIR, run earwitness again),
#              ADJUDICATIONS (file, default scripts/conformance/adjudications.tsv:
#              pattern<TAB>class<TAB>note per line).
# Needs: ffmpeg/ffprobe (5.1), flac/metaflac (1.4), python3, timeout (coreutils).
set -euo pipefail
if [[ $# -lt 2 ]]; then
  echo "usage: $0 CORPUS_DIR EARWITNESS [OUT_DIR]" >&2
  exit 2
fi
CORPUS=$(realpath "$1")
EW=$(realpath "$2")
OUT=$(realpath -m "${3:-conformance-out}")
export ADJUDICATIONS=${ADJUDICATIONS:-$(dirname "$(realpath "$0")")/conformance/adjudications.tsv}
for tool in ffmpeg ffprobe flac metaflac python3 timeout; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool (apt-get install -y ffmpeg flac)" >&2; exit 2; }
done
mkdir -p "$OUT/raw"
export CORPUS EW OUT
exec python3 - "$@" <<'PYEOF'
import json, os, re, subprocess, sys, time, hashlib
from concurrent.futures import ThreadPoolExecutor

CORPUS = os.environ["CORPUS"]; EW = os.environ["EW"]; OUT = os.environ["OUT"]
JOBS = int(os.environ.get("JOBS", "2"))
EW_TIMEOUT = float(os.environ.get("EW_TIMEOUT", "60"))
REF_TIMEOUT = float(os.environ.get("REF_TIMEOUT", "120"))
SKIP_NAMES = {"MANIFEST.tsv", "SOURCES", "expected.tsv", "expected.json", "README.md"}

# ffmpeg error lines that are about tags or our own raw-PCM muxer, not about the audio.
NOT_AUDIO_ERR = re.compile(r"BOM value|Error reading (frame|comment frame|lyrics)|ID3v2|APE tag|"
                           r"non monotonically increasing dts|^\s*Last message repeated|^\[f32le @")
# What earwitness claims to read (Cargo features of symphonia, plus its own AMR and Opus paths).
SUPPORTED_CONTAINERS = {"wav", "aiff", "caf", "flac", "mp3", "mov", "ogg", "matroska", "amr", "aac"}
# (Opus only in mono and stereo.)
SUPPORTED_CODECS = {"pcm", "mulaw", "alaw", "adpcm_ms", "adpcm_ima_wav", "flac", "mp1", "mp2",
                    "mp3", "aac", "alac", "vorbis", "opus", "amr_nb", "amr_wb"}
# ffmpeg lines that say it has no decoder: the reference cannot judge, which is not damage.
NO_DECODER_ERR = re.compile(r"Decoder \(codec none\) not found|no decoder found|not implemented|"
                            r"Decoding requested, but no decoder")
DAMAGE_CODES = {"audio.truncated", "audio.decode.failed", "audio.checksum.mismatch", "audio.length.mismatch",
                "audio.decode.crashed"}
UNSUPPORTED_CODES = {"audio.decode.unsupported", "format.unrecognized", "format.no_audio"}

def run(cmd, timeout, capture_stdout=True, count_stdout=False):
    """Runs cmd; returns dict(rc, out, err, secs, timeout, nbytes)."""
    t0 = time.monotonic()
    try:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
    except OSError as e:
        return {"rc": None, "out": "", "err": str(e), "secs": 0, "timeout": False, "nbytes": 0}
    nbytes = 0
    out = b""
    import threading
    err_chunks = []
    def drain_err():
        err_chunks.append(p.stderr.read())
    th = threading.Thread(target=drain_err); th.start()
    timed_out = False
    deadline = t0 + timeout
    # Read stdout in chunks (counting bytes when asked) with a watchdog.
    killer = threading.Timer(timeout, lambda: (os.killpg(p.pid, 9) if p.poll() is None else None))
    killer.start()
    try:
        while True:
            chunk = p.stdout.read(1 << 16)
            if not chunk:
                break
            if count_stdout:
                nbytes += len(chunk)
            elif capture_stdout:
                out += chunk
        p.wait()
    finally:
        killer.cancel()
    th.join()
    secs = time.monotonic() - t0
    if p.returncode == -9 and secs >= timeout - 0.5:
        timed_out = True
    err = b"".join(err_chunks)
    return {"rc": p.returncode, "out": out.decode("utf-8", "replace"),
            "err": err.decode("utf-8", "replace"), "secs": round(secs, 3),
            "timeout": timed_out, "nbytes": nbytes}

# ---------------------------------------------------------------- codec families
def family(name):
    if not name:
        return None
    n = name.lower()
    if n.startswith("pcm_") or n in ("pcm", "s16le", "s24le", "s32le", "f32le"):
        if "mulaw" in n or "ulaw" in n:
            return "mulaw"
        if "alaw" in n:
            return "alaw"
        return "pcm"
    if n.startswith("adpcm"):
        return "adpcm"
    if n in ("mp3", "mp3float", "mpa_mp3", "mp3adufloat"):
        return "mp3"
    if n in ("mp2", "mp2float", "mpa_mp2"):
        return "mp2"
    if n in ("mp1", "mp1float", "mpa_mp1"):
        return "mp1"
    if n.startswith("aac"):
        return "aac"
    if n.startswith("amr_nb") or n in ("amrnb", "amr_nb"):
        return "amr_nb"
    if n.startswith("amr_wb") or n in ("amrwb",):
        return "amr_wb"
    if n.startswith("dsd"):
        return "dsd"
    if n.startswith("wmav") or n.startswith("wmapro") or n.startswith("wmalossless"):
        return "wma"
    if n in ("musepack7", "musepack8", "mpc7", "mpc8", "musepack"):
        return "musepack"
    if n in ("gsm", "gsm_ms"):
        return "gsm"
    return n  # flac, vorbis, opus, alac, speex, wavpack, ape, tak, tta, ac3, eac3 ...

def frame_tolerance(fam, ff, flac_info):
    """One codec frame, in samples at the stream's rate."""
    rate = ff.get("sample_rate") or 0
    if fam == "pcm" or fam in ("mulaw", "alaw"):
        return 1
    if fam == "mp3":
        return 1152 if rate >= 32000 else 576
    if fam == "mp2":
        return 1152
    if fam == "mp1":
        return 384
    if fam == "aac":
        prof = (ff.get("profile") or "").upper()
        return 2048 if "HE" in prof else 1024
    if fam == "flac":
        mb = (flac_info or {}).get("max_blocksize") or 4608
        return max(mb, 4608)
    if fam == "vorbis":
        return 2048
    if fam == "opus":
        return 960
    if fam == "alac":
        return 4096
    if fam == "speex":
        return 640
    if fam in ("amr_nb", "amr_wb"):
        return 320
    return 2048

# ---------------------------------------------------------------- reference tools
def reference(path):
    ref = {}
    pr = run(["ffprobe", "-v", "warning", "-print_format", "json", "-show_format",
              "-show_streams", path], REF_TIMEOUT)
    ref["ffprobe_rc"] = pr["rc"]
    ref["ffprobe_timeout"] = pr["timeout"]
    ref["ffprobe_warnings"] = pr["err"].strip().splitlines()[:10]
    try:
        j = json.loads(pr["out"]) if pr["out"].strip() else {}
    except json.JSONDecodeError:
        j = {}
    streams = j.get("streams", [])
    fmt = j.get("format", {})
    ref["format_name"] = fmt.get("format_name")
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    ref["n_audio"] = len(audio)
    ref["first_stream_type"] = streams[0].get("codec_type") if streams else None
    ref["video_before_audio"] = bool(streams) and streams[0].get("codec_type") == "video" \
        and not streams[0].get("disposition", {}).get("attached_pic")
    if not audio:
        ref["audio"] = None
        return ref
    a = audio[0]
    def num(x, cast=float):
        try:
            return cast(x)
        except (TypeError, ValueError):
            return None
    ff = {
        "codec": a.get("codec_name"),
        "profile": a.get("profile"),
        "sample_rate": num(a.get("sample_rate"), int),
        "channels": num(a.get("channels"), int),
        "bits": num(a.get("bits_per_raw_sample"), int) or num(a.get("bits_per_sample"), int),
        "sample_fmt": a.get("sample_fmt"),
        "declared_duration": num(a.get("duration")) or num(fmt.get("duration")),
        "duration_ts": num(a.get("duration_ts"), int),
        "time_base": a.get("time_base"),
        "duration_estimated_from_bitrate": "Estimating duration from bitrate" in pr["err"],
    }
    ref["audio"] = ff
    rate, ch = ff["sample_rate"], ff["channels"]
    # Full decode of the first audio stream: presentation length and errors.
    base = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error"]
    outargs = ["-map", "0:a:0", "-vn", "-sn", "-dn"]
    if rate and ch:
        outargs += ["-ar", str(rate), "-ac", str(ch)]
    outargs += ["-c:a", "pcm_f32le", "-f", "f32le", "pipe:1"]
    dec = run(base + ["-i", path] + outargs, REF_TIMEOUT, count_stdout=True)
    errs = [l for l in dec["err"].splitlines() if l.strip() and not NOT_AUDIO_ERR.search(l)]
    ref["ff_rc"] = dec["rc"]
    ref["ff_timeout"] = dec["timeout"]
    ref["ff_no_decoder"] = any(NO_DECODER_ERR.search(l) for l in errs)
    errs = [l for l in errs if not NO_DECODER_ERR.search(l)]
    ref["ff_errors"] = len(errs)
    ref["ff_error_lines"] = errs[:8]
    ref["ff_frames"] = dec["nbytes"] // (4 * ch) if ch else None
    # The raw length, with priming/padding kept (MP4 edit lists ignored, skip samples exported).
    fam = family(ff["codec"])
    if fam in ("aac", "mp3", "mp2", "opus", "vorbis", "alac") or "mp4" in (ref["format_name"] or ""):
        pre = ["-flags2", "+skip_manual"]
        if "mov" in (ref["format_name"] or ""):
            pre = ["-ignore_editlist", "1"] + pre
        raw = run(base + pre + ["-i", path] + outargs, REF_TIMEOUT, count_stdout=True)
        ref["ff_raw_frames"] = raw["nbytes"] // (4 * ch) if ch else None
    # FLAC: libFLAC's own verdict, and STREAMINFO.
    if fam == "flac" and "flac" in (ref["format_name"] or "") and "ogg" not in (ref["format_name"] or ""):
        t = run(["flac", "-t", "-s", "-w", path], REF_TIMEOUT)
        ref["flac_t_err"] = t["err"].strip().splitlines()[:6]
        # flac exits non-zero on mere WARNINGs (no total samples, no MD5 to check): only
        # ERRORs and lost sync are damage.
        bad = [l for l in t["err"].splitlines() if "ERROR" in l or "error code" in l]
        ref["flac_t_rc"] = t["rc"] if bad or t["timeout"] else 0
        ref["flac_t_raw_rc"] = t["rc"]
        m = run(["metaflac", "--show-total-samples", "--show-md5sum", "--show-max-blocksize",
                 "--show-min-blocksize", "--show-sample-rate", "--show-channels", "--show-bps", path],
                30)
        lines = m["out"].split()
        info = {}
        if m["rc"] == 0 and len(lines) >= 7:
            keys = ["total_samples", "md5", "max_blocksize", "min_blocksize", "sample_rate",
                    "channels", "bps"]
            for k, v in zip(keys, lines):
                info[k] = v if k == "md5" else int(v)
        ref["flac_info"] = info
        # libFLAC decoded the whole stream and checked its MD5: its length is the reference
        # (ffmpeg 5.1 cannot decode 32-bit FLAC and outputs nothing for it).
        if t["rc"] == 0 and info.get("total_samples") and not ref["ff_frames"]:
            ref["ffmpeg_frames"] = ref["ff_frames"]
            ref["ff_frames"] = info["total_samples"]
            ref["ff_frames_source"] = "libFLAC (flac -t passed; STREAMINFO total samples)"
    return ref

def ref_damage(ref, fam):
    """Whether the reference tools see damage, and why."""
    why = []
    if ref.get("audio") is None:
        return False, why
    # For native FLAC, libFLAC (flac -t) is the authority; ffmpeg's errors count elsewhere.
    flac_ok = ref.get("flac_t_rc") == 0
    if not flac_ok:
        if ref.get("ff_timeout"):
            why.append("ffmpeg timed out")
        if ref.get("ff_rc") not in (0, None) and not ref.get("ff_no_decoder"):
            why.append(f"ffmpeg exit {ref.get('ff_rc')}")
        if ref.get("ff_errors"):
            why.append(f"ffmpeg {ref['ff_errors']} error line(s)")
    if "flac_t_rc" in ref and ref["flac_t_rc"] != 0:
        # libFLAC's flac tool refuses streams whose frames change sample rate, channels or bit
        # depth ("... in frame but ... in STREAMINFO"), which the format allows; ffmpeg decodes
        # the rate/channel changes. Count those as damage only when ffmpeg fails too.
        change = any(" in frame but " in l for l in ref.get("flac_t_err", []))
        if not change or ref.get("ff_errors") or ref.get("ff_rc") not in (0, None):
            why.append("flac -t failed")
        else:
            ref["flac_t_param_change"] = True
    # A declared length the decode falls short of (only where the declaration is exact).
    ff = ref["audio"]
    frames = ref.get("ff_frames")
    raw = ref.get("ff_raw_frames", frames)
    rate = ff.get("sample_rate")
    declared = None
    if "flac_info" in ref and ref["flac_info"].get("total_samples"):
        declared = ref["flac_info"]["total_samples"]
    elif not ff.get("duration_estimated_from_bitrate") and ff.get("declared_duration") and rate \
            and fam in ("pcm", "mulaw", "alaw", "flac", "alac", "aac", "adpcm", "mp3", "mp2", "mp1"):
        # Exact for PCM (data size), FLAC (STREAMINFO), MP4 (mdhd/stts), MKV (segment duration);
        # for MPEG audio only when it comes from a Xing/Info/VBRI header (not a bit-rate guess).
        declared = round(ff["declared_duration"] * rate)
    if ref.get("ff_no_decoder"):
        declared = None
    if declared and frames is not None and rate:
        tol = max(frame_tolerance(fam, ff, ref.get("flac_info")), int(declared * 0.001))
        if "mov" in (ref.get("format_name") or ""):
            tol *= 2  # stts durations include priming and end padding
        if max(frames, raw or 0) + tol < declared:
            why.append(f"decoded {max(frames, raw or 0)} < declared {declared}")
        elif min(frames, raw if raw is not None else frames) > declared + 2 * tol:
            why.append(f"decoded {frames} > declared {declared}")
    return bool(why), why

def container_supported(ref):
    names = set((ref.get("format_name") or "").split(","))
    return bool(names & SUPPORTED_CONTAINERS)

def codec_supported(ff):
    if not ff:
        return False
    fam = family(ff.get("codec"))
    if fam == "adpcm":
        return ff.get("codec") in SUPPORTED_CODECS
    if fam == "aac" and (ff.get("profile") or "LC").upper() not in ("LC", ""):
        return False  # symphonia decodes AAC-LC only
    if fam == "opus" and (ff.get("channels") or 0) > 2:
        return False
    return fam in SUPPORTED_CODECS

# ---------------------------------------------------------------- earwitness
def earwitness(path):
    r = run([EW, "inspect", "--json", path], EW_TIMEOUT)
    ew = {"rc": r["rc"], "secs": r["secs"], "timeout": r["timeout"], "stderr": r["err"][-2000:]}
    try:
        ew["json"] = json.loads(r["out"])
    except json.JSONDecodeError:
        ew["json"] = None
    return ew

def classify(path, ref, ew):
    row = {"file": os.path.relpath(path, CORPUS)}
    ff = ref.get("audio")
    fam_ref = family(ff["codec"]) if ff else None
    row["ref_codec"] = ff["codec"] if ff else "-"
    row["ref_rate"] = ff["sample_rate"] if ff else None
    row["ref_ch"] = ff["channels"] if ff else None
    row["ref_frames"] = ref.get("ff_frames")
    row["ref_raw_frames"] = ref.get("ff_raw_frames")
    dmg, why = ref_damage(ref, fam_ref)
    row["ref_damage"] = dmg
    row["ref_damage_why"] = "; ".join(why)
    j = ew.get("json")
    media = (j or {}).get("media") or {}
    codes = [f.get("code") for f in (j or {}).get("findings", [])]
    row["ew_codes"] = ",".join(codes)
    row["ew_container"] = media.get("container")
    row["ew_codec"] = media.get("codec")
    row["ew_rate"] = media.get("sample_rate")
    row["ew_ch"] = media.get("channels")
    row["ew_declared"] = media.get("declared_frames")
    row["ew_frames"] = media.get("decoded_frames")
    row["ew_checksum"] = media.get("embedded_checksum")
    row["ew_secs"] = ew.get("secs")
    ew_damage = any(c in DAMAGE_CODES for c in codes)
    ew_unsupported = any(c in UNSUPPORTED_CODES for c in codes) or not media
    row["ew_damage"] = ew_damage
    problems = []
    if ew.get("timeout"):
        row["verdict"] = "HANG"; row["problems"] = f"no answer in {EW_TIMEOUT:.0f}s"
        return row
    if j is None or (ew.get("rc") or 0) < 0 or (ew.get("rc") or 0) >= 128:
        row["verdict"] = "CRASH"; row["problems"] = f"exit {ew.get('rc')}: {ew.get('stderr','')[-200:]}"
        return row
    if "audio.decode.crashed" in codes:
        problems.append("decoder panicked (audio.decode.crashed)")
    magic = open(path, "rb").read(4)
    if media.get("container") == "wav" and magic not in (b"RIFF", b"RF64", b"BW64", b"RIFX"):
        problems.append(f"earwitness reads a file starting with {magic!r} as WAV (embedded RIFF header)")
    if ff is None:
        # The reference finds no audio: earwitness must not claim intact decoded audio, nor audio
        # parameters (a codec, a sample rate) for it; a damage finding is an acceptable answer.
        if problems:
            pass
        elif ew_damage:
            pass
        elif media.get("decoded_frames"):
            problems.append("earwitness decoded audio the reference does not find")
        elif media.get("sample_rate") or (media.get("codec") not in (None, "unknown") and
                                          "audio.decode.unsupported" not in codes):
            problems.append(f"earwitness reports audio parameters (codec {media.get('codec')}, "
                            f"rate {media.get('sample_rate')}) for a file without audio")
        row["verdict"] = "DISAGREE" if problems else "AGREE(no-audio)"
        row["problems"] = "; ".join(problems)
        row["notes"] = ""
        return row
    fam_ew = family(media.get("codec"))
    decoded = media.get("decoded_frames") is not None and media.get("stream_end") is not None
    honest_unsupported = ew_unsupported and not decoded
    if fam_ew and fam_ref and fam_ew != "unknown" and fam_ew != fam_ref:
        problems.append(f"codec {fam_ew} vs {fam_ref}")
    if "format.no_audio" in codes and not decoded:
        problems.append("earwitness finds no audio track")
    if not decoded and ew_damage and not problems:
        # Nothing decoded and a damage finding: earwitness calls the file unreadable/damaged.
        if not dmg:
            problems.append("earwitness calls an intact file unreadable: " +
                            "; ".join(f.get("message", "")[:120] for f in j.get("findings", [])
                                      if f.get("code") in DAMAGE_CODES))
        row["verdict"] = "DISAGREE" if problems else "AGREE"
        row["problems"] = "; ".join(problems)
        row["notes"] = "both see damage; earwitness read nothing" if not problems else ""
        return row
    if honest_unsupported and not problems and "format.unrecognized" in codes and dmg \
            and not ref.get("ff_frames"):
        row["verdict"] = "AGREE"
        row["problems"] = ""
        row["notes"] = "unreadable for both"
        return row
    if honest_unsupported and not problems:
        # Honest: container (maybe) read, codec not decoded. Still check what it does claim.
        if media.get("sample_rate") and ff["sample_rate"] and media["sample_rate"] != ff["sample_rate"]:
            problems.append(f"rate {media['sample_rate']} vs {ff['sample_rate']}")
        if "format.unrecognized" in codes and container_supported(ref) and codec_supported(ff):
            problems.append(f"'no known audio format' for {ff['codec']} in {ref.get('format_name')}, "
                            "both of which earwitness reads")
        elif "format.unrecognized" in codes and container_supported(ref) and not dmg:
            problems.append(f"'no known audio format' for a {ref.get('format_name')} file "
                            f"(codec {ff['codec']}): should be audio.decode.unsupported")
        if "audio.decode.unsupported" in codes and codec_supported(ff) and not dmg:
            problems.append(f"'no decoder for {media.get('codec')}' although earwitness decodes "
                            f"{ff['codec']} ({ff.get('profile')})")
        row["verdict"] = "DISAGREE" if problems else "UNSUPPORTED"
        row["problems"] = "; ".join(problems) if problems else "earwitness: " + ",".join(
            c for c in codes if c in UNSUPPORTED_CODES)
        row["notes"] = ""
        return row
    if media.get("sample_rate") != ff["sample_rate"]:
        problems.append(f"rate {media.get('sample_rate')} vs {ff['sample_rate']}")
    if media.get("channels") != ff["channels"]:
        problems.append(f"channels {media.get('channels')} vs {ff['channels']}")
    if decoded and ref.get("ff_frames") is not None:
        tol = frame_tolerance(fam_ref, ff, ref.get("flac_info"))
        d = media["decoded_frames"] - ref["ff_frames"]
        # Compare in the reference's rate (earwitness may report another rate).
        if abs(d) > tol:
            extra = ""
            raw = ref.get("ff_raw_frames")
            if raw is not None and abs(media["decoded_frames"] - raw) <= tol:
                extra = " (= ffmpeg's length with priming/padding kept)"
            problems.append(f"length {media['decoded_frames']} vs {ref['ff_frames']} (diff {d:+d}, tol {tol}){extra}")
    if ew_damage != dmg:
        if ew_damage:
            problems.append("earwitness flags damage the reference does not see: " +
                            ",".join(c for c in codes if c in DAMAGE_CODES))
        else:
            problems.append("reference sees damage earwitness does not flag: " + "; ".join(why))
    notes = []
    raw = ref.get("ff_raw_frames")
    if decoded and raw is not None and ref.get("ff_frames") is not None and raw != ref["ff_frames"] \
            and media["decoded_frames"] == raw:
        notes.append(f"priming/padding kept ({raw - ref['ff_frames']:+d})")
    if ref.get("flac_t_param_change"):
        notes.append("stream changes rate/channels/depth mid-stream (flac -t refuses, ffmpeg decodes)")
    row["notes"] = "; ".join(notes)
    row["verdict"] = "DISAGREE" if problems else "AGREE"
    row["problems"] = "; ".join(problems)
    return row

REUSE = os.environ.get("REUSE_RAW") == "1"  # re-classify from OUT/raw without running the tools
REUSE_REF = os.environ.get("REUSE_REF") == "1"  # keep the reference answers, rerun earwitness

def one(item):
    idx, path = item
    rawf = os.path.join(OUT, "raw", f"{idx:05d}.json")
    if REUSE and os.path.exists(rawf):
        old = json.load(open(rawf))
        assert old["file"] == os.path.relpath(path, CORPUS), "corpus changed; rerun without REUSE_RAW"
        ref, ew = old["reference"], old["earwitness"]
    elif REUSE_REF and os.path.exists(rawf):
        old = json.load(open(rawf))
        assert old["file"] == os.path.relpath(path, CORPUS), "corpus changed; rerun without REUSE_REF"
        ref, ew = old["reference"], earwitness(path)
    else:
        ref = reference(path)
        ew = earwitness(path)
    row = classify(path, ref, ew)
    row["bytes"] = os.path.getsize(path)
    with open(path, "rb") as f:
        row["sha256"] = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(OUT, "raw", f"{idx:05d}.json"), "w") as f:
        json.dump({"file": row["file"], "reference": ref, "earwitness": ew, "row": row}, f,
                  indent=1, default=str)
    return row

files = []
for root, dirs, names in os.walk(CORPUS):
    dirs.sort()
    for n in sorted(names):
        if n in SKIP_NAMES:
            continue
        files.append(os.path.join(root, n))
print(f"{len(files)} files under {CORPUS}", file=sys.stderr)
rows = []
with ThreadPoolExecutor(max_workers=JOBS) as pool:
    for i, row in enumerate(pool.map(one, enumerate(files))):
        rows.append(row)
        if (i + 1) % 50 == 0:
            print(f"  {i+1}/{len(files)}", file=sys.stderr)

# Adjudications: which defect class (or which reason earwitness is right) each disagreement
# falls in, decided by reading the files; "ok-" classes are not earwitness defects.
ADJ = os.environ["ADJUDICATIONS"]
import fnmatch
adj = []
if os.path.exists(ADJ):
    for line in open(ADJ):
        if line.strip() and not line.startswith("#"):
            parts = line.rstrip("\n").split("\t")
            adj.append((parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
for r in rows:
    r["class"] = ""
    if r["verdict"] in ("DISAGREE", "CRASH", "HANG"):
        for pat, cls, _ in adj:
            if (re.search(pat[8:], r["problems"]) if pat.startswith("problem:")
                    else fnmatch.fnmatchcase(r["file"], pat)):
                r["class"] = cls
                break
        if not r["class"]:
            r["class"] = "unclassified"

cols = ["file", "verdict", "class", "problems", "notes", "ref_codec", "ew_codec", "ref_rate", "ew_rate", "ref_ch",
        "ew_ch", "ref_frames", "ref_raw_frames", "ew_frames", "ew_declared", "ref_damage",
        "ew_damage", "ref_damage_why", "ew_codes", "ew_checksum", "ew_container", "ew_secs",
        "bytes", "sha256"]
def cell(v):
    if v is None:
        return "-"
    return str(v).replace("\t", " ").replace("\n", " ")
with open(os.path.join(OUT, "results.tsv"), "w") as f:
    f.write("\t".join(cols) + "\n")
    for r in rows:
        f.write("\t".join(cell(r.get(c)) for c in cols) + "\n")

from collections import Counter
v = Counter(r["verdict"] for r in rows)
total = len(rows)
agree = v["AGREE"] + v["AGREE(no-audio)"]
not_wrong = agree + v["UNSUPPORTED"]
with_audio = sum(1 for r in rows if r["ref_codec"] != "-")
from collections import Counter
classes = Counter(r["class"] for r in rows if r["class"])
ok_adj = sum(n for c, n in classes.items() if c.startswith("ok-"))
summary = [
    f"files: {total} (reference finds audio in {with_audio})",
    "verdicts: " + ", ".join(f"{k} {n}" for k, n in sorted(v.items())),
    f"agreement: {agree}/{total} = {100*agree/total:.1f}%" if total else "agreement: n/a",
    f"no wrong answer (agree or honestly unsupported): {not_wrong}/{total} = {100*not_wrong/total:.1f}%" if total else "",
    f"crashes: {v['CRASH']}, hangs: {v['HANG']}",
    f"after adjudication (disagreements where earwitness is right or the reference is wrong count as agreement): "
    f"{agree + ok_adj}/{total} = {100*(agree+ok_adj)/total:.1f}%" if total else "",
    "disagreement classes: " + ", ".join(f"{c} {n}" for c, n in classes.most_common()),
]
with open(os.path.join(OUT, "results.md"), "w") as f:
    f.write("# Conformance: earwitness vs ffmpeg/libFLAC\n\n")
    f.write("\n".join(f"- {s}" for s in summary) + "\n\n")
    mcols = ["file", "verdict", "class", "problems", "notes", "ref_codec", "ew_codec", "ref_rate", "ew_rate",
             "ref_ch", "ew_ch", "ref_frames", "ew_frames", "ref_damage", "ew_codes"]
    f.write("| " + " | ".join(mcols) + " |\n|" + "---|" * len(mcols) + "\n")
    order = {"CRASH": 0, "HANG": 1, "DISAGREE": 2, "UNSUPPORTED": 3, "AGREE": 4, "AGREE(no-audio)": 5}
    for r in sorted(rows, key=lambda r: (order.get(r["verdict"], 9), r["file"])):
        f.write("| " + " | ".join(cell(r.get(c)).replace("|", "\\|") for c in mcols) + " |\n")
print("\n".join(summary))
print(f"wrote {OUT}/results.tsv, {OUT}/results.md, {OUT}/raw/")
PYEOF
