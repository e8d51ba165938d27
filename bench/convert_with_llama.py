#!/usr/bin/env python3
"""Run llama.cpp's own HF -> GGUF converter (convert_hf_to_gguf.py) on a SharpSeek / official-layout
DeepSeek V4 checkpoint, on this machine's Debian PyTorch 1.13.

llama.cpp's files are NOT in this repository: they are read from a copy outside it (--llama-py,
default /work/llama-py; bench/README.md says which commit and how to rebuild that copy). Nothing here
changes them. This script is the compatibility shim the converter needs here, applied at run time:

1. torch 1.13 has no float8 dtypes. The converter names torch.float8_e4m3fn / float8_e5m2 at import
   and detects FP8 weights by that dtype. The shim aliases both names to torch.float64 (a dtype no V4
   checkpoint holds) and presents every F8_E4M3 safetensors tensor as F64 holding its exact decoded
   values. The converter then takes exactly the path it takes on torch >= 2.1: weight.float() is the
   exact E4M3 value, times the UE8M0 block scale. F8_E8M0 scales are kept as raw bytes, which the
   converter itself supports on older torch builds.
2. transformers is not installed. AutoConfig.from_pretrained raises, so the converter falls back to
   reading config.json, as it does for any config transformers cannot parse. AutoTokenizer is a small
   reader of tokenizer.json: the vocabulary, the added tokens, byte-level decode, and encode, which
   calls SharpSeek's own tokenizer (`sharpseek tokenize`). The converter encodes its pre-tokenizer
   check text with it and hashes the ids; that hash must match its deepseek-v3 entry.
3. A checkpoint whose vocab_size is smaller than the V4 tokenizer (the golden v4-tiny has 1,024 ids)
   gets the V4 tokenizer cut to its first vocab_size ids (and the merges among them). The
   pre-tokenizer check of a cut vocabulary cannot hash like the full one, so --pre-tokenizer-from runs
   the converter's own check on the full tokenizer and passes its answer on (same pre-tokenizer).

The checkpoint is staged in a temporary folder (symlinks to config.json and the safetensors, the
tokenizer files beside them), because the converter reads the tokenizer from the model folder.

  python3 bench/convert_with_llama.py --model /tmp/v4-medium --out /tmp/v4-medium-llama.gguf
  python3 bench/convert_with_llama.py --model tests/fixtures/v4-tiny --out /tmp/tiny-llama.gguf
  python3 bench/convert_with_llama.py --model tests/fixtures/v4-tiny --out /tmp/tiny-mtp.gguf -- --mtp

(`python3` is Debian's /usr/bin/python3, the one python3-torch installs into.)

Arguments after `--` go to convert_hf_to_gguf.py unchanged (e.g. --outtype, --mtp, --no-mtp). The
converter's --no-lazy is always added: its lazy mode fails on torch 1.13 (repeat_interleave on a meta
tensor without output_size), and its eager mode is its own documented fallback.
Needs: apt-get install -y python3-torch python3-numpy python3-yaml python3-sentencepiece.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import types
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_TOKENIZER = REPO / "tests" / "fixtures" / "tokenizer"
DEFAULT_SHARPSEEK = REPO / "src" / "SharpSeek.Cli" / "bin" / "Release" / "net10.0" / "sharpseek.dll"


def fail(message: str) -> None:
    print(f"convert_with_llama: {message}", file=sys.stderr)
    sys.exit(2)


# ---- 1. FP8 on torch 1.13 ------------------------------------------------------------------------

def e4m3_table():
    """The 256 E4M3 (fn) byte values as float64: 1-4-3 bits, bias 7, no infinities, 0x7F/0xFF NaN."""
    import numpy as np
    table = np.zeros(256, dtype=np.float64)
    for b in range(256):
        sign = -1.0 if b & 0x80 else 1.0
        e, m = (b >> 3) & 0xF, b & 0x7
        if e == 0xF and m == 0x7:
            table[b] = np.nan
        elif e == 0:
            table[b] = sign * m / 8.0 * 2.0 ** -6
        else:
            table[b] = sign * (1.0 + m / 8.0) * 2.0 ** (e - 7)
    return table


def install_torch_shim() -> None:
    import numpy as np
    import torch
    for name in ("float8_e4m3fn", "float8_e5m2"):
        if hasattr(torch, name):
            return  # a torch that has float8 needs no shim
    torch.float8_e4m3fn = torch.float64
    torch.float8_e5m2 = torch.float64

    import gguf.utility as utility
    table = e4m3_table()

    class DecodedE4M3(utility.LocalTensor):
        def mmap_bytes(self):
            raw = np.memmap(self.data_range.filename, mode="r", offset=self.data_range.offset, shape=self.data_range.size)
            return table[raw].view(np.uint8)

    original_init = utility.SafetensorsLocal.__init__

    def init(self, filename):
        original_init(self, filename)
        for name, t in list(self.tensors.items()):
            if t.dtype == "F8_E4M3":
                self.tensors[name] = DecodedE4M3(dtype="F64", shape=t.shape, data_range=t.data_range)
            elif t.dtype == "F8_E5M2":
                raise NotImplementedError(f"{filename}: {name} is F8_E5M2, which this shim does not decode")

    utility.SafetensorsLocal.__init__ = init


def restore_dtype_maps() -> None:
    """The float64 alias overwrote float64's entry in the converter's byte-swap map: put it back."""
    import numpy as np
    import torch
    from conversion.base import LazyTorchTensor
    LazyTorchTensor._dtype_byteswap_map[torch.float64] = np.float64


# ---- 2. transformers -----------------------------------------------------------------------------

def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte-level alphabet (byte -> printable character)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


class AddedToken:
    def __init__(self, entry: dict):
        self.content = entry["content"]
        self.special = bool(entry.get("special", False))
        self.normalized = bool(entry.get("normalized", False))
        self.lstrip = bool(entry.get("lstrip", False))
        self.rstrip = bool(entry.get("rstrip", False))
        self.single_word = bool(entry.get("single_word", False))

    def __str__(self):
        return self.content


class JsonTokenizer:
    """What the converter reads of transformers' AutoTokenizer, from tokenizer.json."""

    def __init__(self, folder: Path, sharpseek: list[str]):
        self.path = folder / "tokenizer.json"
        with open(self.path, encoding="utf-8") as f:
            doc = json.load(f)
        if doc["model"]["type"] != "BPE":
            raise ValueError(f"{self.path}: model type {doc['model']['type']!r} is not BPE")
        self.sharpseek = sharpseek
        self.added_tokens_decoder = {e["id"]: AddedToken(e) for e in doc.get("added_tokens", [])}
        self._added = {t.content: i for i, t in self.added_tokens_decoder.items()}
        self.vocab = dict(doc["model"]["vocab"])
        self.vocab.update(self._added)
        self._by_id = {i: t for t, i in self.vocab.items()}
        self._unbyte = {c: b for b, c in bytes_to_unicode().items()}

    @classmethod
    def from_pretrained(cls, folder, **_):
        return cls(Path(folder), SHARPSEEK_COMMAND)

    def get_vocab(self):
        return dict(self.vocab)

    def get_added_vocab(self):
        return dict(self._added)

    def encode(self, text: str, add_special_tokens: bool = True):
        # tokenizer.json's post-processor is ByteLevel (no BOS/EOS), so add_special_tokens adds nothing.
        if text in self._added:
            return [self._added[text]]  # an added token alone encodes to its id
        out = subprocess.run(self.sharpseek + ["tokenize", "--tokenizer", str(self.path)], input=text.encode("utf-8"),
                             capture_output=True, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"sharpseek tokenize failed: {out.stderr.decode(errors='replace')}")
        return json.loads(out.stdout)

    def decode(self, ids, **_):
        parts: list[str] = []
        pending = bytearray()
        for i in ids:
            token = self._by_id[i]
            if i in self.added_tokens_decoder:
                parts.append(pending.decode("utf-8", errors="replace"))
                pending = bytearray()
                parts.append(token)
            else:
                pending.extend(self._unbyte[c] for c in token)
        parts.append(pending.decode("utf-8", errors="replace"))
        return "".join(parts)


