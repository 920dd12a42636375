#!/usr/bin/env bash
# The native executable against `dotnet spanrecovery.dll` and the physical limits, as whole processes side by
# side (hyperfine: warm-up, then a median of paired runs): start-up, validation of 1M and 5M spans, a full
# backup and a restore. Usage: benchmarks/native.sh   (RUNS=5; archives are generated once into $WORK)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-/tmp/spanrecovery-native}
RUNS=${RUNS:-5}
mkdir -p "$WORK"
dotnet build src/SpanRecovery.Cli -c Release -v quiet -nologo > /dev/null
dotnet publish src/SpanRecovery.Cli -c Release -r linux-x64 -p:PublishAot=true -v quiet -nologo -o "$WORK/native" > /dev/null
DOTNET="dotnet $PWD/src/SpanRecovery.Cli/bin/Release/net10.0/spanrecovery.dll"
NATIVE="$WORK/native/spanrecovery"
bench() { hyperfine -N -w 1 -r "$RUNS" -i --export-markdown "$WORK/$1.md" "${@:2}" > /dev/null; cat "$WORK/$1.md"; echo; }

for spans in 1000000 5000000; do
  [ -d "$WORK/zst-$spans" ] || $NATIVE generate --out "$WORK/zst-$spans" --spans "$spans" --files 1 --compress zstd > /dev/null
done
[ -d "$WORK/plain-1M" ] || $NATIVE generate --out "$WORK/plain-1M" --spans 1000000 --files 1 > /dev/null
: > "$WORK/empty.binpb"

echo "## start-up"
bench help -n "native --help" "$NATIVE --help" -n "dotnet --help" "$DOTNET --help"
bench empty -n "native validate (empty file)" "$NATIVE validate $WORK/empty.binpb" -n "dotnet validate (empty file)" "$DOTNET validate $WORK/empty.binpb"

for spans in 1000000 5000000; do
  file=$(ls "$WORK/zst-$spans"/*)
  echo "## validate, $spans spans, whole-file zstd ($(du -m "$file" | cut -f1) MB)"
  bench "validate-$spans" -n "zstd -dc" "sh -c 'zstd -dc $file > /dev/null'" \
    -n "native" "$NATIVE validate $file --format json" -n "native, one table (--partitions 0)" "$NATIVE validate $file --format json --partitions 0" \
    -n "dotnet" "$DOTNET validate $file --format json"
done

plain=$(ls "$WORK/plain-1M"/*)
echo "## full backup, 1M spans uncompressed ($(du -m "$plain" | cut -f1) MB)"
bench backup -n "zstd -3" "sh -c 'zstd -3 -q -f $plain -o $WORK/plain.zst'" \
  --prepare "rm -rf $WORK/repo-n $WORK/repo-d" \
  -n "native repo init + backup" "sh -c '$NATIVE repo init $WORK/repo-n > /dev/null && $NATIVE backup --repo $WORK/repo-n --source $WORK/plain-1M'" \
  -n "dotnet repo init + backup" "sh -c '$DOTNET repo init $WORK/repo-d > /dev/null && $DOTNET backup --repo $WORK/repo-d --source $WORK/plain-1M'"

# The backup runs' --prepare removes both repositories before each run, so the one to restore is made here.
rm -rf "$WORK/repo-n" && $NATIVE repo init "$WORK/repo-n" > /dev/null && $NATIVE backup --repo "$WORK/repo-n" --source "$WORK/plain-1M" > /dev/null
name=$($NATIVE backups list --repo "$WORK/repo-n" --json | grep -o '"name": "[^"]*' | tail -1 | cut -d'"' -f4)
segment=$(find "$WORK/repo-n/backups/$name" -name '*.zst' | head -1)
echo "## restore --backup to a new directory, 1M spans"
bench restore --prepare "rm -rf $WORK/out-n $WORK/out-d $WORK/out-z" \
  -n "zstd -d + sync" "sh -c 'mkdir -p $WORK/out-z && zstd -d -q -f $segment -o $WORK/out-z/f && sync $WORK/out-z/f'" \
  -n "native" "$NATIVE restore --repo $WORK/repo-n --backup $name --target $WORK/out-n" \
  -n "dotnet" "$DOTNET restore --repo $WORK/repo-n --backup $name --target $WORK/out-d"
