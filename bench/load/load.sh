#!/usr/bin/env bash
# Load test for `sharpseek serve`: C concurrent streaming clients on /v1/completions with token-id
# prompts (works without a tokenizer), each generating N tokens. Reports per-client time to first
# token (curl's time_starttransfer: the first SSE chunk is written when the first token exists),
# and aggregate generated tokens/s over the wall time of the whole round.
# usage: bench/load/load.sh [URL] [CLIENTS...]   env: TOKENS=32 PROMPT=64 MODEL=name
set -euo pipefail
URL=${1:-http://127.0.0.1:8000}; shift || true
CLIENTS=${*:-1 4 16}
TOKENS=${TOKENS:-32}; PROMPT=${PROMPT:-64}
MODEL=${MODEL:-$(curl -s "$URL/v1/models" | sed -E 's/.*"id":"([^"]+)".*/\1/')}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

one() { # $1 = client index
  local ids; ids=$(seq -s, $(( $1 * 7 % 500 + 2 )) $(( $1 * 7 % 500 + 1 + PROMPT )))
  curl -sN -o "$tmp/out.$1" -w '%{time_starttransfer} %{time_total}\n' -H 'Content-Type: application/json' \
    -d "{\"model\":\"$MODEL\",\"prompt\":[$ids],\"max_tokens\":$TOKENS,\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true}}" \
    "$URL/v1/completions" > "$tmp/time.$1"
}

printf '%-8s %-12s %-12s %-12s %-14s\n' clients ttft_mean_s ttft_max_s wall_s tokens_per_s
for c in $CLIENTS; do
  rm -f "$tmp"/out.* "$tmp"/time.*
  start=$(date +%s.%N)
  for i in $(seq 1 "$c"); do one "$i" & done
  wait
  end=$(date +%s.%N)
  tokens=0
  for i in $(seq 1 "$c"); do
    n=$(grep -o '"completion_tokens":[0-9]*' "$tmp/out.$i" | tail -1 | cut -d: -f2)
    tokens=$(( tokens + ${n:-0} ))
  done
  awk -v c="$c" -v s="$start" -v e="$end" -v t="$tokens" '{ sum += $1; if ($1 > max) max = $1 } END {
      printf "%-8d %-12.3f %-12.3f %-12.2f %-14.1f\n", c, sum / NR, max, e - s, t / (e - s) }' "$tmp"/time.*
done
