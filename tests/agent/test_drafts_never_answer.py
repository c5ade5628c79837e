"""The customer answer path never answers from a draft: an uploaded document waits for a reviewer, and only
once published can it ground an answer. Real knowledge base on disk, real FAISS; the model is scripted
(a draft must be refused before the model is asked)."""

from __future__ import annotations

from collections.abc import Iterator

from agent import Answerer
from knowledge import KnowledgeBase
from knowledge.embedding import make_embedder

POLICY_LOAN = """\
海湾安康终身寿险条款

第十八条 保单借款
在本合同有效期内，经我们审核同意后，您可以申请保单借款。借款金额最高不超过本合同保单价值准备金的百分之八十。
"""


class ScriptedLLM:
    backend = "scripted"

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls = 0

    def stream(self, system: str, user: str) -> Iterator[str]:
        self.calls += 1
        yield self.text


def test_a_draft_is_refused_to_customers_and_answers_once_published(settings, tmp_path):
    (tmp_path / "up").mkdir()
    path = tmp_path / "up" / "upload.txt"
    path.write_text(POLICY_LOAN, encoding="utf-8")
    kb = KnowledgeBase(tmp_path / "kb", embedder=make_embedder(settings.embedder, settings.model_cache))
    kb.ingest([path], draft=True, actor="ada")
    llm = ScriptedLLM("保单借款金额最高不超过保单价值准备金的百分之八十。[1]")
    answerer = Answerer(settings, kb, llm)  # type: ignore[arg-type]

    refused = answerer.run("保单借款最多可以借多少？")
    assert refused.refused and refused.refusal_reason == "no_evidence" and llm.calls == 0

    (draft,) = kb.drafts()
    kb.publish(draft.id, actor="rita")
    answered = answerer.run("保单借款最多可以借多少？")
    assert not answered.refused, answered
    assert answered.citations[0].document_id == draft.id and "百分之八十" in answered.citations[0].quote
