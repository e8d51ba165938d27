#!/usr/bin/env python3
"""Logits files of `sharpseek logits --out F` against a reference one: per row cosine, max |d|, top-1.

  python3 bench/logits_compare.py REFERENCE.safetensors OTHER.safetensors [OTHER2 ...]

Rows are prefill_logits then decode_logits (F32 or F64). For each OTHER: min / median cosine over the
rows, max |d| (absolute, and relative to the reference row's max |logit|), and how many rows have the
same argmax. Standard library only.
"""
from __future__ import annotations

import array
import json
import math
import statistics
import struct
import sys


def read_rows(path: str) -> list[list[float]]:
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    rows: list[list[float]] = []
    for name in ("prefill_logits", "decode_logits"):
        if name not in header:
            continue
        h = header[name]
        code = {"F32": "f", "F64": "d"}.get(h["dtype"])
        if code is None or len(h["shape"]) != 2:
            raise ValueError(f"{path}: {name} is {h['dtype']} {h['shape']}, expected a 2-D F32 or F64 tensor")
        a = array.array(code)
        a.frombytes(data[h["data_offsets"][0]:h["data_offsets"][1]])
        r, c = h["shape"]
        rows.extend(list(a[i * c:(i + 1) * c]) for i in range(r))
    if not rows:
        raise ValueError(f"{path}: no prefill_logits or decode_logits")
    return rows


def compare(ref: list[list[float]], other: list[list[float]]) -> dict:
    if len(ref) != len(other) or any(len(x) != len(y) for x, y in zip(ref, other)):
        raise ValueError("the files hold different shapes")
    cos, maxd, rel, top = [], 0.0, 0.0, 0
    for x, y in zip(ref, other):
        dot = sum(a * b for a, b in zip(x, y))
        cos.append(dot / math.sqrt(sum(a * a for a in x) * sum(b * b for b in y)))
        d = max(abs(a - b) for a, b in zip(x, y))
        maxd = max(maxd, d)
        rel = max(rel, d / max(abs(a) for a in x))
        top += max(range(len(x)), key=x.__getitem__) == max(range(len(y)), key=y.__getitem__)
    return {"rows": len(ref), "cos_min": min(cos), "cos_median": statistics.median(cos), "max_abs_diff": maxd,
            "max_rel_diff": rel, "top1": top}


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    ref = read_rows(sys.argv[1])
    print(f"reference: {sys.argv[1]} ({len(ref)} rows x {len(ref[0])})")
    for path in sys.argv[2:]:
        r = compare(ref, read_rows(path))
        print(f"{path}: cosine min {r['cos_min']:.6f} median {r['cos_median']:.6f}  max|d| {r['max_abs_diff']:.3g} "
              f"({r['max_rel_diff']:.2%} of the row's max |logit|)  top-1 {r['top1']}/{r['rows']}")


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError) as e:
        sys.exit(f"logits_compare: {e}")
