# Sourced by the benchmark scripts that own one section of docs/PERFORMANCE.md.
#
#   write_section TAG SECTION REPORT
#
# SECTION is the whole section, from "<!-- TAG:begin" to "<!-- TAG:end -->". It replaces the
# section of that TAG in REPORT, or is appended when REPORT has none yet.
write_section() {
  local tag=$1 section=$2 report=$3
  if [[ -f $report ]] && grep -q "^<!-- $tag:begin" "$report"; then
    python3 - "$report" "$tag" "$section" <<'PY'
import re, sys
path, tag, section = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read()
pattern = r"<!-- %s:begin.*?<!-- %s:end -->" % (re.escape(tag), re.escape(tag))
text = re.sub(pattern, lambda _: section, text, flags=re.S)
open(path, "w").write(text)
PY
  else
    printf '\n%s\n' "$section" >>"$report"
  fi
}
