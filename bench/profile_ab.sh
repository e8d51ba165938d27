#!/bin/bash
# Alternating `sharpseek bench --profile` runs of two or more builds, with the load beside each: one op row's
# ms per token (several rows summed), in wall time and in the calling thread's CPU time, prefill and decode.
#   bench/profile_ab.sh MODEL THREADS ROUNDS PROMPT GEN "OPS" BUILD_DIR...
# OPS is an awk regex over the profile's op names (e.g. "HyperConnections|Norms"); each BUILD_DIR holds a
# `sharpseek` (copy a build out first, e.g. cp -r src/SharpSeek.Cli/bin/Release/net10.0 /tmp/old). Extra bench
# arguments go in BENCH_ARGS (default: --activations int8).
set -euo pipefail
M=${1:?usage: bench/profile_ab.sh MODEL THREADS ROUNDS PROMPT GEN OPS BUILD_DIR...}; T=$2; N=$3; P=$4; G=$5; OPS=$6; shift 6
[ $# -ge 1 ] || { echo "no build directories given" >&2; exit 1; }
for r in $(seq 1 "$N"); do
  for b in "$@"; do
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    out=$(DOTNET_PROCESSOR_COUNT=$T "$b/sharpseek" bench --model "$M" --prompt "$P" --gen "$G" ${BENCH_ARGS:---activations int8} --profile 2>&1)
    pf=$(echo "$out" | grep -E "^prefill +[0-9]+ tokens" | sed -E 's/.*: ([0-9.]+) tokens\/s/\1/')
    dc=$(echo "$out" | grep -E "^decode +[0-9]+ tokens" | sed -E 's/.*s: ([0-9.]+) tokens\/s.*/\1/')
    rows=$(echo "$out" | awk -v ops="^($OPS)\$" '/^(prefill|decode):/{ph=$1} $1 ~ ops {w[ph]+=$3; b[ph]+=$5; c[ph]+=$6}
      END{printf "prefill wall %.3f cpu %.3f B %d | decode wall %.3f cpu %.3f B %d", w["prefill:"], c["prefill:"], b["prefill:"], w["decode:"], c["decode:"], b["decode:"]}')
    echo "threads $T $b [load $load] prefill $pf tok/s decode $dc tok/s | $OPS ms/token: $rows"
  done
done
