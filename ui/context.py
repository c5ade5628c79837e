"""Everything the routers and pages share, built once per server: no module-level state."""

from __future__ import annotations

from dataclasses import dataclass

from agent import Answerer
from agent.records.audit import AuditLog, open_audit_log
from knowledge import HybridRetriever, KnowledgeBase
from settings import Settings
from ui.auth import Gatekeeper
from ui.chat_sessions import ChatSessions
from ui.eval_jobs import EvalJobs
from ui.ratelimit import RateLimiter
from ui.users import UserStore, users_url


@dataclass
class AppContext:
    settings: Settings
    answerer: Answerer
    audit: AuditLog
    users: UserStore
    sessions: ChatSessions
    gatekeeper: Gatekeeper
    evals: EvalJobs
    hit_test: HybridRetriever  # the same retriever configuration, without the customer audience filter

    @property
    def kb(self) -> KnowledgeBase:
        return self.answerer.retriever.kb

    @classmethod
    def build(cls, settings: Settings, answerer: Answerer) -> AppContext:
        from agent.answering.answer import build_retriever

        audit = open_audit_log(settings)
        users = UserStore(users_url(settings))
        return cls(
            settings=settings, answerer=answerer, audit=audit, users=users,
            sessions=ChatSessions(answerer, audit, users, settings.max_live_sessions),
            gatekeeper=Gatekeeper(settings, users, RateLimiter(settings.rate_limit_per_minute)),
            evals=EvalJobs(settings),
            hit_test=build_retriever(answerer.retriever.kb, settings),
        )
