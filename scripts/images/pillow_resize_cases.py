#!/usr/bin/env python3
# Writes tests/fixtures/pillow/: a few deterministic RGB source images (noise, a smooth gradient with
# noise, hard edges) and what real Pillow makes of them at ViT grid sizes (multiples of 14 pixels):
# Image.resize(size, BICUBIC) for resize cases and ImageOps.pad(size, BICUBIC, color 127) for pad cases,
# as the official image_processor calls them. SharpSeek.Images.Tests compares BicubicResampler and
# ImagePreprocessor.Pad with these files. Needs Pillow (Debian: python3-pil); run from the repo root:
#   /usr/bin/python3 scripts/images/pillow_resize_cases.py
import json, os, random
import PIL
from PIL import Image, ImageOps

OUT = os.path.join("tests", "fixtures", "pillow")

def noise(w, h, seed):
    r = random.Random(seed)
    return Image.frombytes("RGB", (w, h), bytes(r.randrange(256) for _ in range(w * h * 3)))

def gradient(w, h, seed):
    r = random.Random(seed)
    px = bytearray()
    for y in range(h):
        for x in range(w):
            px += bytes([min(255, (x * 255) // max(1, w - 1) + r.randrange(8)), (y * 255) // max(1, h - 1), ((x + y) * 127) // max(1, w + h - 2)])
    return Image.frombytes("RGB", (w, h), bytes(px))

def edges(w, h, seed):
    px = bytearray()
    for y in range(h):
        for x in range(w):
            on = ((x // 5) + (y // 3)) % 2 == 0
            px += bytes([255 if on else 0, 0 if on else 255, 40 if x < w // 2 else 220])
    return Image.frombytes("RGB", (w, h), bytes(px))

# name, source maker, source size, op, target size
CASES = [
    ("noise_down", noise, (240, 180), "resize", (98, 70)),
    ("gradient_up", gradient, (64, 48), "resize", (546, 406)),
    ("edges_odd", edges, (97, 61), "resize", (70, 42)),
    ("noise_up_x", noise, (45, 80), "resize", (126, 84)),
    ("gradient_pad", gradient, (300, 120), "pad", (308, 182)),
    ("edges_pad_tall", edges, (50, 131), "pad", (154, 266)),
]

def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = {"pillow": PIL.__version__, "cases": []}
    for i, (name, make, size, op, target) in enumerate(CASES):
        src = make(size[0], size[1], 1000 + i)
        out = src.resize(target, Image.BICUBIC) if op == "resize" else ImageOps.pad(src, target, method=Image.BICUBIC, color=(127, 127, 127))
        src.save(os.path.join(OUT, name + ".src.png"))
        out.save(os.path.join(OUT, name + ".pillow.png"))
        manifest["cases"].append({"name": name, "op": op, "width": target[0], "height": target[1]})
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(manifest, f, indent=1)

if __name__ == "__main__":
    main()
