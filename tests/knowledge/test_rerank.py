"""The optional reranker: a local CrossEncoder reorders the fused candidates; a broken one is an error.

The model here is a tiny BERT cross-encoder with random weights built in the test (no reranker ships
offline): its scores mean nothing, so the tests check what the retriever does with them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sentence_transformers import CrossEncoder

from knowledge.embedding import E5Embeddings
from knowledge.rerank import CrossEncoderReranker, RerankerError
from knowledge.retrieve import HybridRetriever
from knowledge.store import KnowledgeBase

TEXTS = [
    "第二十三条 保险人收到被保险人的赔偿请求后，应当及时作出核定；情形复杂的，应当在三十日内作出核定。",
    "第十六条 投保人故意不履行如实告知义务的，保险人有权解除合同。",
    "存款保险实行限额偿付，最高偿付限额为人民币五十万元。",
    "信用卡年费为每年一百元，首年免年费。",
    "犹豫期内退保，保险公司退还全部保险费。",
    "理赔申请需提供保险合同、身份证件和医疗费用发票。",
]


@pytest.fixture(scope="module")
def cross_encoder_dir(tmp_path_factory) -> Path:
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-reranker")
    chars = sorted({ch for text in TEXTS + ["理赔要多久", "保险"] for ch in text})
    (folder / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars]) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), tokenize_chinese_chars=True)
    config = BertConfig(vocab_size=len(chars) + 5, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, num_labels=1)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def kb(tmp_path_factory) -> KnowledgeBase:
    folder = tmp_path_factory.mktemp("kb")
    corpus = folder / "clauses.jsonl"
    corpus.write_text("\n".join(json.dumps({"id": f"c{i}", "title": "条款", "text": t}, ensure_ascii=False)
                                for i, t in enumerate(TEXTS)), encoding="utf-8")
    kb = KnowledgeBase(folder / "kb", embedder=E5Embeddings())
    kb.ingest([corpus])
    return kb


def test_reranked_results_follow_the_cross_encoder_scores(kb, cross_encoder_dir):
    reranker = CrossEncoderReranker(cross_encoder_dir, max_length=128)
    hits = HybridRetriever(kb, reranker=reranker, rerank_depth=6).run("理赔要多久？", top_k=3)
    candidates = [e.chunk.text for e in HybridRetriever(kb).run("理赔要多久？", top_k=6)]
    own = CrossEncoder(str(cross_encoder_dir), device="cpu").predict([("理赔要多久？", t) for t in candidates])
    expected = [t for _, t in sorted(zip(own, candidates, strict=True), key=lambda p: -p[0])][:3]
    assert [h.chunk.text for h in hits] == expected
    assert [h.rank for h in hits] == [1, 2, 3]
    scores = [h.rerank_score for h in hits]
    assert all(s is not None for s in scores) and scores == sorted(scores, reverse=True)


def test_without_a_reranker_no_rerank_score_is_set(kb):
    assert all(h.rerank_score is None for h in HybridRetriever(kb).run("理赔要多久？", top_k=3))


def test_a_configured_reranker_folder_without_a_model_is_an_error_not_a_silent_skip(tmp_path):
    with pytest.raises(RerankerError, match="no config.json"):
        CrossEncoderReranker(tmp_path / "missing")


def test_an_unreadable_reranker_model_fails_loudly_on_first_use(kb, tmp_path):
    (tmp_path / "config.json").write_text("{}")
    reranker = CrossEncoderReranker(tmp_path)
    with pytest.raises(RerankerError, match="does not load"):
        HybridRetriever(kb, reranker=reranker).run("理赔要多久？", top_k=3)
