#!/usr/bin/env python3
"""SharpSeek against llama.cpp on the same GGUF file, alternating runs, best of N, load recorded.

Issue 19's side-by-side harness. It builds nothing of llama.cpp: the peer is llama.cpp's own code as
LLamaSharp 0.30.0 ships it (bench/LlamaPeer, built with `dotnet build -c Release bench/LlamaPeer`).
SharpSeek runs from its Release build (`dotnet build -c Release src/SharpSeek.Cli`).

    python3 bench/side_by_side.py --model /tmp/v4-medium [--gguf /tmp/v4-medium-q8.gguf] \
        [--runs 3] [--threads 2] [--prompt 512] [--gen 64] [--contexts 4096,16384]

Without --gguf the checkpoint is converted once with `sharpseek quantize --preset q8_0` (Q8_0 matrices,
MXFP4 experts: what llama.cpp's converter makes of a V4 checkpoint), or with `--convert llama` by
llama.cpp's own convert_hf_to_gguf.py through bench/convert_with_llama.py (its copy outside the
repository, --llama-py; Debian's python3-torch; bench/README.md). llama.cpp runs with F16 KV and flash
attention (its fast settings; --llama-exact: F32 KV, no flash attention). Each measurement alternates the two
engines run by run; a run's peak memory is the process's max RSS (/usr/bin/time). Printed: every run
with `uptime`'s 1-minute load beside it, then the best tok/s and the lowest peak per engine and the
ratios SharpSeek / llama.cpp.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "src/SharpSeek.Cli/bin/Release/net10.0/sharpseek.dll")
PEER = os.path.join(ROOT, "bench/LlamaPeer/bin/Release/net10.0/LlamaPeer.dll")


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def timed(cmd, env):
    """Runs cmd under /usr/bin/time; returns (stdout, max RSS bytes)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", t.name] + cmd, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
        rss_kb = int(t.read().strip().splitlines()[-1])
    return p.stdout, rss_kb * 1024


SHARPSEEK_ARGS = []   # --sharpseek-args, e.g. "--activations int8"


def sharpseek(gguf, prompt, gen, threads):
    env = dict(os.environ, DOTNET_PROCESSOR_COUNT=str(threads))
    out, rss = timed(["dotnet", CLI, "bench", "--model", gguf, "--prompt", str(prompt), "--gen", str(gen), "--json"] + SHARPSEEK_ARGS, env)
    r = json.loads(out.strip().splitlines()[-1])
    return r["prefill_tokens_per_second"], r["decode_tokens_per_second"], rss


LLAMA_EXACT = False
LLAMA_NO_MMAP = False   # --llama-no-mmap: llama.cpp reads the file into memory (as SharpSeek's default resident weights do)


def llama(gguf, prompt, gen, threads):
    ctx = max(4096, prompt + gen + 16)
    fast = [] if LLAMA_EXACT else ["--fast"]   # llama.cpp's speed settings: F16 KV, flash attention
    fast += ["--no-mmap"] if LLAMA_NO_MMAP else []
    out, rss = timed(["dotnet", PEER, "--model", gguf, "--bench", "--prompt", str(prompt), "--gen", str(gen),
                      "--threads", str(threads), "--ctx", str(ctx)] + fast, dict(os.environ))
    m = re.search(r"\(([\d.]+) tok/s\), decode .*\(([\d.]+) tok/s\)", out)
    if not m:
        sys.exit(f"unexpected LlamaPeer output: {out}")
    return float(m.group(1)), float(m.group(2)), rss


