#!/usr/bin/env python3
"""Distance between two `sharpseek logits` files (pure Python, no numpy): per row of a tensor
(prefill_logits by default) the cosine of the logit vectors, whether the top-1 token agrees, and
KL(p_ref || p_other) of the softmaxes; prints the mean cosine, the top-1 agreement and the mean KL.
    python3 scripts/logit_distance.py REF.safetensors OTHER.safetensors [tensor]"""
import json, math, struct, sys
from array import array

def read(path, name):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        t = header[name]
        if t['dtype'] != 'F32': sys.exit(f'{path}: {name} is {t["dtype"]}, expected F32')
        start, end = t['data_offsets']
        f.seek(8 + n + start)
        a = array('f'); a.frombytes(f.read(end - start))
        rows, cols = t['shape']
        return [a[r * cols:(r + 1) * cols] for r in range(rows)]

def log_softmax(x):
    m = max(x); s = math.log(sum(math.exp(v - m) for v in x))
    return [v - m - s for v in x]

def main():
    name = sys.argv[3] if len(sys.argv) > 3 else 'prefill_logits'
    a, b = read(sys.argv[1], name), read(sys.argv[2], name)
    if len(a) != len(b): sys.exit(f'{len(a)} rows vs {len(b)}')
    cos, top, kl = [], 0, []
    for x, y in zip(a, b):
        dot = sum(p * q for p, q in zip(x, y))
        cos.append(dot / math.sqrt(sum(p * p for p in x) * sum(q * q for q in y)))
        top += max(range(len(x)), key=x.__getitem__) == max(range(len(y)), key=y.__getitem__)
        lx, ly = log_softmax(x), log_softmax(y)
        kl.append(sum(math.exp(p) * (p - q) for p, q in zip(lx, ly)))
    print(f'rows {len(a)}  cosine {sum(cos) / len(cos):.6f} (min {min(cos):.6f})  top1 {top}/{len(a)}  KL {sum(kl) / len(kl):.3e}')

main()
