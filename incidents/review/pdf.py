"""The postmortem as a PDF: the print page rendered by WeasyPrint (optional: it needs system libraries),
remote images fetched only through the outbound guard, bounded in size, time and number."""

from __future__ import annotations

import base64
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse

from incidents.incident.selectors import attachments_of
from incidents.models import Attachment, Incident
from incidents.outbound import open_guarded


class PdfUnavailable(RuntimeError):
    """WeasyPrint or its system libraries (Pango) are not installed."""


# Remote images in a PDF export: each through the outbound guard, bounded in size, time and number.
PDF_IMAGE_MAX_BYTES = 5 * 1024 * 1024
PDF_IMAGE_TIMEOUT_SECONDS = 5.0
PDF_REMOTE_IMAGES_MAX = 20
# A PDF's timeline keeps each entry's formatting (bold, code, links, lists) up to this many entries; a longer
# one lists entries as plain text: WeasyPrint lays out every formatted span as a box of its own, and 3,000
# formatted entries took over a minute (plain: seconds).
PDF_RICH_TIMELINE_MAX = 500


def _pdf_fetcher(weasyprint: Any) -> Any:
    """WeasyPrint's URL fetcher for exports: inline `data:` images, and remote images through the guard.

    WeasyPrint (>= 66) calls its fetcher as a `URLFetcher` (it reads `_fail_on_errors` from it), so this
    is a subclass, not a plain function. A URL written in a postmortem is fetched by the server, so every
    http(s) image goes through `incidents.outbound.open_guarded` (private, loopback and link-local targets
    refused, also after DNS resolution; no redirect followed; no proxy), answers within
    PDF_IMAGE_TIMEOUT_SECONDS in all, must be `image/*` of at most PDF_IMAGE_MAX_BYTES, and at most
    PDF_REMOTE_IMAGES_MAX are fetched per PDF. Any other scheme (file:, ftp:) is refused. A refused or
    failed image is skipped with a warning and the PDF renders without it.
    """

    class PdfFetcher(weasyprint.URLFetcher):
        remote_fetched = 0

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            return self.fetch_remote(url)

        def fetch_remote(self, url: str) -> Any:
            if not url.lower().startswith(("http://", "https://")):
                raise ValueError(
                    f"only data:, http and https resources are loaded in PDF exports: {url[:80]}"
                )
            if self.remote_fetched >= PDF_REMOTE_IMAGES_MAX:
                raise ValueError(f"more than {PDF_REMOTE_IMAGES_MAX} remote images: {url[:80]}")
            self.remote_fetched += 1
            ctype, body = _fetch_image(url)
            return weasyprint.urls.URLFetcherResponse(url, body, {"Content-Type": ctype}, 200)

    return PdfFetcher(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=False)


def _fetch_image(url: str) -> tuple[str, bytes]:
    """(content type, bytes) of the image at `url`, fetched through the outbound guard.

    Raises OutboundRefused for a refused target, urllib errors or OSError when it cannot be fetched (a 3xx
    is an error: redirects are not followed), and ValueError for what is not an image, is encoded, is over
    PDF_IMAGE_MAX_BYTES or takes longer than PDF_IMAGE_TIMEOUT_SECONDS in all.
    """
    deadline = time.monotonic() + PDF_IMAGE_TIMEOUT_SECONDS
    request = urllib.request.Request(  # noqa: S310 - fetch_remote passes http(s) URLs only
        url,
        headers={"User-Agent": "Hindsight PDF export", "Accept": "image/*", "Accept-Encoding": "identity"},
    )
    with open_guarded(request, timeout=PDF_IMAGE_TIMEOUT_SECONDS) as response:
        ctype = response.headers.get_content_type()
        if not ctype.startswith("image/"):
            raise ValueError(f"not an image ({ctype}): {url[:80]}")
        if response.headers.get("Content-Encoding", "identity").lower() != "identity":
            raise ValueError(f"encoded image refused: {url[:80]}")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > PDF_IMAGE_MAX_BYTES:
            raise ValueError(f"image over {PDF_IMAGE_MAX_BYTES:,} bytes: {url[:80]}")
        chunks: list[bytes] = []
        size = 0
        while chunk := response.read(64 * 1024):
            size += len(chunk)
            if size > PDF_IMAGE_MAX_BYTES:
                raise ValueError(f"image over {PDF_IMAGE_MAX_BYTES:,} bytes: {url[:80]}")
            if time.monotonic() > deadline:
                raise ValueError(f"image took over {PDF_IMAGE_TIMEOUT_SECONDS:g} s: {url[:80]}")
            chunks.append(chunk)
    return ctype, b"".join(chunks)


# Image attachments in a PDF: embedded from storage (never fetched over HTTP), at most this many and each at
# most PDF_IMAGE_MAX_BYTES; the rest are listed by name like the other files.
PDF_ATTACHED_IMAGES_MAX = 20


@dataclass(frozen=True)
class PrintedAttachment:
    """An attachment as the print page and the PDF show it: `src` is the image to show (the
    permission-checked download URL on the print page, a `data:` URI of the stored bytes in a PDF) or ""
    for a file listed by name only."""

    attachment: Attachment
    src: str


def attachments_for_print(incident: Incident, *, inline: bool) -> list[PrintedAttachment]:
    """The attachments of `incident` (one the viewer may see), oldest first, for the print page
    (`inline=False`: images by their download URL) or the PDF (`inline=True`: the first
    PDF_ATTACHED_IMAGES_MAX images of at most PDF_IMAGE_MAX_BYTES embedded as `data:` URIs read from
    storage; an image whose file is gone, or beyond those, is listed by name)."""
    printed: list[PrintedAttachment] = []
    embedded = 0
    for attachment in attachments_of(incident):
        src = ""
        if attachment.is_image and not inline:
            src = reverse("incidents:attachment", args=[incident.number, attachment.pk])
        elif (
            attachment.is_image
            and embedded < PDF_ATTACHED_IMAGES_MAX
            and attachment.size <= PDF_IMAGE_MAX_BYTES
        ):
            try:
                with attachment.file.storage.open(str(attachment.file.name), "rb") as handle:
                    data = handle.read(PDF_IMAGE_MAX_BYTES + 1)
            except FileNotFoundError:
                data = b""
            if data and len(data) <= PDF_IMAGE_MAX_BYTES:
                src = f"data:{attachment.content_type};base64,{base64.b64encode(data).decode('ascii')}"
                embedded += 1
        printed.append(PrintedAttachment(attachment=attachment, src=src))
    return printed


def render_pdf(html: str) -> bytes:
    """Render the print page's HTML to PDF with WeasyPrint and the print stylesheet; remote images are
    fetched through the outbound guard and left out when refused or unreachable (see `_pdf_fetcher`).

    Raises PdfUnavailable when WeasyPrint or its system libraries cannot be imported.
    """
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise PdfUnavailable(str(exc)) from exc
    css = (settings.BASE_DIR / "static" / "css" / "postmortem-print.css").read_text(encoding="utf-8")
    fetcher = _pdf_fetcher(weasyprint)
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[weasyprint.CSS(string=css, url_fetcher=fetcher)]
    )