def install_transformers_shim() -> None:
    module = types.ModuleType("transformers")

    class AutoConfig:
        @staticmethod
        def from_pretrained(*_, **__):
            raise OSError("transformers is not installed (SharpSeek shim): read config.json")

    module.AutoConfig = AutoConfig
    module.AutoTokenizer = JsonTokenizer
    sys.modules["transformers"] = module


SHARPSEEK_COMMAND: list[str] = []


# ---- 3. a cut vocabulary -------------------------------------------------------------------------

def cut_tokenizer(src: Path, dst: Path, vocab_size: int) -> None:
    """tokenizer.json keeping ids < vocab_size and the merges whose parts and result survive."""
    with open(src, encoding="utf-8") as f:
        doc = json.load(f)
    vocab = {t: i for t, i in doc["model"]["vocab"].items() if i < vocab_size}
    merges = []
    for m in doc["model"]["merges"]:
        a, b = m.split(" ", 1) if isinstance(m, str) else m
        if a in vocab and b in vocab and a + b in vocab:
            merges.append(m)
    doc["model"]["vocab"] = vocab
    doc["model"]["merges"] = merges
    doc["added_tokens"] = [e for e in doc.get("added_tokens", []) if e["id"] < vocab_size]
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)


def install_pre_tokenizer_from(full_folder: Path) -> None:
    from conversion.base import TextModel
    original = TextModel.get_vocab_base_pre

    def get_vocab_base_pre(self, tokenizer):
        answer = original(self, JsonTokenizer(full_folder, SHARPSEEK_COMMAND))
        print(f"convert_with_llama: pre-tokenizer from the full tokenizer ({full_folder}): {answer}", file=sys.stderr)
        return answer

    TextModel.get_vocab_base_pre = get_vocab_base_pre


