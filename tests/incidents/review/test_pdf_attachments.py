"""The postmortem's print page and PDF carry the incident's attachments: screenshots shown (in the PDF
embedded from storage, never fetched over HTTP), other files listed by name."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from incidents.incident.services.attachments import attachment_add
from incidents.review import pdf as review_pdf
from incidents.review.services import postmortems as svc

pytestmark = pytest.mark.django_db


def _png(colour: tuple[int, int, int]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), colour).save(buffer, "PNG")
    return SimpleUploadedFile("graph.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def pm(incident, responder):
    return svc.postmortem_start(incident=incident, actor=responder)


@pytest.fixture
def attached(incident, responder):
    shot = attachment_add(incident=incident, actor=responder, upload=_png((200, 30, 30)))
    log = attachment_add(
        incident=incident, actor=responder, upload=SimpleUploadedFile("replica-lag.log", b"lag 4s\nlag 9s\n")
    )
    return shot, log


def test_the_print_page_shows_screenshots_and_lists_files(client_for, responder, incident, pm, attached):
    shot, log = attached
    page = client_for(responder).get(reverse("incidents:postmortem_print", args=[incident.number]))
    html = page.content.decode()
    section = html.split('<section class="attachments">')[1]
    assert reverse("incidents:attachment", args=[incident.number, shot.pk]) in section
    assert "replica-lag.log" in section
    assert "Rory Responder" in section


def test_the_pdf_embeds_each_screenshot_from_storage_and_names_the_other_files(
    client_for, responder, incident, pm, attached, monkeypatch
):
    pytest.importorskip("weasyprint")
    fetched: list[str] = []

    def fetch(url: str) -> tuple[str, bytes]:
        fetched.append(url)
        return "image/png", b""

    monkeypatch.setattr(review_pdf, "_fetch_image", fetch)
    second = attachment_add(incident=incident, actor=responder, upload=_png((30, 200, 30)))
    response = client_for(responder).get(reverse("incidents:postmortem_export_pdf", args=[incident.number]))
    assert response.status_code == 200
    pdf = bytes(response.content)
    assert pdf.count(b"/Subtype /Image") == 2  # both screenshots
    assert fetched == []  # read from storage, not over HTTP
    printed = review_pdf.attachments_for_print(incident, inline=True)
    assert [p.src.startswith("data:image/png;base64,") for p in printed] == [True, False, True]
    assert printed[2].attachment.pk == second.pk


def test_a_screenshot_whose_file_is_gone_is_listed_by_name_and_the_pdf_still_renders(
    client_for, responder, incident, pm, attached
):
    pytest.importorskip("weasyprint")
    shot, _ = attached
    default_storage.delete(str(shot.file.name))
    printed = review_pdf.attachments_for_print(incident, inline=True)
    assert [p.src for p in printed] == ["", ""]
    response = client_for(responder).get(reverse("incidents:postmortem_export_pdf", args=[incident.number]))
    assert response.status_code == 200
    assert bytes(response.content).count(b"/Subtype /Image") == 0
