"""Encryption at rest of the personal data staff need to act on (a call-back number, a card number).

Everything else the audit log keeps is masked; these few values are sealed with Fernet (AES-128-CBC with
an HMAC, from ``cryptography``) so a stolen database file or backup does not hold them in clear, and they
are opened only for a staff member who asks, each time recorded (:meth:`agent.records.audit.AuditLog.reveal_slot`).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from settings import Settings

KEY_FILE = "pii.key"


class SealingKeyError(ValueError):
    """The configured key is not a Fernet key, or a sealed value was written with another key."""


class Sealer:
    def __init__(self, key: str | bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as err:
            raise SealingKeyError("the personal-data key (DE_PII_KEY) must be 32 url-safe base64-encoded bytes, "
                                  "as `python -c 'from cryptography.fernet import Fernet; "
                                  "print(Fernet.generate_key().decode())'` prints") from err

    @classmethod
    def from_settings(cls, settings: Settings) -> Sealer:
        """The key of ``pii_key`` (env ``DE_PII_KEY``), else of a key file under the data folder, created
        once and readable by its owner only (fine for one box; replicas need the shared setting)."""
        if settings.pii_key:
            return cls(settings.pii_key)
        path = Path(settings.data_dir) / KEY_FILE
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it between the check and the open
                return cls(path.read_bytes().strip())
            with os.fdopen(fd, "wb") as f:
                f.write(Fernet.generate_key())
        return cls(path.read_bytes().strip())

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise SealingKeyError("this value was sealed with another key than the configured DE_PII_KEY") from None
