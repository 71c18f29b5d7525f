"""The SSRF guard of the HTTP layer: only public addresses (unless an operator allows
private networks), checked on every redirect hop and again when a connection opens, and the
account's credentials kept from hops that leave the account's origin."""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
from typing import Any

import httpcore
import httpx

from connectors.errors import BlockedAddressError

_ALLOW_PRIVATE_HINT = "an operator can allow private networks in the settings"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries, for forms that reach it."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    # NAT64 gateways and the deprecated IPv4-compatible form (::a.b.c.d) both route
    # to the IPv4 address in the last 32 bits.
    if address in _NAT64_PREFIX or address.packed[:12] == bytes(12):
        return ipaddress.IPv4Address(address.packed[12:])
    return None


def _is_forbidden_address(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and _is_forbidden_address(embedded):
            return True
    elif address in _SHARED_ADDRESS_SPACE:
        return True
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_unspecified
        or address.is_reserved
        or address.is_multicast
        or not address.is_global
    )


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally, including the shorthand IPv4 forms.

    ``inet_aton`` accepts what ``getaddrinfo`` and browsers accept as well:
    ``127.1``, ``0x7f000001``, ``2130706433``.
    """
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _blocked_message(host: str, address: IPAddress) -> str:
    try:
        named_literally = ipaddress.ip_address(host) == address
    except ValueError:
        named_literally = False
    shown = host if named_literally else f"{host} ({address})"
    return (
        f"refusing to connect to {shown}: it is a private or local address; {_ALLOW_PRIVATE_HINT}"
    )


def resolve_public_addresses(*, host: str, port: int) -> list[str]:
    """Resolve ``host`` and return its addresses, refusing private and local ones.

    Raises :class:`BlockedAddressError` when any address is loopback, private,
    link-local, unspecified, reserved, multicast, shared (100.64/10) or an IPv6 form
    of such an IPv4 address; ``socket.gaierror`` when the name does not resolve.
    """
    literal = literal_address(host)
    if literal is not None:
        if _is_forbidden_address(literal):
            raise BlockedAddressError(_blocked_message(host, literal))
        return [str(literal)]
    addresses: list[str] = []
    for _family, _type, _proto, _canonname, sockaddr in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    ):
        address = ipaddress.ip_address(sockaddr[0])
        if _is_forbidden_address(address):
            raise BlockedAddressError(_blocked_message(host, address))
        if str(address) not in addresses:
            addresses.append(str(address))
    if not addresses:
        raise socket.gaierror(socket.EAI_NONAME, "the name has no addresses")
    return addresses


def _default_port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


class _GuardedNetworkBackend(httpcore.SyncBackend):
    """Checks the addresses again when a connection is opened, then connects to one
    of the checked addresses, so a name that re-resolves to an internal address
    between the hop check and the connection (DNS rebinding) is still refused."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = resolve_public_addresses(host=host, port=port)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        last_error: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return super().connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                last_error = exc
        assert last_error is not None
        raise last_error


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The trusted certificates, loaded once a process: loading them costs tens of
    milliseconds, and a run opens clients for every batch."""
    return httpx.create_ssl_context()


def plain_transport() -> httpx.HTTPTransport:
    return httpx.HTTPTransport(verify=_tls_context())


def guarded_network_transport() -> httpx.HTTPTransport:
    transport = plain_transport()
    # httpx has no public hook for the connection pool's network backend; fail loudly
    # rather than run unguarded if its internals change.
    pool = transport._pool  # type: ignore[attr-defined]
    if not hasattr(pool, "_network_backend"):
        raise RuntimeError("this httpx version does not expose the connection pool's backend")
    pool._network_backend = _GuardedNetworkBackend()
    return transport


def is_account_origin(*, account_url: httpx.URL, url: httpx.URL) -> bool:
    """Whether ``url`` is on the account's own origin (an upgrade to https counts)."""
    if url.host != account_url.host:
        return False
    if url.scheme == account_url.scheme:
        return _default_port(url) == _default_port(account_url)
    return (
        account_url.scheme == "http"
        and url.scheme == "https"
        and _default_port(account_url) == 80
        and _default_port(url) == 443
    )


class HopGuardTransport(httpx.BaseTransport):
    """Wraps the real transport and sees every hop, redirects included.

    It refuses hops to other schemes and to private or local addresses, and strips
    the account's credentials from hops that leave the account's origin (attachment
    storage, CDNs), since those must never see them.
    """

    def __init__(
        self,
        *,
        inner: httpx.BaseTransport,
        allow_private_networks: bool,
        account_url: httpx.URL,
        account_header_names: frozenset[str],
    ) -> None:
        self._inner = inner
        self._allow_private_networks = allow_private_networks
        self._account_url = account_url
        self._account_header_names = account_header_names

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise BlockedAddressError(
                f"refusing to connect to {url.scheme}://{url.host}: "
                "only http and https addresses are allowed"
            )
        if not self._allow_private_networks:
            try:
                resolve_public_addresses(host=url.host, port=_default_port(url))
            except socket.gaierror as exc:
                raise httpx.ConnectError(f"{url.host}: {exc}", request=request) from exc
        if not is_account_origin(account_url=self._account_url, url=url):
            for name in self._account_header_names:
                request.headers.pop(name, None)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()
