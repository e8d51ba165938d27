#!/usr/bin/env python3
"""Two GGUF files tensor by tensor: names, ggml types, shapes and bytes; then the metadata keys.

  python3 bench/gguf_compare.py A.gguf B.gguf [--names-a LABEL --names-b LABEL] [--metadata]

For every tensor: in both or in one only; same type and shape; identical bytes or not. Tensors of the
same type whose bytes differ get the largest byte difference's position. Prints a summary count per
(type in A, type in B, bytes equal) and exits 0 (a comparison, not a check). Needs only the standard
library: this is a small GGUF reader of its own (versions 2 and 3), not llama.cpp's gguf-py.
"""
from __future__ import annotations

import argparse
import hashlib
import mmap
import struct
import sys
from collections import Counter

# ggml types: name, block size (values), bytes per block
GGML_TYPES = {
    0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20), 6: ("Q5_0", 32, 22),
    7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 36), 10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110),
    12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74), 18: ("IQ3_XXS", 256, 98), 19: ("IQ1_S", 256, 50),
    20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110), 22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136),
    24: ("I8", 1, 1), 25: ("I16", 1, 2), 26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8),
    29: ("IQ1_M", 256, 56), 30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66), 39: ("MXFP4", 32, 17),
}
SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


class Gguf:
    def __init__(self, path: str):
        self.path = path
        with open(path, "rb") as f:
            self.buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        self.pos = 0
        if self.buf[:4] != b"GGUF":
            raise ValueError(f"{path}: not a GGUF file (magic {bytes(self.buf[:4])!r})")
        self.pos = 4
        version = self.u(4)
        if version not in (2, 3):
            raise ValueError(f"{path}: GGUF version {version} is not 2 or 3")
        n_tensors, n_kv = self.u(8), self.u(8)
        self.meta = {}
        for _ in range(n_kv):
            key = self.string()
            self.meta[key] = self.value(self.u(4))
        self.tensors = {}
        for _ in range(n_tensors):
            name = self.string()
            dims = [self.u(8) for _ in range(self.u(4))]
            ggml_type, offset = self.u(4), self.u(8)
            if ggml_type not in GGML_TYPES:
                raise ValueError(f"{path}: tensor {name} has unknown ggml type {ggml_type}")
            self.tensors[name] = (ggml_type, dims, offset)
        align = int(self.meta.get("general.alignment", 32))
        self.data = (self.pos + align - 1) // align * align

    def u(self, n: int) -> int:
        v = int.from_bytes(self.buf[self.pos:self.pos + n], "little")
        self.pos += n
        return v

    def string(self) -> str:
        n = self.u(8)
        s = self.buf[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s

    def value(self, t: int):
        if t == 8:
            return self.string()
        if t == 9:
            et, n = self.u(4), self.u(8)
            return [self.value(et) for _ in range(n)]
        fmt = SCALARS[t]
        size = struct.calcsize(fmt)
        v = struct.unpack_from("<" + fmt, self.buf, self.pos)[0]
        self.pos += size
        return v

    def nbytes(self, name: str) -> int:
        t, dims, _ = self.tensors[name]
        _, block, size = GGML_TYPES[t]
        n = 1
        for d in dims:
            n *= d
        return n // block * size

    def raw(self, name: str) -> memoryview:
        off = self.data + self.tensors[name][2]
        return memoryview(self.buf)[off:off + self.nbytes(name)]


def type_name(t: int) -> str:
    return GGML_TYPES[t][0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--label-a", default="A")
    ap.add_argument("--label-b", default="B")
    ap.add_argument("--metadata", action="store_true", help="also list metadata keys that differ")
    ap.add_argument("--quiet", action="store_true", help="only the summary")
    args = ap.parse_args()
    a, b = Gguf(args.a), Gguf(args.b)
    la, lb = args.label_a, args.label_b
    summary: Counter = Counter()
    for name in sorted(set(a.tensors) | set(b.tensors)):
        if name not in b.tensors or name not in a.tensors:
            where = la if name in a.tensors else lb
            g = a if name in a.tensors else b
            t, dims, _ = g.tensors[name]
            print(f"only in {where}: {name} {type_name(t)} {dims}")
            summary[(f"only in {where}", type_name(t), "")] += 1
            continue
        ta, da, _ = a.tensors[name]
        tb, db, _ = b.tensors[name]
        if da != db:
            print(f"SHAPE {name}: {la} {da} {lb} {db}")
            summary[("shape differs", type_name(ta), type_name(tb))] += 1
            continue
        same = ta == tb and hashlib.sha256(a.raw(name)).digest() == hashlib.sha256(b.raw(name)).digest()
        verdict = "identical" if same else ("bytes differ" if ta == tb else "type differs")
        summary[(verdict, type_name(ta), type_name(tb))] += 1
        if not args.quiet and not same:
            print(f"{verdict:<13} {name:<40} {la} {type_name(ta):<6} {lb} {type_name(tb):<6} {da}")
    print(f"\n{la} = {args.a}: {len(a.tensors)} tensors; {lb} = {args.b}: {len(b.tensors)} tensors")
    print(f"{'verdict':<16} {la + ' type':<10} {lb + ' type':<10} tensors")
    for (verdict, x, y), n in sorted(summary.items()):
        print(f"{verdict:<16} {x:<10} {y:<10} {n}")
    if args.metadata:
        for key in sorted(set(a.meta) | set(b.meta)):
            va, vb = a.meta.get(key, "<absent>"), b.meta.get(key, "<absent>")
            if va != vb:
                short = lambda v: (f"[{len(v)} values]" if isinstance(v, list) and len(v) > 8 else repr(v))[:100]
                print(f"meta {key}: {la} {short(va)} | {lb} {short(vb)}")


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError) as e:
        sys.exit(f"gguf_compare: {e}")
