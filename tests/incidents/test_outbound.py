"""One outbound-request guard: no request to this machine, the private network or reserved space, ever."""

from __future__ import annotations

import ipaddress
import socket
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from incidents.outbound import OutboundRefused, address_refusal, guard_url, open_guarded


class _Local:
    """A server on 127.0.0.1 that counts requests; `/redirect` answers 302 to `/target`."""

    def __init__(self):
        self.paths: list[str] = []
        local = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                local.paths.append(self.path)
                if self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", f"http://127.0.0.1:{local.port}/target")
                else:
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def local():
    server = _Local()
    yield server
    server.close()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.1.2.3:8080/x",
        "http://localhost/",
        "http://api.localhost/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.5/hook",
        "http://100.64.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://224.0.0.1/",
        "http://[ff02::1]/",
        "http://240.0.0.1/",
        "http://255.255.255.255/",
        "ftp://example.com/",
        "file:///etc/passwd",
        "http://user:pw@example.com/",
        "https:///nohost",
    ],
)
def test_private_reserved_and_odd_urls_are_refused(url):
    with pytest.raises(OutboundRefused):
        guard_url(url)


def test_a_name_is_resolved_and_every_address_checked(monkeypatch):
    answers = {"public.example": ["93.184.216.34"], "mixed.example": ["93.184.216.34", "10.0.0.5"]}
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, **kw: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]
        ],
    )
    guard_url("https://public.example/hook")
    with pytest.raises(OutboundRefused, match="10.0.0.5"):
        guard_url("https://mixed.example/hook")


def test_an_unresolvable_name_is_refused(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror("no such name")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(OutboundRefused, match="cannot be resolved"):
        guard_url("https://nowhere.example/")


def test_local_receivers_are_refused_by_default_even_in_tests(local):
    with pytest.raises(OutboundRefused):
        open_guarded(f"http://127.0.0.1:{local.port}/", timeout=5)
    assert local.paths == []


def test_the_name_is_resolved_again_when_sending(local, monkeypatch):
    """A name that was public when the URL was saved and points at this machine now is not connected to."""
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34", "127.0.0.1"])

    def rebinding(host, port, *args, **kwargs):
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    url = f"http://rebind.example:{local.port}/"
    guard_url(url)  # saved while it resolved to a public address
    with pytest.raises(OutboundRefused, match="127.0.0.1"):
        open_guarded(url, timeout=5)
    assert local.paths == []


def test_the_allowed_target_setting_opens_one_host_and_port_only(local, settings):
    settings.OUTBOUND_ALLOWED_TARGETS = [f"127.0.0.1:{local.port}"]
    with open_guarded(f"http://127.0.0.1:{local.port}/ok", timeout=5) as response:
        assert response.status == 200
    with pytest.raises(OutboundRefused):
        guard_url("http://127.0.0.1:1/")
    with pytest.raises(OutboundRefused):
        guard_url("http://10.0.0.1/")


def test_redirects_are_not_followed(local, outbound_allowed):
    outbound_allowed(f"http://127.0.0.1:{local.port}/")
    with pytest.raises(urllib.error.HTTPError) as raised:
        open_guarded(urllib.request.Request(f"http://127.0.0.1:{local.port}/redirect"), timeout=5)
    assert raised.value.code == 302
    assert local.paths == ["/redirect"]


def test_proxy_variables_do_not_route_around_the_guard(local, outbound_allowed, monkeypatch):
    """The connection goes to the checked address, never to a proxy named in the environment."""
    monkeypatch.setenv("http_proxy", "http://10.9.9.9:3128")
    outbound_allowed(f"http://127.0.0.1:{local.port}/")
    with open_guarded(f"http://127.0.0.1:{local.port}/direct", timeout=5) as response:
        assert response.status == 200
    assert local.paths == ["/direct"]


@pytest.mark.parametrize(
    "address",
    [
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254 (cloud metadata)
        "2001:0:7f00:1::",  # Teredo, server 127.0.0.1
        "2001:0:4136:e378:8000:63bf:80ff:fefe",  # Teredo, client 127.0.1.1
    ],
)
def test_ipv6_that_wraps_a_local_ipv4_address_is_refused(address, monkeypatch):
    """6to4 (2002::/16) and Teredo (2001::/32) carry an IPv4 address a relay delivers to: one that is not
    global is refused as that address would be, typed as a literal or resolved from a name."""
    assert address_refusal(ipaddress.ip_address(address)) is not None
    with pytest.raises(OutboundRefused):
        guard_url(f"http://[{address}]/hook")
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, **kw: [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))],
    )
    with pytest.raises(OutboundRefused):
        guard_url("https://sixtofour.example/hook")


def test_6to4_of_a_global_ipv4_address_is_allowed():
    assert address_refusal(ipaddress.ip_address("2002:808:808::1")) is None
