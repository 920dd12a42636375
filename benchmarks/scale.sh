#!/usr/bin/env bash
# Whole-process validation at scale (docs/scale-out.md): in memory against partitioned, with `zstd -dc` as the
# decompression floor, in paired rounds (each round runs every variant once, in turn) and medians.
# Usage: benchmarks/scale.sh [SPANS...]   (default: 5000000 10000000; archives are generated once into $WORK)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-/tmp/spanrecovery-scale}
ROUNDS=${ROUNDS:-3}
mkdir -p "$WORK"
dotnet build src/SpanRecovery.Cli -c Release -v quiet -nologo > /dev/null
SR=(dotnet src/SpanRecovery.Cli/bin/Release/net10.0/spanrecovery.dll)

# One timed run: prints "seconds peak-rss-MB"; the report goes to $WORK/last.json.
run() { /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" > "$WORK/last.out" 2>/dev/null || true; awk '{printf "%s %.0f\n", $1, $2/1024}' "$WORK/time"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

[ $# -gt 0 ] || set -- 5000000 10000000
for spans in "$@"; do
  archive="$WORK/archive-$spans"
  [ -d "$archive" ] || "${SR[@]}" generate --out "$archive" --spans "$spans" --files 1 --compress zstd > /dev/null
  file=$(ls "$archive"/*)
  declare -A times=() rss=()
  variants=("zstd -dc" "in memory" "default" "--partitions 64" "--workers 2")
  for round in $(seq "$ROUNDS"); do
    for variant in "${variants[@]}"; do
      case "$variant" in
        "zstd -dc") out=$(run sh -c "zstd -dc '$file' > /dev/null") ;;
        "in memory") out=$(run "${SR[@]}" validate "$file" --format json --partitions 0) ;;
        "default") out=$(run "${SR[@]}" validate "$file" --format json) ;;
        *) out=$("${SR[@]}" validate --help | grep -q -- "${variant%% *}" && run "${SR[@]}" validate "$file" --format json $variant || echo "- -") ;;
      esac
      times[$variant]+="${out% *} "; rss[$variant]+="${out#* } "
    done
  done
  echo "== $spans spans, $(du -m "$file" | cut -f1) MB zstd, median of $ROUNDS paired rounds"
  for variant in "${variants[@]}"; do
    t=$(echo ${times[$variant]} | tr ' ' '\n' | median); m=$(echo ${rss[$variant]} | tr ' ' '\n' | median)
    printf "%-18s %8s s %8s MB peak RSS %10s M spans/s\n" "$variant" "$t" "$m" "$(awk -v s="$spans" -v t="$t" 'BEGIN{ if (t+0>0) printf "%.2f", s/t/1e6; else print "-" }')"
  done
  unset times rss
done
