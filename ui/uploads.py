"""Documents uploaded through the web: kept under ``<data_dir>/uploads/<kb>/`` (the knowledge base cites
their path) and ingested as drafts for a reviewer, their metadata guessed from their content; too-large
files are refused before anything is written. Nothing uploaded answers a customer until it is published."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from knowledge import KnowledgeBase
from knowledge.store import IngestReport
from settings import Settings


class FileTooLarge(ValueError):
    pass


class BadUpload(ValueError):
    pass


@dataclass(frozen=True)
class UploadResult:
    path: Path
    report: IngestReport

    @property
    def ok(self) -> bool:
        return not self.report.failed


def uploads_dir(settings: Settings) -> Path:
    return settings.data_dir / "uploads" / settings.kb_name


def _safe_name(filename: str) -> str:
    name = Path(filename.replace("\\", "/")).name.strip()
    if not name or name.startswith("."):
        raise BadUpload(f"file name {filename!r} is not usable: give the file a name like policy.md")
    return name


def save_upload(settings: Settings, filename: str, pieces: Iterable[bytes]) -> Path:
    """Write an upload into the uploads folder; FileTooLarge (nothing kept) past ``max_file_mb``."""
    name = _safe_name(filename)
    folder = uploads_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{name}.partial"
    size = 0
    try:
        with open(partial, "wb") as out:
            for piece in pieces:
                size += len(piece)
                if size > settings.max_file_bytes:
                    raise FileTooLarge(f"{name} is larger than the {settings.max_file_mb} MB limit (DE_MAX_FILE_MB): "
                                       "split the document, or ask the administrator to raise the limit")
                out.write(piece)
        os.replace(partial, folder / name)
    finally:
        partial.unlink(missing_ok=True)
    return folder / name


def ingest_upload(kb: KnowledgeBase, path: Path, existed: bool, actor: str = "",
                  product_names: dict[str, tuple[str, ...]] | None = None) -> UploadResult:
    """Ingest a saved upload as a draft (uploaded by ``actor``); a new file the knowledge base cannot read
    is deleted again."""
    report = kb.ingest([path], draft=True, actor=actor, product_names=product_names)
    if report.failed and not existed:
        path.unlink(missing_ok=True)
    return UploadResult(path, report)


def forget_upload(settings: Settings, source: str) -> None:
    """Delete the uploaded copy of a removed document (documents ingested from elsewhere are left alone)."""
    path = Path(source)
    if path.parent.resolve() == uploads_dir(settings).resolve():
        path.unlink(missing_ok=True)
