"""A readable account name from the address a user typed, for every platform.

A hosted account is known by its subdomain (``acme`` for https://acme.freshdesk.com). An
address on an IP or a loopback name (a sandbox, an emulator, a self-hosted server) has
no such name: its last path segment names the account there (the sandbox serves
``/sandbox/<platform>/<account>/``), else "<Platform> sandbox" — never "127".
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

_LOCAL_NAMES = frozenset({"localhost", "testserver"})
#: Path segments that are part of an API's address, not an account's name.
_API_SEGMENTS = frozenset({"api", "v1", "v2", "auth"})


def _is_numeric_or_local(host: str) -> bool:
    if host in _LOCAL_NAMES or host.endswith(".localhost") or "." not in host:
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def account_name_from_url(
    url: str, *, hosted_domain: str, display_name: str, self_hosted_subdomain: bool = False
) -> str:
    """``self_hosted_subdomain``: a host of three or more labels off the platform's domain
    (Halo's own servers, support.acme.example) is named by its first label too."""
    parts = urlsplit(url if "//" in url else f"https://{url}")
    host = (parts.hostname or "").lower()
    if host.endswith("." + hosted_domain):
        return host.split(".")[0]
    if host and not _is_numeric_or_local(host):
        if self_hosted_subdomain and host.count(".") >= 2:
            return host.split(".")[0]
        segments = _account_segments(parts.path)
        return segments[-1] if segments else host
    segments = _account_segments(parts.path)
    return segments[-1] if segments else f"{display_name} sandbox"


def _account_segments(path: str) -> list[str]:
    return [
        segment
        for segment in path.split("/")
        if segment and segment.lower() not in _API_SEGMENTS and segment != "sandbox"
    ]
