"""The PDF export of a postmortem with remote images: each fetched through the outbound guard.

A local image server stands in for a dashboard: reachable only when the test allows its address
(`outbound_allowed`), as loopback is refused otherwise. What the PDF embeds is read from its image objects.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from incidents.review import pdf as review_pdf
from incidents.review.services import postmortems as svc

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def pm(incident, responder):
    return svc.postmortem_start(incident=incident, actor=responder)


@pytest.fixture
def image_server() -> Iterator[tuple[str, list[str]]]:
    """(base URL, paths requested) of a local server: /panel.png an image, /moved a redirect to it,
    /page.html a web page, /huge.png an image larger than the test's limit."""
    requested: list[str] = []
    png = _png()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requested.append(self.path)
            path = self.path.split("?")[0]
            if path == "/moved":
                self.send_response(302)
                self.send_header("Location", "/panel.png")
                self.end_headers()
                return
            kind, body = {
                "/panel.png": ("image/png", png),
                "/page.html": ("text/html", b"<html>not an image</html>"),
                "/huge.png": ("image/png", png + b"\0" * 5000),
            }.get(path, ("text/plain", b"missing"))
            self.send_response(404 if path == "/missing" else 200)
            self.send_header("Content-Type", kind)
            self.end_headers()  # no Content-Length: the size limit must hold while reading
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requested
    finally:
        server.shutdown()
        server.server_close()


def _pdf(client, pm, incident, *urls: str) -> bytes:
    pytest.importorskip("weasyprint")
    images = "\n\n".join(f"![panel {i}]({url})" for i, url in enumerate(urls))
    pm.sections = {**pm.sections, "summary": f"The dashboard:\n\n{images}\n\nAfter it."}
    pm.save()
    response = client.get(reverse("incidents:postmortem_export_pdf", args=[incident.number]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    return bytes(response.content)


def _embedded_images(pdf: bytes) -> int:
    return pdf.count(b"/Subtype /Image")


def test_an_image_on_an_allowed_server_is_fetched_once_and_embedded(
    client_for, pm, responder, incident, image_server, outbound_allowed
):
    base, requested = image_server
    outbound_allowed(base)
    pdf = _pdf(client_for(responder), pm, incident, f"{base}/panel.png")
    assert requested == ["/panel.png"]
    assert _embedded_images(pdf) == 1


def test_an_image_on_a_loopback_address_is_refused_without_a_request(
    client_for, pm, responder, incident, image_server
):
    base, requested = image_server
    pdf = _pdf(client_for(responder), pm, incident, f"{base}/panel.png", "http://localhost:9/x.png")
    assert requested == []
    assert _embedded_images(pdf) == 0


def test_redirects_pages_oversized_and_missing_images_are_left_out(
    client_for, pm, responder, incident, image_server, outbound_allowed, monkeypatch
):
    base, requested = image_server
    outbound_allowed(base)
    monkeypatch.setattr(review_pdf, "PDF_IMAGE_MAX_BYTES", 2000)
    urls = [f"{base}/moved", f"{base}/page.html", f"{base}/huge.png", f"{base}/missing", "file:///etc/passwd"]
    pdf = _pdf(client_for(responder), pm, incident, *urls)
    assert sorted(requested) == ["/huge.png", "/missing", "/moved", "/page.html"]  # the redirect not followed
    assert _embedded_images(pdf) == 0


def test_at_most_the_limit_of_remote_images_is_fetched_for_one_pdf(
    client_for, pm, responder, incident, image_server, outbound_allowed, monkeypatch
):
    base, requested = image_server
    outbound_allowed(base)
    monkeypatch.setattr(review_pdf, "PDF_REMOTE_IMAGES_MAX", 2)
    pdf = _pdf(client_for(responder), pm, incident, *(f"{base}/panel.png?n={n}" for n in range(4)))
    assert len(requested) == 2
    assert _embedded_images(pdf) == 2
