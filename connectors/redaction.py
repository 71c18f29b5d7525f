"""Credentials kept out of logs and error details: every secret an account's headers or
authentication carry is replaced by ``[redacted]``."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping

import httpx

_SENSITIVE_HEADER = re.compile(r"auth|token|key|secret|passw|cookie|session", re.IGNORECASE)
_MIN_SECRET_CHARS = 4


def _secret_parts(value: str) -> list[str]:
    """A header value and the secrets inside it (Basic credentials decoded)."""
    parts = [value]
    scheme, _, credentials = value.partition(" ")
    if credentials:
        parts.append(credentials)
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            if decoded:
                parts.append(decoded)
                parts.append(decoded.partition(":")[2])
    return parts


def collect_secrets(*, headers: Mapping[str, str], auth: httpx.Auth | None) -> list[str]:
    found: list[str] = []
    for name, value in headers.items():
        if _SENSITIVE_HEADER.search(name):
            found.extend(_secret_parts(value))
    if auth is not None:
        # Run the first step of the auth flow on a throwaway request to learn what it
        # would send (works for Basic and token schemes; Digest sends nothing first).
        probe = httpx.Request("GET", "https://probe.invalid/")
        try:
            authed = next(auth.sync_auth_flow(probe))
        except Exception:  # an auth that cannot run offline has nothing to show
            authed = probe
        for name, value in authed.headers.items():
            if _SENSITIVE_HEADER.search(name):
                found.extend(_secret_parts(value))
        for attribute in ("password", "token", "api_key"):
            value = getattr(auth, attribute, None)
            if isinstance(value, str):
                found.append(value)
    return found


class Redactor:
    def __init__(self, secrets: list[str]) -> None:
        # Longest first so a secret containing another is replaced whole.
        self._secrets = sorted(
            {secret for secret in secrets if len(secret) >= _MIN_SECRET_CHARS},
            key=len,
            reverse=True,
        )

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text
