#!/bin/bash
# Alternating exact / int8 activation runs of `sharpseek bench` on one model, with the 1-minute load and
# the process's user CPU seconds beside each (CPU time is less sensitive than wall time to a loaded machine).
#   bench/activations_ab.sh MODEL [PROMPT=512] [GEN=0] [PAIRS=3] [THREADS=1]
# SHARPSEEK=path/to/sharpseek.dll picks a build (default: this tree's Release build).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
S=${SHARPSEEK:-$ROOT/src/SharpSeek.Cli/bin/Release/net10.0/sharpseek.dll}
M=${1:?usage: bench/activations_ab.sh MODEL [PROMPT] [GEN] [PAIRS] [THREADS]}; P=${2:-512}; G=${3:-0}; N=${4:-3}; T=${5:-1}
[ -f "$S" ] || { echo "no build at $S (dotnet build -c Release src/SharpSeek.Cli)" >&2; exit 1; }
for i in $(seq 1 "$N"); do
  for a in exact int8; do
    l=$(cut -d' ' -f1 /proc/loadavg)
    r=$( { DOTNET_PROCESSOR_COUNT=$T /usr/bin/time -f "cpu_user=%U" dotnet "$S" bench --model "$M" --prompt "$P" --gen "$G" --activations $a --json; } 2>&1 | tr '\n' ' ')
    pre=$(echo "$r" | sed 's/.*"prefill_tokens_per_second":\([0-9.]*\).*/\1/'); dec=$(echo "$r" | sed 's/.*"decode_tokens_per_second":\([0-9.]*\).*/\1/')
    echo "pair $i $a threads=$T load=$l prefill=$pre tok/s decode=$dec tok/s $(echo "$r" | grep -o 'cpu_user=[0-9.]*')"
  done
done
