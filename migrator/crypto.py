"""Encryption at rest of the credentials users give for their help desks.

The first key of ``CREDENTIALS_ENCRYPTION_KEYS`` encrypts; every key decrypts, so an
operator rotates by putting a new key first and re-encrypting with ``rotate_token``.
"""

from __future__ import annotations

import json
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class CredentialsUnreadable(Exception):
    """Stored credentials cannot be decrypted with any configured key."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _current_fernet() -> MultiFernet:
    return _fernet(tuple(settings.CREDENTIALS_ENCRYPTION_KEYS))


def encrypt_credentials(*, credentials: dict) -> str:
    return _current_fernet().encrypt(json.dumps(credentials).encode()).decode()


def decrypt_credentials(*, token: str) -> dict:
    try:
        return json.loads(_current_fernet().decrypt(token.encode()))
    except InvalidToken:
        raise CredentialsUnreadable(
            "The stored credentials cannot be decrypted with the configured "
            "CREDENTIALS_ENCRYPTION_KEYS; reconnect the help desk or restore the old key."
        ) from None


def rotate_token(*, token: str) -> str:
    """Re-encrypt a token with the newest key."""
    return _current_fernet().rotate(token.encode()).decode()


def generate_key() -> str:
    return Fernet.generate_key().decode()
