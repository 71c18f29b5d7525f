"""Account addresses typed into a connect form, checked and written one way.

What is refused here is what the HTTP layer could not call, or could call somewhere
other than the user meant: a host name longer than DNS allows, a port out of range, an
IPv6 address outside brackets, or an IPv4 address in a form that names a different
address than it seems to (``010.0.0.1`` is 8.0.0.1 to the resolver, not 10.0.0.1).
Whether the address may be called at all is the SSRF guard's decision
(:mod:`connectors.http`), made when it is called.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


def _(message: str) -> str:
    """Marks a sentence for translation; the wizard translates it on display."""
    return message


#: Shown with the host in place of ``%(host)s`` (the wizard knows the template).
AMBIGUOUS_IP_ADDRESS = _(
    "%(host)s is ambiguous: write the IP address as four numbers from 0 to 255 without "
    "leading zeros, such as 10.0.0.1."
)
HOST_NAME_TOO_LONG = _(
    "This address is too long to be a host name: each part between dots has at most 63 "
    "characters, the whole name at most 253."
)
PORT_OUT_OF_RANGE = _("Enter a port number between 1 and 65535 in the address.")
IPV6_IN_BRACKETS = _("Enter an IPv6 address between brackets, such as https://[2001:db8::5].")

#: RFC 1035's limits of a DNS name: 63 octets a label, 253 in all (written form).
_MAX_LABEL_CHARS = 63
_MAX_NAME_CHARS = 253
_HOST_NAME = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*")
_ACCOUNT_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")


@dataclass(frozen=True)
class AccountAddress:
    scheme: str
    #: The host as a URL writes it: an IPv6 address in brackets, in its short form.
    host: str
    port: int | None
    path: str

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}" + (f":{self.port}" if self.port else "")


def _is_ambiguous_ipv4(host: str) -> bool:
    """Whether the host is an IPv4 address in any form other than four plain decimals.

    The resolver (``inet_aton``) reads ``010.0.0.1`` as octal, ``0x7f.1`` and
    ``2130706433`` as 127.0.0.1; some clients refuse such forms, others read them in
    decimal. Either way the address called is not the one the user sees.
    """
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        pass
    else:
        return False
    if re.fullmatch(r"[0-9.]+", host):
        return True
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


def _checked_host(netloc: str, hostname: str) -> str | None:
    """The host as a URL writes it, None when it is no host name at all."""
    if "[" in netloc:
        try:
            address = ipaddress.IPv6Address(hostname)
        except ValueError:
            raise ValueError(IPV6_IN_BRACKETS) from None
        if address.scope_id:
            # A zone (%eth0) names an interface of this machine, never a help desk.
            raise ValueError(IPV6_IN_BRACKETS)
        return f"[{address.compressed}]"
    if ":" in hostname:
        raise ValueError(IPV6_IN_BRACKETS)
    if not _HOST_NAME.fullmatch(hostname):
        return None
    if len(hostname) > _MAX_NAME_CHARS or any(
        len(label) > _MAX_LABEL_CHARS for label in hostname.split(".")
    ):
        raise ValueError(HOST_NAME_TOO_LONG)
    if _is_ambiguous_ipv4(hostname):
        raise ValueError(AMBIGUOUS_IP_ADDRESS % {"host": hostname})
    return hostname


def account_address(value: str, *, hosted_domain: str, example: str) -> AccountAddress:
    """The parts of an address typed for an account: "acme" stands for
    ``https://acme.<hosted_domain>``, a name without a scheme gets https.

    Raises ``ValueError`` with a sentence for the user; ``example`` completes "enter an
    address such as …" when the text is no web address at all.
    """
    text = value.strip().rstrip("/")
    if not text:
        raise ValueError("enter the address of your account")
    if "://" not in text:
        if _ACCOUNT_SLUG.fullmatch(text):
            text = f"{text}.{hosted_domain}"
        text = f"https://{text}"
    not_an_address = ValueError(f"enter an address such as {example}")
    try:
        parts = urlsplit(text)
    except ValueError:
        # Unbalanced brackets ("https://[::1/").
        raise not_an_address from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise not_an_address
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("enter the address of your account without user, query or fragment")
    host = _checked_host(parts.netloc, parts.hostname)
    if host is None:
        raise not_an_address
    try:
        port = parts.port
    except ValueError:
        raise ValueError(PORT_OUT_OF_RANGE) from None
    if port == 0:
        raise ValueError(PORT_OUT_OF_RANGE)
    return AccountAddress(scheme=parts.scheme, host=host, port=port, path=parts.path)


_SANDBOX_ACCOUNT_PATH = re.compile(r"/sandbox/[a-z][a-z0-9_]*/[A-Za-z0-9_-]+(?=/|$)")


def normalise_account_url(value: str, *, hosted_domain: str) -> str:
    """``https://acme.<hosted_domain>`` from "acme", "acme.<hosted_domain>" or a full URL.

    Full URLs keep their scheme, host and port (custom domains, local emulators, an
    IPv6 address in brackets); the HTTP layer's SSRF guard decides whether the address
    may be called. Other paths are dropped (a pasted ticket link gives the account),
    except a sandbox account's ``/sandbox/<platform>/<account>``
    (:meth:`connectors.sandbox.SandboxPlatform.base_url`).
    """
    address = account_address(
        value, hosted_domain=hosted_domain, example=f"https://yourcompany.{hosted_domain}"
    )
    sandbox = _SANDBOX_ACCOUNT_PATH.match(address.path)
    return address.origin + (sandbox.group(0) if sandbox else "")
