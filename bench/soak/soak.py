#!/usr/bin/env python3
"""Soak test for `sharpseek serve` (bench/, not CI; standard library only).

N concurrent clients send a random mix for M minutes: valid chat and completion requests (streamed
and not), streams the client drops after a few chunks (disconnects), requests abandoned by a short
client timeout (cancellations), hostile bodies (the inputs of issue 25 and random corruptions of
valid bodies), and HEAD/GET /health. Reports responses by status, p50/p99 latency of completed
requests, the server's RSS over time, and at the end waits for /health to report
live_memory_sequences == 0 and active_sequences == 0. Exits 1 on any 5xx or a leaked sequence.

  sharpseek serve --model models/default --port 8017 &
  bench/soak/soak.py --url http://127.0.0.1:8017 --clients 8 --minutes 5 --pid $!
"""
import argparse, http.client, json, random, socket, statistics, sys, threading, time, urllib.parse
from collections import Counter

HOSTILE = [
    {"presence_penalty": 1e300}, {"frequency_penalty": -1e300}, {"temperature": 1e-45}, {"min_p": "high"},
    {"repetition_penalty": -1}, {"repetition_penalty": 1e-45}, {"logprobs": True, "top_logprobs": -1},
    {"logit_bias": {"x": 1}}, {"tools": [{"type": "function", "function": {"name": ""}}]}, {"response_format": "json"},
    {"messages": [{"role": "user"}]}, {"max_tokens": 0}, {"n": 99}, {"top_p": 0}, {"seed": "x"}, {"stop": [1, 2]},
    {"messages": "nope"}, {"model": "gpt-9"}, {"max_tokens": 100000},
]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.status = Counter()
        self.kinds = Counter()
        self.latency = []
        self.five_xx = []

    def add(self, kind, status, latency=None, body=""):
        with self.lock:
            self.kinds[kind] += 1
            self.status[status] += 1
            if latency is not None:
                self.latency.append(latency)
            if isinstance(status, int) and status >= 500 and len(self.five_xx) < 20:
                self.five_xx.append((kind, status, body[:300]))


def chat_body(rng, model, stream):
    return {"model": model, "stream": stream, "max_tokens": rng.randint(1, 24), "temperature": rng.choice([0, 0.7, 1.0]),
            "seed": rng.randint(0, 1000), "messages": [{"role": "user", "content": rng.choice(
                ["What is 12+35?", "The pass key is 48213. Remember it. What is the pass key?", "hello", "Call the clock tool."])}]}


def request(base, method, path, body=None, timeout=60.0, read_chunks=None):
    """Returns (status, text). read_chunks: stop reading (and drop the connection) after that many reads."""
    conn = http.client.HTTPConnection(base.hostname, base.port, timeout=timeout)
    try:
        data = None if body is None else (body if isinstance(body, (bytes, str)) else json.dumps(body))
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data is not None else {})
        r = conn.getresponse()
        if read_chunks is not None:
            for _ in range(read_chunks):
                if not r.fp or not r.read1(256):
                    break
            return r.status, ""
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        conn.close()   # mid-stream this is the client disconnect


