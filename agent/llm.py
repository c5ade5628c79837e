"""The language model behind one interface: ``backend`` and ``stream(system, user)`` of text pieces.

Backends (setting ``llm_backend``):

* ``llamacpp`` (default): LangChain's ``ChatOpenAI`` against llama.cpp's server running in this process
  on loopback (``xllamacpp``) over the packaged GGUF model, started on first use and shared by every
  conversation. The fixed prompt prefix (system prompt + instructions) is byte-identical across
  questions and the server keeps one slot with ``cache_prompt``, so its KV cache is reused;
  :meth:`ChatLLM.warm` fills it at start-up.
* ``openai``: the same client against any OpenAI-compatible URL (``LLM_BASE_URL``: vLLM on a GPU box);
  setting ``LLM_BASE_URL`` with the default backend does the same.
* ``transformers``: a local Hugging Face checkpoint folder (``llm_path``), generated with
  ``transformers`` and streamed through ``TextIteratorStreamer``.
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

    def __init__(self, model_path: Path, threads: int, context: int, parallel: int = 1) -> None:
        self.model_path = model_path
        self.threads = threads
        self.context = context
        self.parallel = max(1, parallel)
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
        # Each of the ``parallel`` slots gets a full ``context``; concurrent customers are decoded in one
        # batch (the weights are read once per step for all of them) instead of queueing.
        params.n_ctx = self.context * self.parallel
        params.n_parallel = self.parallel
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.cache_prompt = True  # reuse the KV cache of the shared prompt prefix between turns
        params.verbosity = -1
        started = time.perf_counter()
        server = xllamacpp.Server(params)
        log.info("llama.cpp server on %s (%.1f s)", server.listening_address, time.perf_counter() - started)
        return server


class ChatLLM:
    """Streams chat completions from the backend the settings name (module docstring)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._embedded: EmbeddedLlamaServer | None = None
        self._client: ChatOpenAI | None = None
        self._local: TransformersLLM | None = None
        self._lock = threading.Lock()
        kind = getattr(settings, "llm_backend", "llamacpp")
        if kind == "openai" and not settings.llm_base_url:
            raise ValueError("llm_backend 'openai' needs a server: set LLM_BASE_URL (e.g. http://gpu-box:8000/v1)")
        if kind == "transformers":
            if settings.llm_path is None:
                raise ValueError("llm_backend 'transformers' needs DE_LLM_PATH: a local Hugging Face checkpoint "
                                 "folder (config.json, weights, tokenizer)")
            self._local = TransformersLLM(Path(settings.llm_path), settings)

    @property
    def backend(self) -> str:
        if self._local is not None:
            return f"transformers ({self._local.path})"
        return self.settings.llm_base_url or f"embedded llama.cpp ({self.settings.llm_model})"

    def server_url(self) -> str:
        """The OpenAI-compatible base URL in use (the embedded llama.cpp server is started if needed)."""
        if self._local is not None:
            raise ValueError("the transformers backend runs in-process and has no server URL")
        return self._base_url()

    def _base_url(self) -> str:
        if self.settings.llm_base_url:
            return self.settings.llm_base_url.rstrip("/")
        if self._embedded is None:
            from modelpacks import prepare

            model_path = prepare(self.settings.llm_model, self.settings.model_cache)
            self._embedded = EmbeddedLlamaServer(model_path, self.settings.llm_threads, self.settings.llm_context,
                                                 self.settings.llm_parallel)
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
        if self._local is not None:
            yield from self._local.stream(system, user)
            return
        messages: list[BaseMessage] = [SystemMessage(system), HumanMessage(user)]
        for chunk in self.client().stream(messages):
            if isinstance(chunk.content, str) and chunk.content:
                yield chunk.content

    def warm(self, system: str, user_prefix: str) -> float:
        """Start the model and fill its prompt cache with the fixed prefix (one token generated), so the
        first customer does not pay for loading and prefill; seconds taken."""
        started = time.perf_counter()
        if self._local is not None:
            self._local.load()
        else:
            messages: list[BaseMessage] = [SystemMessage(system), HumanMessage(user_prefix)]
            self.client().bind(max_tokens=1).invoke(messages)
        return time.perf_counter() - started


class TransformersLLM:
    """A local Hugging Face causal LM (any folder ``AutoModelForCausalLM`` loads, offline), streamed
    piece by piece through ``TextIteratorStreamer`` from a generation thread."""

    def __init__(self, path: Path, settings: Settings) -> None:
        if not (path / "config.json").is_file():
            raise ValueError(f"{path}: not a Hugging Face checkpoint folder (no config.json); set DE_LLM_PATH "
                             "to a folder holding config.json, the weights and the tokenizer")
        self.path = path
        self.settings = settings
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._model is None:
                import torch
                from transformers import AutoModelForCausalLM, AutoTokenizer

                torch.set_num_threads(max(1, self.settings.llm_threads))
                self._tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
                self._model = AutoModelForCausalLM.from_pretrained(self.path, local_files_only=True).eval()
            return self._model, self._tokenizer

    def stream(self, system: str, user: str) -> Iterator[str]:
        import torch
        from transformers import TextIteratorStreamer

        model, tokenizer = self.load()
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        inputs = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True,
                                        timeout=self.settings.llm_timeout_s)
        temperature = self.settings.llm_temperature
        options: dict[str, Any] = {"max_new_tokens": self.settings.llm_max_tokens, "streamer": streamer,
                                   "pad_token_id": tokenizer.pad_token_id or tokenizer.eos_token_id}
        options.update({"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False})
        failure: list[BaseException] = []

        def generate() -> None:
            try:
                with torch.inference_mode():
                    model.generate(**inputs, **options)
            except BaseException as err:  # re-raised in the caller's thread below
                failure.append(err)
                streamer.end()

        worker = threading.Thread(target=generate, daemon=True)
        worker.start()
        for piece in streamer:
            if piece:
                yield piece
        worker.join()
        if failure:
            raise RuntimeError(f"generation with {self.path} failed: {failure[0]}") from failure[0]
