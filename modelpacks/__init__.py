"""Models that ship inside PyPI packages, assembled into a local cache and verified.

Nothing here downloads: a model is either installed as packages or reported missing by name.
"""

from modelpacks.assemble import (
    MissingModelPackage,
    ModelChecksumError,
    PackStatus,
    check,
    get_pack,
    prepare,
)
from modelpacks.catalog import CATALOG, DEFAULT_PACKS, ModelPack

__all__ = [
    "CATALOG",
    "DEFAULT_PACKS",
    "MissingModelPackage",
    "ModelChecksumError",
    "ModelPack",
    "PackStatus",
    "check",
    "get_pack",
    "prepare",
]