def client(idx, base, model, deadline, stats, seed):
    rng = random.Random(seed * 1000 + idx)
    while time.time() < deadline:
        kind = rng.choices(["chat", "chat_stream", "completion", "disconnect", "cancel", "hostile", "corrupt", "health"],
                           [20, 20, 10, 10, 8, 20, 7, 5])[0]
        t0 = time.time()
        try:
            if kind == "chat":
                s, text = request(base, "POST", "/v1/chat/completions", chat_body(rng, model, False))
            elif kind == "chat_stream":
                s, text = request(base, "POST", "/v1/chat/completions", chat_body(rng, model, True))
                if s == 200 and "server_error" in text:
                    s = "stream_error"
            elif kind == "completion":
                ids = [rng.randint(2, 4000) for _ in range(rng.randint(1, 64))]
                s, text = request(base, "POST", "/v1/completions", {"model": model, "prompt": ids, "max_tokens": rng.randint(1, 16), "stream": rng.random() < 0.5})
            elif kind == "disconnect":
                b = chat_body(rng, model, True); b["max_tokens"] = 64
                s, text = request(base, "POST", "/v1/chat/completions", b, read_chunks=rng.randint(1, 4))
            elif kind == "cancel":
                b = chat_body(rng, model, False); b["max_tokens"] = 64
                try:
                    s, text = request(base, "POST", "/v1/chat/completions", b, timeout=rng.uniform(0.01, 0.3))
                except (socket.timeout, TimeoutError):
                    s, text = "client_cancel", ""
            elif kind == "hostile":
                b = chat_body(rng, model, rng.random() < 0.3); b.update(rng.choice(HOSTILE))
                s, text = request(base, "POST", "/v1/chat/completions", b)
            elif kind == "corrupt":
                raw = bytearray(json.dumps(chat_body(rng, model, False)).encode())
                for _ in range(rng.randint(1, 4)):
                    raw[rng.randrange(len(raw))] = rng.randrange(256)
                s, text = request(base, "POST", "/v1/chat/completions", bytes(raw))
            else:
                s, text = request(base, rng.choice(["GET", "HEAD"]), "/health")
            stats.add(kind, s, time.time() - t0 if kind not in ("disconnect", "cancel") else None, text)
        except (ConnectionError, http.client.HTTPException, OSError) as e:
            stats.add(kind, "conn_" + type(e).__name__)


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None


def health(base):
    s, text = request(base, "GET", "/health", timeout=10)
    return json.loads(text) if s == 200 else {}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--minutes", type=float, default=5)
    ap.add_argument("--pid", type=int, help="server process id, for RSS")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sample-seconds", type=float, default=15)
    a = ap.parse_args()
    base = urllib.parse.urlparse(a.url)
    model = json.loads(request(base, "GET", "/v1/models")[1])["data"][0]["id"]
    stats, start = Stats(), time.time()
    deadline = start + a.minutes * 60
    threads = [threading.Thread(target=client, args=(i, base, model, deadline, stats, a.seed), daemon=True) for i in range(a.clients)]
    for t in threads:
        t.start()
    samples = []
    while time.time() < deadline:
        h = health(base)
        samples.append((round(time.time() - start), rss_kb(a.pid) if a.pid else None, h.get("live_memory_sequences"), h.get("active_sequences")))
        print(f"t={samples[-1][0]:>5}s rss={samples[-1][1]} kB live_memory_sequences={samples[-1][2]} active={samples[-1][3]} requests={sum(stats.kinds.values())}", flush=True)
        time.sleep(min(a.sample_seconds, max(0.0, deadline - time.time())))
    for t in threads:
        t.join(timeout=120)
    drained = None
    for _ in range(60):
        h = health(base)
        if h.get("live_memory_sequences") == 0 and h.get("active_sequences") == 0:
            drained = h
            break
        time.sleep(0.5)
    lat = sorted(stats.latency)
    pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else None
    rss = [s[1] for s in samples if s[1]]
    report = {
        "minutes": a.minutes, "clients": a.clients, "requests": sum(stats.kinds.values()),
        "by_kind": dict(stats.kinds), "by_status": {str(k): v for k, v in sorted(stats.status.items(), key=lambda kv: str(kv[0]))},
        "latency_s": {"p50": pct(0.5), "p99": pct(0.99), "mean": statistics.fmean(lat) if lat else None, "completed": len(lat)},
        "rss_kb": {"first": rss[0] if rss else None, "max": max(rss) if rss else None, "last": rss[-1] if rss else None},
        "rss_samples": [(t, r) for t, r, _, _ in samples],
        "drained": drained is not None, "final_health": health(base), "five_xx_examples": stats.five_xx,
    }
    print(json.dumps(report, indent=1))
    bad = sum(v for k, v in stats.status.items() if isinstance(k, int) and k >= 500) + stats.status.get("stream_error", 0)
    sys.exit(1 if bad or drained is None else 0)


if __name__ == "__main__":
    main()
