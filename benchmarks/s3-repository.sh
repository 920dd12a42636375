#!/usr/bin/env bash
# Backup and restore with the repository on an S3-compatible store on loopback (s3rver from tests/tools, or
# the store $AWS_ENDPOINT_URL points at) against the same on a local directory: whole processes, in paired
# rounds (each round runs every variant once, in turn), medians. The archive is generated once into $WORK.
# Usage: benchmarks/s3-repository.sh [SPANS]   (default 1000000; ROUNDS=3, FILES=4)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-/tmp/spanrecovery-s3-bench}
ROUNDS=${ROUNDS:-3}
FILES=${FILES:-4}
SPANS=${1:-1000000}
mkdir -p "$WORK"
dotnet build src/SpanRecovery.Cli -c Release -v quiet -nologo > /dev/null
SR=(dotnet src/SpanRecovery.Cli/bin/Release/net10.0/spanrecovery.dll)

if [ -z "${AWS_ENDPOINT_URL:-}" ]; then
  [ -d tests/tools/node_modules/s3rver ] || npm ci --prefix tests/tools --no-audit --no-fund > /dev/null
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  rm -rf "$WORK/s3rver"; mkdir -p "$WORK/s3rver"
  node tests/tools/node_modules/s3rver/bin/s3rver.js --directory "$WORK/s3rver" --address 127.0.0.1 --port "$port" \
    --silent --configure-bucket bench > /dev/null 2>&1 &
  trap 'kill $!' EXIT
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2> /dev/null; do sleep 0.2; done
  export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
  export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
fi
BUCKET=${BUCKET:-bench}

archive="$WORK/archive-$SPANS"
[ -d "$archive" ] || "${SR[@]}" generate --out "$archive" --spans "$SPANS" --files "$FILES" --compress zstd-record > /dev/null

# Seconds of one whole-process run (its output is discarded; a failure stops the script).
seconds() { /usr/bin/time -f "%e" -o "$WORK/time" "$@" > /dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; cat "$WORK/time"; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A backup=() restore=()
for round in $(seq "$ROUNDS"); do
  for where in local s3; do
    if [ "$where" = local ]; then repo="$WORK/repo-$round"; rm -rf "$repo"; else repo="s3://$BUCKET/repo-$$-$round"; fi
    "${SR[@]}" repo init "$repo" > /dev/null
    backup[$where]+="$(seconds "${SR[@]}" backup --repo "$repo" --source "$archive") "
    name=$("${SR[@]}" backups list --repo "$repo" --json | grep -o '"name": "[^"]*' | cut -d'"' -f4)
    rm -rf "$WORK/restored"
    restore[$where]+="$(seconds "${SR[@]}" restore --repo "$repo" --backup "$name" --target "$WORK/restored") "
  done
done

echo "== $SPANS spans in $FILES files ($(du -sm "$archive" | cut -f1) MB), repository on a local directory and on $AWS_ENDPOINT_URL, median of $ROUNDS paired rounds"
for where in local s3; do
  b=$(echo "${backup[$where]}" | median); r=$(echo "${restore[$where]}" | median)
  printf "%-6s backup %8s s (%6s M spans/s)   restore %8s s (%6s M spans/s)\n" "$where" \
    "$b" "$(awk -v s="$SPANS" -v t="$b" 'BEGIN{printf "%.2f", s/t/1e6}')" "$r" "$(awk -v s="$SPANS" -v t="$r" 'BEGIN{printf "%.2f", s/t/1e6}')"
done
