"""The one guard for every request Hindsight sends to a URL someone typed (server-side request forgery).

Outbound webhooks, team chat webhooks and resources a PDF export loads all go through here. A URL is
refused (`OutboundRefused`) unless it is http(s) with a host name whose every address is global unicast:
loopback, private, link-local, shared (CGNAT), reserved, multicast and unspecified addresses are refused,
IPv4 and IPv6 alike (IPv4-mapped IPv6 addresses are checked as the IPv4 address they carry, 6to4 and
Teredo ones by the IPv4 addresses they carry too).

`guard_url` checks a URL (resolving its host name) and is what forms, serializers and fetchers call.
`open_guarded` sends a request: it resolves the host again at connect time and connects only to an
address it has just checked, so a name that resolved to a public address when the URL was saved and to
127.0.0.1 now (DNS rebinding) is refused. Redirects are never followed (a 3xx is the answer) and proxy
variables of the environment are ignored, so the checked address is the one connected to.

The only exception is `OUTBOUND_ALLOWED_TARGETS` in settings: `host` or `host:port` entries (as written in
the URL; IPv6 in brackets) that may be private, for a chat server on the office network or the local
receiver of a test. It is empty by default, and tests add their receiver to it explicitly.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from typing import Any

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundRefused(ValueError):
    """A URL Hindsight will not send requests to; the message says why in words for the person who typed it."""


def _allowed_targets() -> set[str]:
    return {
        str(t).strip().lower() for t in getattr(settings, "OUTBOUND_ALLOWED_TARGETS", ()) if str(t).strip()
    }


def _is_allowed(host: str, port: int | None) -> bool:
    allowed = _allowed_targets()
    if not allowed:
        return False
    shown = f"[{host}]" if ":" in host else host
    return shown in allowed or (port is not None and f"{shown}:{port}" in allowed)


def address_refusal(address: Address) -> str | None:
    """Why Hindsight will not connect to `address`, or None for a global unicast address.

    An IPv6 address that carries an IPv4 one is judged by it too: IPv4-mapped (`::ffff:127.0.0.1`) as
    that address; 6to4 (`2002::/16`, `2002:7f00:1::` relays to 127.0.0.1) and Teredo (`2001::/32`, a
    server and a client address) refused when an address they carry is refused."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        else:
            carried = [address.sixtofour] if address.sixtofour is not None else []
            carried += list(address.teredo or ())
            for inner in carried:
                if (why := address_refusal(inner)) is not None:
                    return f"{address} carries {inner}: {why}"
    if address.is_multicast:
        return f"{address} is a multicast address."
    if not address.is_global or address.is_loopback or address.is_link_local or address.is_reserved:
        return f"{address} is a loopback, private, link-local or reserved address."
    return None


def _split(url: str) -> tuple[str, int]:
    try:
        parsed = urllib.parse.urlsplit(url)
        port = parsed.port
    except ValueError as exc:
        raise OutboundRefused("This URL cannot be read.") from exc
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise OutboundRefused("Only http and https URLs with a host name can be used.")
    if parsed.username or parsed.password:
        raise OutboundRefused("URLs with a user name or password in them are not used.")
    return parsed.hostname.rstrip(".").lower(), port or (443 if parsed.scheme == "https" else 80)


def _resolve(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise OutboundRefused(f"The host name {host} cannot be resolved.") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def _check(host: str, port: int, addresses: Iterable[Address]) -> None:
    for address in addresses:
        refusal = address_refusal(address)
        if refusal:
            raise OutboundRefused(f"Requests cannot be sent to {host}: {refusal}")


def guard_url(url: str, *, resolve: bool = True) -> None:
    """Raise OutboundRefused unless Hindsight may send a request to `url`; return None when it may.

    With `resolve` (the default) the host name is looked up and every address it resolves to must be
    global; an unresolvable name is refused. `resolve=False` checks the scheme and a literal address or
    `localhost` only (for saving a URL whose name may not resolve from here yet). Sending must still go
    through `open_guarded`, which checks again at connect time.
    """
    host, port = _split(url)
    if _is_allowed(host, port):
        return
    if host == "localhost" or host.endswith(".localhost"):
        raise OutboundRefused(f"Requests cannot be sent to {host} (this machine).")
    try:
        literal: list[Address] = [ipaddress.ip_address(host)]
    except ValueError:
        literal = []
    if literal or resolve:
        _check(host, port, literal or _resolve(host, port))


def _guarded_connection(host: str, port: int, timeout: Any, source_address: Any) -> socket.socket:
    """`socket.create_connection` that connects only to an address checked just now."""
    if _is_allowed(host, port):
        return socket.create_connection((host, port), timeout, source_address)
    if host == "localhost" or host.endswith(".localhost"):
        raise OutboundRefused(f"Requests cannot be sent to {host} (this machine).")
    addresses = _resolve(host, port)
    _check(host, port, addresses)
    error: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((str(address), port), timeout, source_address)
        except OSError as exc:
            error = exc
    raise error or OSError(f"No address to connect to for {host}")


class _HTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        # No proxy handler is installed, so there is never a tunnel to set up.
        self.sock = _guarded_connection(
            self.host, self.port, self.timeout, getattr(self, "source_address", None)
        )


class _HTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        # As HTTPSConnection.connect, on a guarded socket; the certificate is checked against the host name.
        sock = _guarded_connection(self.host, self.port, self.timeout, getattr(self, "source_address", None))
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPSConnection, req)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could lead to an address the guard refused: the 3xx is the answer."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.OpenerDirector()
for _handler in (
    urllib.request.UnknownHandler(),
    _HTTPHandler(),
    _HTTPSHandler(),
    urllib.request.HTTPDefaultErrorHandler(),
    _NoRedirect(),
    urllib.request.HTTPErrorProcessor(),
):
    _opener.add_handler(_handler)


def open_guarded(request: urllib.request.Request | str, *, timeout: float) -> http.client.HTTPResponse:
    """Send `request` (urllib Request or URL) through the guard; return the open response.

    Raises OutboundRefused for a URL or an address the guard refuses (checked again at connect time),
    urllib.error.HTTPError for a 4xx/5xx answer and for 3xx (redirects are not followed), and
    urllib.error.URLError / OSError / TimeoutError when the receiver cannot be reached. `timeout` in seconds.
    """
    url = request.full_url if isinstance(request, urllib.request.Request) else request
    guard_url(url, resolve=False)
    try:
        return _opener.open(request, timeout=timeout)
    except urllib.error.URLError as exc:
        # urllib wraps errors raised while connecting; the refusal is the reason to report.
        if isinstance(exc.reason, OutboundRefused):
            raise exc.reason from None
        raise
