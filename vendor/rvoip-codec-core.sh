#!/usr/bin/env bash
# Rebuilds vendor/rvoip-codec-core/ from the crates.io release of rvoip-codec-core 0.4.0:
# checks the .crate's SHA-256, applies the two patches in vendor/patches/ (-opencore.diff, then
# -speed.diff), and trims the crate to its AMR decoders (see vendor/README.md for why and what).
#
#   vendor/rvoip-codec-core.sh            # rewrite vendor/rvoip-codec-core/
#   vendor/rvoip-codec-core.sh --check    # rebuild in a temporary folder and diff, change nothing
#
# The .crate is taken from cargo's download cache if it is there, else fetched from crates.io.
set -euo pipefail
cd "$(dirname "$0")"

NAME=rvoip-codec-core
VERSION=0.4.0
SHA256=b1c28127efb2f580e03243c5999ff8a8c13b0ed4cf8a03aaafdb37c23fbf8cbb
PATCHES=(patches/$NAME-$VERSION-opencore.diff patches/$NAME-$VERSION-speed.diff)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

crate=$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"$NAME-$VERSION.crate" 2>/dev/null | head -1 || true)
if [ -z "$crate" ]; then
  crate=$work/$NAME-$VERSION.crate
  curl -fsSL -o "$crate" "https://static.crates.io/crates/$NAME/$NAME-$VERSION.crate"
fi
echo "$SHA256  $crate" | sha256sum -c --quiet - || { echo "$crate: wrong SHA-256" >&2; exit 1; }
tar -xzf "$crate" -C "$work"
src=$work/$NAME-$VERSION

# 1. The patches (each reviewable on its own): what the decoders compute, then how fast.
for p in "${PATCHES[@]}"; do
  patch -d "$src" -p1 --quiet --no-backup-if-mismatch <"$p"
done

# 2. The trim: everything but the AMR decoders, their tables and the fixed-point operators.
(
  cd "$src"
  rm -rf benches docs examples tests tools Cargo.lock Cargo.toml.orig \
    src/codecs/g711 src/codecs/g729 src/codecs/opus.rs src/tests src/utils src/types.rs \
    src/codecs/amr/testdata
  cd src/codecs/amr
  rm -f bits.rs conformance.rs interface_format.rs interleave.rs payload.rs qualification.rs \
    rate.rs redundancy.rs sdp.rs sid_cadence.rs soak.rs storage.rs nb/vectors.rs
  # The decoders use two narrowband encoder modules (the DTX history size, LSP to LSF) and the
  # wideband ISF quantiser's helpers (for SID ISFs); the rest of the encoders goes.
  (cd nb/enc && rm analysis.rs codebook.rs encoder.rs gain_quant.rs pitch.rs preproc.rs vad.rs vad2.rs)
  sed -i -E '/^pub mod (analysis|codebook|encoder|gain_quant|pitch|preproc|vad|vad2);$/d; /^\/\/\/ TS 26.073 `vad2.c`/d' nb/enc/mod.rs
  (cd wb/enc && rm analysis.rs codebook.rs dtx.rs encoder.rs gain_quant.rs pitch.rs preproc.rs)
  sed -i -E '/^pub mod (analysis|codebook|dtx|encoder|gain_quant|pitch|preproc);$/d' wb/enc/mod.rs
)
# The three module roots, replaced: upstream's hold the removed codecs and the AmrCodec API.
cat >"$src/src/lib.rs" <<'RS'
//! `rvoip-codec-core` 0.4.0, trimmed for earwitness to its AMR-NB and AMR-WB decoders.
//!
//! The upstream crate's G.711, G.729 and Opus codecs, its AMR encoders, RTP payload, SDP and
//! storage layers, the `AudioCodec` API and its test data are removed; see `vendor/README.md` in
//! the earwitness repository. The code that is left is upstream's, with the patch listed there.

#![deny(missing_docs)]
#![allow(clippy::module_name_repetitions)]

pub mod codecs;
pub mod error;

#[cfg(any(feature = "amr-nb", feature = "amr-wb"))]
pub(crate) mod fixed_point;

pub use error::{CodecError, Result};
RS
cat >"$src/src/codecs/mod.rs" <<'RS'
//! The codecs: AMR only, in this trimmed copy.

#[cfg(any(feature = "amr-nb", feature = "amr-wb"))]
pub mod amr;
RS
cat >"$src/src/codecs/amr/mod.rs" <<'RS'
//! AMR-NB and AMR-WB decoders (3GPP TS 26.090 / TS 26.190, ITU-T G.722.2): the codec modes and
//! frame types, and the two fixed-point decoders. Trimmed for earwitness (see `src/lib.rs`).

pub mod mode;
pub mod nb;
#[cfg(feature = "amr-wb")]
pub mod wb;

pub use mode::{AmrFrameType, AmrMode, AmrModeSet, AmrVariant};
RS
# Cargo.toml: no examples, tests, benches or dev-dependencies; no tracing (only the removed
# init() used it); thiserror 2 (the API error.rs uses is the same) so the tree holds one
# thiserror; rust-version 1.89, earwitness's (upstream says 1.91 for its workspace; clippy's
# incompatible_msrv lint finds no newer API in what is left); features for AMR only.
python3 - "$src/Cargo.toml" <<'PY'
import re, sys
path = sys.argv[1]
s = open(path).read()
keep = []
for block in re.split(r"(?m)^(?=\[)", s):
    head = block.split("\n", 1)[0]
    if head.startswith(("[[example]]", "[[test]]", "[[bench]]", "[dependencies.opus]",
                        "[dependencies.tracing", "[dev-dependencies")):
        continue
    if head == "[features]":
        block = ('[features]\ndefault = []\namr = [\n    "amr-nb",\n    "amr-wb",\n]\n'
                 'amr-nb = []\namr-wb = []\nopencore-compat = []\n\n')
    keep.append(block)
s = "".join(keep)
for old, new in [('[dependencies.thiserror]\nversion = "1.0"', '[dependencies.thiserror]\nversion = "2.0"'),
                 ('rust-version = "1.91"', 'rust-version = "1.89"')]:
    assert old in s, old
    s = s.replace(old, new)
open(path, "w").write(s)
PY

# The .crate ships no license file; Cargo.toml says `license = "MIT"` and README.md points to the
# repository's LICENSE. Keep the terms beside the code.
cat >"$src/LICENSE" <<'TXT'
rvoip-codec-core 0.4.0 is published under the MIT license: its Cargo.toml declares
`license = "MIT"` (authors: "RVOIP AUTHORS"), and its README.md says "Licensed under the MIT
license. See the repository LICENSE" (https://github.com/eisenzopf/rvoip/blob/main/LICENSE).
The published .crate contains no license file, so earwitness records the MIT license text here.
The changes earwitness made (vendor/patches/ and the trim in vendor/rvoip-codec-core.sh) are
under the same license.

MIT License

Copyright (c) RVOIP AUTHORS

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
TXT

if [ "${1:-}" = "--check" ]; then
  diff -r "$src" "$NAME" && echo "vendor/$NAME is $NAME $VERSION + ${PATCHES[*]} + the trim"
else
  rm -rf "$NAME"
  cp -r "$src" "$NAME"
  echo "wrote vendor/$NAME"
fi
