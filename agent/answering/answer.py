"""One customer question in, one grounded reply out: scope check, retrieval, generation, citations.

The reply either cites the evidence it rests on or is a fixed, polite refusal that offers a human:
the model's own knowledge is never an answer.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from agent.answering.citations import renumber, resolve_citations
from agent.answering.faq import match_faq
from agent.answering.grounding import check_support, strip_markers
from agent.answering.speakable import SpeakableSentences
from agent.llm import ChatLLM
from agent.policy.compliance import disclosures, drop_forbidden_promises, products_of
from agent.policy.guardrails import leaks_prompt, looks_like_injection, strip_instructions
from agent.policy.scope import out_of_scope
from agent.prompting import load_prompt, render
from agent.question import Question
from agent.reply import AnswerEvent, Citation, Delta, Final, Intent, Reply, Speakable, final_of
from agent.tools import CalculationTool, ToolAnswer
from knowledge import Evidence, HybridRetriever, KnowledgeBase, SearchFilters
from knowledge.documents import Audience, Chunk
from knowledge.products import ProductCatalog, load_products
from knowledge.rerank import CrossEncoderReranker
from knowledge.store import IndexSnapshot
from settings import Settings


def search_query(query: str, prompt: dict[str, Any]) -> str:
    """``query`` with the words a clause's heading uses for what the customer asks in other words
    (``retrieval_terms`` in the answer prompt): "What does it not cover?" also searches "exclusions"."""
    extra = [t["add"] for t in prompt.get("retrieval_terms", ())
             if re.search(t["when"], query, re.IGNORECASE) and t["add"].lower() not in query.lower()]
    return " ".join([query, *extra])


def build_retriever(kb: KnowledgeBase, settings: Settings) -> HybridRetriever:
    """The one retriever configuration the app, the CLI hit-test and the evals all share."""
    reranker = CrossEncoderReranker(settings.reranker_path) if settings.reranker_path else None
    return HybridRetriever(kb, settings.candidates, settings.dense_weight, settings.rrf_k, reranker,
                           settings.rerank_depth, settings.paraphrase_dense_weight)


class Answerer:
    def __init__(self, settings: Settings, kb: KnowledgeBase, llm: ChatLLM) -> None:
        self.settings = settings
        self.retriever = build_retriever(kb, settings)
        self.llm = llm
        self.filters = SearchFilters(audience=Audience.CUSTOMER)
        self.catalog: ProductCatalog = load_products(settings.products_path)
        self.tools = CalculationTool(self.catalog)

    def run(self, question: Question | str) -> Reply:
        return final_of(self.stream(question)).reply

    def system_prompt(self, language: str) -> str:
        """The fixed prefix of every answer prompt in ``language``: byte-identical across questions, so
        llama.cpp reuses its KV cache from one question to the next."""
        prompt = load_prompt("answer", language)
        return render(prompt["system"], institution=self.settings.institution, assistant=self.settings.assistant_name)

    def warm(self, language: str = "zh") -> float:
        """Load the models and prefill the fixed prompt prefix before the first customer; seconds taken."""
        started = time.perf_counter()
        self.retriever.kb.embedder.query_vector("warm-up")  # load the query embedder too (~2 s on first use)
        warm = getattr(self.llm, "warm", None)
        if warm is None:
            return time.perf_counter() - started
        user = render(load_prompt("answer", language)["user"], question="", evidence=[])
        warm(self.system_prompt(language), user)
        return time.perf_counter() - started

    def supported(self, evidence: list[Evidence]) -> bool:
        """Whether retrieval found anything close enough to ground an answer on."""
        return bool(evidence) and (evidence[0].dense_score or 0.0) >= self.settings.min_dense_score

    def curated_answer(self, question: str, evidence: list[Evidence], language: str) -> Reply | None:
        """The approved FAQ wording when the question is a close paraphrase of an FAQ question."""
        snap = self.retriever.kb.snapshot()

        def section_chunks(item: Evidence) -> list[Chunk]:
            return [c for c in snap.chunks
                    if c.document_id == item.chunk.document_id and c.section_path == item.chunk.section_path]

        match = match_faq(question, evidence, self.retriever.kb.embedder.query_vector,
                          self.settings.faq_threshold, language, section_chunks)
        if match is None:
            return None
        item = match.evidence
        citation = Citation(n=1, chunk_id=item.chunk.id, document_id=item.document.id,
                            document_title=item.document.title, section=item.chunk.section(), quote=match.answer)
        return Reply(text=f"{match.answer}[1]", citations=(citation,), refused=False, intent=Intent.QUESTION,
                     language=language, answered_by="faq")

    def stream(self, asked: Question | str) -> Iterator[AnswerEvent]:
        """Answer a question (a bare string: one asked on its own); a follow-up is retrieved and read
        together with the question it continues. A generated answer also yields each sentence as a
        :class:`Speakable` once it passes the checks, so a voice can start before the answer ends."""
        started = time.perf_counter()
        asked = asked if isinstance(asked, Question) else Question.of(asked)
        question, language = asked.text, asked.language
        prompt = load_prompt("answer", language)
        timings: dict[str, float] = {}

        def refuse(reason: str, text: str, intent: Intent = Intent.QUESTION) -> Final:
            timings["total"] = time.perf_counter() - started
            return Final(Reply(text=text, citations=(), refused=True, intent=intent, language=language,
                               handoff=False, timings=dict(timings), refusal_reason=reason, answered_by="refusal"))

        if not question:
            yield refuse("empty", prompt["refusal"])
            return
        verdict = out_of_scope(question, language)
        if verdict is not None:
            yield refuse(f"out_of_scope:{verdict.topic}", render(prompt["out_of_scope"], reason=verdict.reason),
                         Intent.OUT_OF_SCOPE)
            return

        if looks_like_injection(question):
            yield refuse("prompt_injection", prompt["injection"], Intent.OUT_OF_SCOPE)
            return
        timings["guard"] = time.perf_counter() - started

        t_tool = time.perf_counter()
        snapshot = self.retriever.kb.snapshot()
        # The earlier question a follow-up continues gives the arguments it does not restate.
        tool = self.tools.answer(question, language, snapshot, context=asked.previous)
        if tool is not None:
            timings["tool"] = time.perf_counter() - t_tool
            reply = self._tool_reply(tool, language, snapshot)
            timings["total"] = time.perf_counter() - started
            yield Delta(reply.text)
            yield Final(replace(reply, timings=dict(timings)))
            return

        t0 = time.perf_counter()
        evidence = self.retriever.run(search_query(asked.standalone, prompt), self.settings.answer_evidence,
                                      self.filters)
        timings["retrieve"] = time.perf_counter() - t0
        if not self.supported(evidence):
            yield refuse("no_evidence", prompt["refusal"])
            return

        faq = self.curated_answer(question, evidence, language)
        if faq is not None:
            timings["total"] = time.perf_counter() - started
            yield Delta(faq.text)
            yield Final(replace(faq, timings=dict(timings)))
            return

        system = self.system_prompt(language)
        user = render(prompt["user"], question=asked.standalone, evidence=[
            {"n": i, "title": e.document.title, "section": e.chunk.section(),
             "text": strip_instructions(e.chunk.text)[0]}
            for i, e in enumerate(evidence, 1)
        ])
        marker = prompt["no_answer_marker"]
        evidence_texts = [f"{e.citation_label()}\n{e.chunk.text}" for e in evidence]
        speakable = SpeakableSentences(evidence_texts, system)

        def say(sentences: list[str]) -> Iterator[Speakable]:
            if sentences and "first_sentence" not in timings:
                timings["first_sentence"] = time.perf_counter() - started
            yield from (Speakable(s) for s in sentences)

        t1 = time.perf_counter()
        text, holding = "", True
        for piece in self.llm.stream(system, user):
            if "first_token" not in timings:
                timings["first_token"] = time.perf_counter() - t1
            text += piece
            if holding:  # hold output back while it could still be the no-answer marker
                head = text.strip()
                if marker.startswith(head) or head.startswith(marker):
                    continue
                holding, piece = False, text
            yield Delta(piece)
            if marker not in text:
                yield from say(speakable.push(text))
        timings["generate"] = time.perf_counter() - t1

        if marker in text:
            yield refuse("model_found_no_answer", prompt["refusal"])
            return
        yield from say(speakable.finish(text))
        t2 = time.perf_counter()
        cleaned, _ = resolve_citations(text, evidence)
        checked = check_support(cleaned, evidence_texts)
        compliant, _ = drop_forbidden_promises(checked.text, evidence_texts)
        cleaned, citations = renumber(*resolve_citations(compliant, evidence))
        timings["support"] = time.perf_counter() - t2
        if not citations:
            yield refuse("unsupported", prompt["refusal"])
            return
        if leaks_prompt(cleaned, system):
            yield refuse("system_prompt_leak", prompt["injection"], Intent.OUT_OF_SCOPE)
            return
        notes = disclosures(products_of(citations, snapshot), self.catalog, language, snapshot,
                            first=len(citations) + 1, already_cited=[c.chunk_id for c in citations])
        for note in notes:
            cleaned, citations = f"{cleaned}\n{note.text}", citations + note.citations
            yield Delta(f"\n{note.text}")
            if not speakable.stopped:
                yield from say([strip_markers(note.text).strip()])
        timings["total"] = time.perf_counter() - started
        yield Final(Reply(text=cleaned, citations=citations, refused=False, intent=Intent.QUESTION,
                          language=language, timings=timings, disclosures=tuple(n.text for n in notes)))

    def _tool_reply(self, tool: ToolAnswer, language: str, snapshot: IndexSnapshot) -> Reply:
        """A calculator's answer with the disclosures its product requires; a question for a missing
        argument as it is."""
        text, citations, notes = tool.text, tool.citations, []
        if tool.missing is None:
            notes = disclosures(tool.products, self.catalog, language, snapshot, first=len(citations) + 1,
                                already_cited=[c.chunk_id for c in citations])
            for note in notes:
                text, citations = f"{text}\n{note.text}", citations + note.citations
        return Reply(text=text, citations=citations, refused=False, intent=Intent.QUESTION, language=language,
                     answered_by="tool", disclosures=tuple(n.text for n in notes))
