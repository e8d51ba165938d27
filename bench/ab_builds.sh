#!/bin/bash
# Two SharpSeek CLI builds alternating, run by run: `sharpseek bench` prefill and decode tok/s with the
# 1-minute load beside each run (this shared machine is noisy: compare best of N, same window).
#   bench/ab_builds.sh DIR_A DIR_B [RUNS] [extra bench args...]
# DIR_A/DIR_B hold a `sharpseek` (copies of src/SharpSeek.Cli/bin/Release/net10.0 before and after a
# change). Environment: T threads (default 1), MODEL (default /tmp/v4-medium-q8.gguf), P prompt (64), G gen (128).
set -euo pipefail
if [ $# -lt 2 ]; then sed -n 2,6p "$0"; exit 2; fi
A="$1"; B="$2"; N="${3:-4}"; shift $(( $# < 3 ? $# : 3 ))
for d in "$A" "$B"; do [ -x "$d/sharpseek" ] || { echo "no sharpseek in $d" >&2; exit 2; }; done
for i in $(seq "$N"); do
  for d in "$A" "$B"; do
    out=$(DOTNET_PROCESSOR_COUNT="${T:-1}" "$d/sharpseek" bench --model "${MODEL:-/tmp/v4-medium-q8.gguf}" --prompt "${P:-64}" --gen "${G:-128}" "$@" 2>&1)
    pre=$(echo "$out" | grep '^prefill' | sed 's/.*: //; s/ tokens.s.*//')
    dec=$(echo "$out" | grep '^decode' | sed 's/.*: //; s/ tokens.s.*//')
    echo "$(basename "$d"): prefill ${pre:-?}  decode ${dec:-?}  (load $(cut -d' ' -f1 /proc/loadavg))"
  done
done