# ---- the run -------------------------------------------------------------------------------------

def stage(model: Path, tokenizer_folder: Path, work: Path) -> bool:
    """Links the checkpoint into work/ with the tokenizer files; returns whether the vocabulary was cut."""
    with open(model / "config.json", encoding="utf-8") as f:
        config = json.load(f)
    vocab_size = config.get("vocab_size")
    if not isinstance(vocab_size, int) or vocab_size <= 0:
        fail(f"{model / 'config.json'}: vocab_size must be a positive integer")
    shards = sorted(p for p in model.iterdir() if p.name.endswith(".safetensors") or p.name == "model.safetensors.index.json")
    if not any(p.name.endswith(".safetensors") for p in shards):
        fail(f"{model}: no .safetensors files")
    for p in [model / "config.json", *shards]:
        (work / p.name).symlink_to(p.resolve())
    tok_json = tokenizer_folder / "tokenizer.json"
    if not tok_json.is_file():
        fail(f"{tok_json}: not found")
    with open(tok_json, encoding="utf-8") as f:
        n_ids = 1 + max(max(json.load(f)["model"]["vocab"].values()), 0)
    cut = vocab_size < n_ids
    if cut:
        cut_tokenizer(tok_json, work / "tokenizer.json", vocab_size)
    else:
        (work / "tokenizer.json").symlink_to(tok_json.resolve())
    if (tokenizer_folder / "tokenizer_config.json").is_file():
        (work / "tokenizer_config.json").symlink_to((tokenizer_folder / "tokenizer_config.json").resolve())
    return cut


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, type=Path, help="official-layout V4 checkpoint folder (config.json + safetensors)")
    ap.add_argument("--out", required=True, type=Path, help="GGUF file to write")
    ap.add_argument("--llama-py", type=Path, default=Path("/work/llama-py"), help="folder with convert_hf_to_gguf.py, conversion/, gguf-py/")
    ap.add_argument("--tokenizer", type=Path, default=DEFAULT_TOKENIZER, help="folder with the V4 tokenizer.json (+ tokenizer_config.json)")
    ap.add_argument("--sharpseek", default=os.environ.get("SHARPSEEK_DLL", str(DEFAULT_SHARPSEEK)), help="sharpseek.dll (for tokenize)")
    ap.add_argument("rest", nargs=argparse.REMAINDER, help="-- then arguments for convert_hf_to_gguf.py")
    args = ap.parse_args()
    rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest

    script = args.llama_py / "convert_hf_to_gguf.py"
    if not script.is_file():
        fail(f"{script}: not found (bench/README.md: 'llama.cpp's converter' says how to lay out that folder)")
    if not (args.model / "config.json").is_file():
        fail(f"{args.model}: no config.json")
    if not Path(args.sharpseek).is_file():
        fail(f"{args.sharpseek}: not found; build it with `dotnet build src/SharpSeek.Cli -c Release`")
    SHARPSEEK_COMMAND[:] = ["dotnet", args.sharpseek]

    sys.path.insert(0, str(args.llama_py))
    sys.path.insert(1, str(args.llama_py / "gguf-py"))
    install_transformers_shim()
    install_torch_shim()

    with tempfile.TemporaryDirectory(prefix="llama-convert-") as tmp:
        work = Path(tmp) / args.model.resolve().name
        work.mkdir()
        cut = stage(args.model.resolve(), args.tokenizer, work)
        import runpy
        if "--no-lazy" not in rest:
            rest.append("--no-lazy")  # lazy mode needs torch >= 2: meta repeat_interleave without output_size fails on 1.13
        sys.argv = [str(script), str(work), "--outfile", str(args.out.resolve()), *rest]
        # Import the converter's package first so the patches below reach the classes it uses.
        import conversion  # noqa: F401  (llama.cpp's conversion/ package, from --llama-py)
        restore_dtype_maps()
        if cut:
            install_pre_tokenizer_from(args.tokenizer.resolve())
        runpy.run_path(str(script), run_name="__main__")


if __name__ == "__main__":
    main()
