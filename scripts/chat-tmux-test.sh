#!/usr/bin/env bash
# Drives `sharpseek chat` in a real terminal (tmux): builds the CLI, makes a tiny random model with
# a tokenizer (scripts/make-chat-test-model.cs), then types messages and commands with send-keys
# and checks the screen with capture-pane: /help, a streamed answer with the status line, /think
# (dim thinking log), Ctrl-C during an answer (stops it, the program stays), /undo, /save, /reset,
# /load, /system, /effort, /exit. Exit code 0 = every check passed.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
session="sharpseek-chat-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$work"' EXIT
command -v tmux >/dev/null || { echo "tmux is not installed (apt-get install -y tmux)"; exit 2; }

dotnet build "$repo/src/SharpSeek.Cli" -c Release -v quiet -nologo >/dev/null
dotnet run "$repo/scripts/make-chat-test-model.cs" -- "$work/model" 2>/dev/null
bin="$repo/src/SharpSeek.Cli/bin/Release/net10.0/sharpseek"

tmux new-session -d -s "$session" -x 160 -y 50 "$bin chat --model $work/model --max-tokens 200 --seed 5; echo CHAT-EXITED; sleep 30"
screen() { tmux capture-pane -p -t "$session" -S -200; }
wait_for() { # wait_for TEXT [SECONDS]: until the pane shows TEXT
  local t="${2:-60}"
  for _ in $(seq 1 $((t * 10))); do screen | grep -qF -- "$1" && return 0; sleep 0.1; done
  echo "FAIL: '$1' did not appear"; screen; exit 1
}
count() { screen | grep -cF -- "$1" || true; }
send() { tmux send-keys -t "$session" -l -- "$1"; tmux send-keys -t "$session" Enter; }
pass() { echo "ok: $1"; }

wait_for "type a message" 120
pass "chat started"
send "/help";            wait_for "/undo           drop the last exchange"; pass "/help"
send "hello there";      wait_for "tok/s"; wait_for "context "; pass "answer streamed with status line"
send "/think";           wait_for "thinking mode on"
send "what is a token";  wait_for "thinking"; [ "$(count 'tok/s')" -ge 2 ] || wait_for "prefill" ; pass "/think shows the thinking log"
sleep 1
# Ctrl-C while an answer is running: a long answer, interrupted.
send "/think";           wait_for "thinking mode off"
tmux send-keys -t "$session" -l -- "tell me a long story"; tmux send-keys -t "$session" Enter
sleep 0.1; tmux send-keys -t "$session" C-c
wait_for "stopped (Ctrl-C)" 60; pass "Ctrl-C stopped the answer"
send "/help";            [ "$(count 'CHAT-EXITED')" -eq 0 ] || { echo "FAIL: chat exited on Ctrl-C"; exit 1; }; pass "still running after Ctrl-C"
send "/undo";            wait_for "last exchange dropped (4 messages left"; pass "/undo"
send "/save $work/conv.json"; wait_for "saved 4 messages"; test -s "$work/conv.json"; pass "/save"
send "/reset";           wait_for "conversation reset"; pass "/reset"
send "/load $work/conv.json"; wait_for "loaded 4 messages"; pass "/load"
send "/system you are terse"; wait_for "system prompt set"; pass "/system"
send "/effort max";      wait_for "reasoning effort: max"; pass "/effort"
send "one more";         sleep 0.5; wait_for "tok/s"; pass "answer after /load"
send "/exit";            wait_for "CHAT-EXITED"; pass "/exit"
echo "--- final screen ---"; screen | tail -25
echo "all chat checks passed"