def measure(label, gguf, prompt, gen, threads, runs):
    rows = {"sharpseek": [], "llama.cpp": []}
    for i in range(runs):
        for name, fn in (("sharpseek", sharpseek), ("llama.cpp", llama)) if i % 2 == 0 else (("llama.cpp", llama), ("sharpseek", sharpseek)):
            load = load_average()
            pre, dec, rss = fn(gguf, prompt, gen, threads)
            rows[name].append((pre, dec, rss, load))
            print(f"  {label:<22} run {i + 1} {name:<9} prefill {pre:8.1f} tok/s  decode {dec:7.2f} tok/s  "
                  f"peak {rss / 2**30:6.2f} GiB  (load {load:.2f})", flush=True)
    best = {k: (max(r[0] for r in v), max(r[1] for r in v), min(r[2] for r in v)) for k, v in rows.items()}
    s, l = best["sharpseek"], best["llama.cpp"]
    print(f"{label}: best of {runs}, {threads} thread(s)")
    print(f"  prefill  sharpseek {s[0]:8.1f}  llama.cpp {l[0]:8.1f}  ratio {s[0] / l[0]:.2f}x")
    print(f"  decode   sharpseek {s[1]:8.2f}  llama.cpp {l[1]:8.2f}  ratio {s[1] / l[1]:.2f}x")
    print(f"  peak     sharpseek {s[2] / 2**30:8.2f}  llama.cpp {l[2] / 2**30:8.2f} GiB  ratio {s[2] / l[2]:.2f}x", flush=True)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="SharpSeek checkpoint directory to convert (needed without --gguf)")
    ap.add_argument("--gguf", help="an existing deepseek4 GGUF to run in both engines")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt", type=int, default=512)
    ap.add_argument("--gen", type=int, default=64)
    ap.add_argument("--contexts", default="", help="comma-separated depths for decode at context (e.g. 4096,16384)")
    ap.add_argument("--sharpseek-args", default="", help="extra arguments for `sharpseek bench` (e.g. \"--activations int8\")")
    ap.add_argument("--cli", help="another SharpSeek build's sharpseek.dll (e.g. an older worktree's, for before/after)")
    ap.add_argument("--convert", choices=["sharpseek", "llama"], default="sharpseek",
                    help="without --gguf: convert --model with `sharpseek quantize --preset q8_0` (default) or llama.cpp's convert_hf_to_gguf.py")
    ap.add_argument("--llama-py", default="/work/llama-py", help="with --convert llama: the folder holding llama.cpp's converter")
    ap.add_argument("--llama-no-mmap", action="store_true", help="run llama.cpp with --no-mmap (weights read into allocated memory; SharpSeek reads them into huge pages by default)")
    ap.add_argument("--llama-exact", action="store_true", help="run llama.cpp with F32 KV and no flash attention (default: F16 KV + flash attention, its fast settings)")
    a = ap.parse_args()
    global LLAMA_EXACT, LLAMA_NO_MMAP, CLI
    LLAMA_EXACT = a.llama_exact
    LLAMA_NO_MMAP = a.llama_no_mmap
    SHARPSEEK_ARGS.extend(a.sharpseek_args.split())
    if a.cli:
        CLI = os.path.abspath(a.cli)
    if a.runs < 1 or a.threads < 1 or a.prompt < 1 or a.gen < 1:
        sys.exit("--runs, --threads, --prompt and --gen must be >= 1")
    for path, build in ((CLI, "dotnet build -c Release src/SharpSeek.Cli"), (PEER, "dotnet build -c Release bench/LlamaPeer")):
        if not os.path.exists(path):
            sys.exit(f"{path} is missing: run `{build}` first")
    gguf = a.gguf
    if gguf is None:
        if a.model is None:
            sys.exit("give --model DIR (converted once) or --gguf FILE")
        suffix = "-q8_0.gguf" if a.convert == "sharpseek" else "-llama-convert.gguf"
        gguf = os.path.join(tempfile.gettempdir(), os.path.basename(os.path.normpath(a.model)) + suffix)
        if not os.path.exists(gguf):
            if a.convert == "sharpseek":
                subprocess.run(["dotnet", CLI, "quantize", "--model", a.model, "--out", gguf, "--preset", "q8_0"], check=True)
            else:
                # Debian's python3 (with python3-torch), not whatever python3 runs this script.
                subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench/convert_with_llama.py"), "--model", a.model,
                                "--out", gguf, "--llama-py", a.llama_py, "--sharpseek", CLI], check=True)
    print(f"same file in both engines: {gguf} ({os.path.getsize(gguf) / 2**30:.2f} GiB)")
    measure(f"prompt {a.prompt}", gguf, a.prompt, a.gen, a.threads, a.runs)
    for depth in [int(x) for x in a.contexts.split(",") if x.strip()]:
        measure(f"decode at {depth}", gguf, depth, min(a.gen, 32), a.threads, a.runs)


if __name__ == "__main__":
    main()
