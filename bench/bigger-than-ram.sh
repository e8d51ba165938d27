#!/usr/bin/env bash
# The bigger-than-RAM decode (issue 19, item 6): writes the ~34 GiB random checkpoint of
# bench/configs/v4-bigger-than-ram.json if it is not there, then runs `sharpseek bench --cold` with each
# --read-ahead mode in turn, RUNS times, printing the load and the device's sectors read around each run.
# Usage: [MODES="off routed willneed exact"] bench/bigger-than-ram.sh [DIR=/tmp/v4-big] [RUNS=2] [PROMPT=8] [GEN=32]
set -euo pipefail
DIR=${1:-/tmp/v4-big}; RUNS=${2:-2}; PROMPT=${3:-8}; GEN=${4:-32}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
S="dotnet $ROOT/src/SharpSeek.Cli/bin/Release/net10.0/sharpseek.dll"
DEV=$(lsblk -no PKNAME "$(df --output=source "$(dirname "$DIR")" | tail -1)" 2>/dev/null || true)
DEV=${DEV:-$(basename "$(df --output=source "$(dirname "$DIR")" | tail -1)")}
if [ ! -f "$DIR/model.safetensors.index.json" ]; then
  avail=$(df --output=avail -B1 "$(dirname "$DIR")" | tail -1)
  if [ "$avail" -lt $((52 * 1024 * 1024 * 1024)) ]; then echo "need ~37 GB for the checkpoint and 15 GB left over: only $avail bytes free" >&2; exit 1; fi
  $S init-random --config "$ROOT/bench/configs/v4-bigger-than-ram.json" --out "$DIR" --seed 1 --direct-fp4
fi
sectors() { awk -v d="$DEV" '$3 == d { print $6 }' /proc/diskstats; }
for run in $(seq "$RUNS"); do
  for mode in ${MODES:-off willneed exact}; do
    s0=$(sectors); echo "== run $run --read-ahead $mode | $(uptime)"
    $S bench --model "$DIR" --prompt "$PROMPT" --gen "$GEN" --cold --read-ahead "$mode"
    s1=$(sectors); echo "device $DEV read $(( (s1 - s0) * 512 / 1000000 )) MB during the run (all processes)"
  done
done
