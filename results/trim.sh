#!/usr/bin/env bash
# results/trim.sh DIR... — what results/ keeps of a matrix run, after `make references` or a
# run copied in: each run's summary.json, the matrix's matrix.md and matrix.json, the
# report.md each matrix.md cell links, and whatever README.md links; the rest goes
# (`loadtest report --out DIR results/NAME` renders it again). A matrix.md link to a
# timeline that goes points at the cell's summary.json instead, and says so once.
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/.."

for dir in "$@"; do
  dir=${dir%/}
  [[ -f $dir/matrix.md ]] || { echo "trim: $dir/matrix.md: no matrix there" >&2; exit 2; }
  while IFS= read -r f; do
    # Kept: what README.md links, and the reports the matrix links.
    if grep -qF "($f)" README.md; then continue; fi
    if [[ $f == */report.md ]] && grep -qF "(${f#"$dir"/})" "$dir/matrix.md"; then continue; fi
    rm -- "$f"
  done < <(find "$dir" -type f \( -name report.md -o -name report.txt -o -name timeline.svg -o -name timeline.html \) | sort)
  # Each timeline link left without its file points at the run it is rendered from.
  while IFS= read -r svg; do
    [[ -f $dir/$svg ]] || sed -i "s|\[svg\]($svg)|[summary](${svg%timeline.svg}summary.json)|" "$dir/matrix.md"
  done < <(grep -o '\[svg\]([^)]*)' "$dir/matrix.md" | sed 's/^\[svg\](\(.*\))$/\1/' | sort -u)
  note="The timelines are not committed: a cell's *summary* is the run they are rendered from; \`loadtest report --out DIR $dir\` renders every run's report and timeline into DIR, this write-up beside them."
  if grep -q '\[summary\](' "$dir/matrix.md" && ! grep -qF "$note" "$dir/matrix.md"; then
    sed -i "/^## Cells$/{n;a\\
$note\\

}" "$dir/matrix.md"
  fi
done
