"""The one path to a language model: LangChain's ``ChatOpenAI`` against an OpenAI-compatible endpoint.

By default that endpoint is llama.cpp's server running in this process on loopback (``xllamacpp``)
over the packaged GGUF model, started on first use and shared by every conversation. Setting
``LLM_BASE_URL`` points the same code at vLLM or any OpenAI-compatible server on a GPU box.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from settings import Settings

log = logging.getLogger(__name__)


class EmbeddedLlamaServer:
    """llama.cpp's OpenAI-compatible server, in-process, bound to 127.0.0.1 on a free port."""

    def __init__(self, model_path: Path, threads: int, context: int) -> None:
        self.model_path = model_path
        self.threads = threads
        self.context = context
        self._server: Any = None
        self._lock = threading.Lock()

    def base_url(self) -> str:
        with self._lock:
            if self._server is None:
                self._server = self._start()
            return str(self._server.listening_address) + "/v1"

    def _start(self) -> Any:
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = str(self.model_path)
        params.n_ctx = self.context
        params.n_parallel = 1  # one slot: on 2 cores parallel decoding only splits the same bandwidth
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.cache_prompt = True  # reuse the KV cache of the shared prompt prefix between turns
        params.verbosity = -1
        started = time.perf_counter()
        server = xllamacpp.Server(params)
        log.info("llama.cpp server on %s (%.1f s)", server.listening_address, time.perf_counter() - started)
        return server


class ChatLLM:
    """Streams chat completions from whichever OpenAI-compatible endpoint the settings name."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._embedded: EmbeddedLlamaServer | None = None
        self._client: ChatOpenAI | None = None
        self._lock = threading.Lock()

    @property
    def backend(self) -> str:
        return self.settings.llm_base_url or f"embedded llama.cpp ({self.settings.llm_model})"

    def _base_url(self) -> str:
        if self.settings.llm_base_url:
            return self.settings.llm_base_url.rstrip("/")
        if self._embedded is None:
            from modelpacks import prepare

            model_path = prepare(self.settings.llm_model, self.settings.model_cache)
            self._embedded = EmbeddedLlamaServer(model_path, self.settings.llm_threads, self.settings.llm_context)
        return self._embedded.base_url()

    def client(self) -> ChatOpenAI:
        with self._lock:
            if self._client is None:
                s = self.settings
                self._client = ChatOpenAI(
                    base_url=self._base_url(),
                    api_key=s.llm_api_key,  # type: ignore[arg-type]
                    model=s.llm_served_model,
                    temperature=s.llm_temperature,
                    max_tokens=s.llm_max_tokens,  # type: ignore[call-arg]
                    timeout=s.llm_timeout_s,
                    max_retries=1,
                )
            return self._client

    def stream(self, system: str, user: str) -> Iterator[str]:
        messages: list[BaseMessage] = [SystemMessage(system), HumanMessage(user)]
        for chunk in self.client().stream(messages):
            if isinstance(chunk.content, str) and chunk.content:
                yield chunk.content
