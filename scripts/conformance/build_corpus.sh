#!/bin/bash
# build_corpus.sh [OUT]: extracts the test-data folders of the repositories below, cloned bare as
# $MIRROR/<owner>+<name>/repo (for example with `git clone --bare`), into OUT/<short>/... and
# writes OUT/MANIFEST.tsv: file, repo, commit, path, licence, bytes, sha256.
# docs/CONFORMANCE.md lists the commits the published results were made with.
set -euo pipefail
M=${MIRROR:-/work/.mirror}
OUT=${1:-corpus}
rm -rf "$OUT"; mkdir -p "$OUT"
printf 'file\trepo\tcommit\tpath\tlicence\tbytes\tsha256\n' > "$OUT/MANIFEST.tsv"
add() { # short repo licence dir [regex-of-paths-to-skip]
  local short=$1 repo=$2 lic=$3 dir=$4 skip=${5:-'^$'} keep=${6:-.} maxsize=${7:-999999999}
  local g="$M/${repo/\//+}/repo" commit
  commit=$(git -C "$g" rev-parse HEAD)
  mkdir -p "$OUT/$short"
  git -C "$g" ls-tree -r -z --name-only HEAD -- "$dir" | while IFS= read -r -d '' p; do
    [[ "$p" =~ $skip ]] && continue
    [[ "$p" =~ $keep ]] || continue
    local dst="$OUT/$short/${p#$dir/}"
    mkdir -p "$(dirname "$dst")"
    git -C "$g" cat-file blob "HEAD:$p" > "$dst" 2>/dev/null || { rm -f "$dst"; continue; }
    local sz; sz=$(stat -c %s "$dst")
    if (( sz > maxsize )); then rm -f "$dst"; continue; fi
    # skip LFS pointers and empty placeholders of absent big files
    if head -c 40 "$dst" | grep -q 'git-lfs.github.com'; then rm -f "$dst"; continue; fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${dst#$OUT/}" "$repo" "$commit" "$p" "$lic" "$sz" "$(sha256sum "$dst" | cut -d' ' -f1)" >> "$OUT/MANIFEST.tsv"
  done
}
NONAUDIO='\.(txt|md|html|m3u|py|toml|json|jpg|jpeg|png|gif|id3|apev2|pcm|bogus|xx|c|h|sh|js|ts)$|README|LICENSE'
add cellar-flac ietf-wg-cellar/flac-test-files CC0-1.0 . "$NONAUDIO"
add tinytag tinytag/tinytag CC0-1.0 tinytag/tests/samples "$NONAUDIO"
add mutagen quodlibet/mutagen GPL-2.0-or-later tests/data "$NONAUDIO"
add taglib taglib/taglib "LGPL-2.1-only OR MPL-1.1" tests/data "$NONAUDIO"
add minimp3 lieff/minimp3 CC0-1.0 vectors "$NONAUDIO"
add scipy scipy/scipy BSD-3-Clause scipy/io/tests/data '^$' '\.wav$'
add pedalboard spotify/pedalboard GPL-3.0-only tests/audio "$NONAUDIO"
add music-metadata Borewit/music-metadata "MIT (repository; sample recordings' own rights unclear)" test/samples "$NONAUDIO"
add androidx-media androidx/media Apache-2.0 libraries/test_data/src/test/assets/media "$NONAUDIO" '/media/(3gp|aac|amr|flac|mka|mkv|mp3|mp4|ogg|wav)/' 1500000
