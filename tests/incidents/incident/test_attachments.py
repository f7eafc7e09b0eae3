"""Attachments: a responder uploads a screenshot or a file to an incident (or one of its timeline entries);
images are re-encoded (no EXIF, nothing appended), with a thumbnail; downloads go only to those who may see
the incident (404 for everyone else); too large or an unknown type is refused with a clear error."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from incidents.errors import AccessDenied
from incidents.incident.services.attachments import attachment_add, clean_name
from incidents.models import Attachment, TimelineEntry, Visibility
from tests.factories import IncidentFactory, TimelineEntryFactory

pytestmark = pytest.mark.django_db

GPS_TAG = 0x8825
MAKE_TAG = 0x010F


def jpeg_with_exif(payload: bytes = b"") -> bytes:
    """A 64x48 JPEG carrying a camera make and a GPS position, with `payload` appended after its end."""
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[MAKE_TAG] = "SpyCam"
    exif[GPS_TAG] = {1: "N", 2: (52.0, 22.0, 1.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue() + payload


def png(size: tuple[int, int] = (800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 120, 200, 255)).save(out, format="PNG")
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def _bytes(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_screenshot_is_stored_without_its_exif_or_what_was_appended_and_gets_a_thumbnail(
    client_for, responder, incident
):
    client = client_for(responder)
    data = jpeg_with_exif(b"<script>alert(1)</script>")
    response = client.post(
        reverse("incidents:attachment_upload", args=[incident.number]),
        {"file": upload("../../etc/Checkout 502.jpeg", data, "text/html")},
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.name, attachment.content_type) == ("Checkout 502.jpg", "image/jpeg")
    assert (attachment.width, attachment.height) == (64, 48)
    stored_name = str(attachment.file.name)
    assert stored_name.startswith(f"attachments/{incident.pk}/")
    assert "Checkout" not in stored_name  # the stored name is Hindsight's, never the person's
    stored = default_storage.open(stored_name).read()
    assert b"SpyCam" not in stored
    assert b"<script>" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif()
    thumb = Image.open(default_storage.open(str(attachment.thumbnail.name)))
    assert thumb.format == "PNG"
    assert max(thumb.size) <= 320
    assert TimelineEntry.objects.filter(incident=incident, body="Attachment added: Checkout 502.jpg").exists()
    page = client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert "Checkout 502.jpg" in page
    assert reverse("incidents:attachment_thumbnail", args=[incident.number, attachment.pk]) in page


def test_an_image_is_shown_inline_and_a_file_is_offered_as_a_download_never_sniffed(
    client_for, responder, viewer, incident
):
    image = attachment_add(incident=incident, actor=responder, upload=upload("graph.png", png()))
    pdf = attachment_add(
        incident=incident, actor=responder, upload=upload("report.pdf", b"%PDF-1.4\n<html>hi</html>")
    )
    client = client_for(viewer)  # a viewer reads what responders attached
    shown = client.get(reverse("incidents:attachment", args=[incident.number, image.pk]))
    assert shown.status_code == 200
    assert shown["Content-Type"] == "image/png"
    assert shown["Content-Disposition"].startswith("inline")
    assert shown["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in shown["Content-Security-Policy"]
    offered = client.get(reverse("incidents:attachment", args=[incident.number, pdf.pk]))
    assert offered["Content-Type"] == "application/pdf"
    assert offered["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert offered["X-Content-Type-Options"] == "nosniff"
    assert _bytes(offered) == b"%PDF-1.4\n<html>hi</html>"
    assert (
        client.get(reverse("incidents:attachment_thumbnail", args=[incident.number, pdf.pk])).status_code
        == 404
    )


def test_a_restricted_incidents_attachments_never_reach_outsiders(
    client_for, commander, responder, outsider, team
):
    restricted = IncidentFactory(commander=commander, visibility=Visibility.RESTRICTED)
    restricted.teams.add(team)
    restricted.participants.add(commander)
    secret = attachment_add(
        incident=restricted, actor=commander, upload=upload("keys.txt", b"Zebra secret key")
    )
    for user in (responder, outsider):  # a responder of its team who is not taking part, and nobody's member
        client = client_for(user)
        for name in ("incidents:attachment", "incidents:attachment_thumbnail"):
            hidden = client.get(reverse(name, args=[restricted.number, secret.pk]))
            ghost = client.get(reverse(name, args=[restricted.number, 987654]))
            assert hidden.status_code == ghost.status_code == 404
            assert b"Zebra" not in hidden.content
    assert (
        client_for(commander)
        .get(reverse("incidents:attachment", args=[restricted.number, secret.pk]))
        .status_code
        == 200
    )


def test_an_attachment_is_found_only_under_its_own_incident(client_for, commander, incident):
    other = IncidentFactory(commander=commander)
    other.participants.add(commander)
    attachment = attachment_add(incident=incident, actor=commander, upload=upload("notes.txt", b"hello"))
    client = client_for(commander)
    assert client.get(reverse("incidents:attachment", args=[other.number, attachment.pk])).status_code == 404


def test_a_viewer_may_not_upload(client_for, viewer, incident):
    response = client_for(viewer).post(
        reverse("incidents:attachment_upload", args=[incident.number]), {"file": upload("a.txt", b"x")}
    )
    assert response.status_code == 403
    with pytest.raises(AccessDenied):
        attachment_add(incident=incident, actor=viewer, upload=upload("a.txt", b"x"))
    assert not Attachment.objects.exists()


def test_a_file_over_the_limit_is_refused_with_the_limit_named_beside_the_field(
    client_for, responder, incident, settings
):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    response = client_for(responder).post(
        reverse("incidents:attachment_upload", args=[incident.number]),
        {"file": upload("dump.log", b"x" * (1024 * 1024 + 1))},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "The file is larger than 1 MB, the most an attachment may be." in page
    assert not Attachment.objects.exists()
    assert not TimelineEntry.objects.filter(body__startswith="Attachment added").exists()


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("page.html", b"<html><script>alert(1)</script></html>", "That type of file is not taken."),
        ("logo.svg", b"<svg onload='alert(1)'/>", "That type of file is not taken."),
        ("tool.exe", b"MZ\x90\x00", "That type of file is not taken."),
        ("fake.png", b"<html>not a png</html>", "The image could not be read"),
        ("fake.pdf", b"<html>not a pdf</html>", "The file's contents are not a .pdf file."),
        ("binary.txt", b"\x00\x01\x02\xff", "The file's contents are not a .txt file."),
        ("empty.txt", b"", "The file is empty."),
    ],
)
def test_a_type_not_taken_or_bytes_that_lie_about_their_type_are_refused(
    client_for, responder, incident, name, data, says
):
    response = client_for(responder).post(
        reverse("incidents:attachment_upload", args=[incident.number]), {"file": upload(name, data)}
    )
    assert response.status_code == 422
    assert says in response.content.decode().replace("&#x27;", "'")
    assert not Attachment.objects.exists()


def test_an_upload_goes_to_a_timeline_entry_of_the_same_incident_only(client_for, responder, incident):
    entry = TimelineEntryFactory(incident=incident, body="Restarted the primary")
    elsewhere = TimelineEntryFactory(incident=IncidentFactory(), body="Elsewhere")
    client = client_for(responder)
    url = reverse("incidents:attachment_upload", args=[incident.number])
    assert client.post(url, {"file": upload("top.txt", b"load 40"), "entry": entry.pk}).status_code == 302
    assert Attachment.objects.get().entry == entry
    refused = client.post(url, {"file": upload("top.txt", b"load 40"), "entry": elsewhere.pk})
    assert refused.status_code == 422
    assert "Choose an entry of this incident&#x27;s timeline." in refused.content.decode()
    assert Attachment.objects.count() == 1


@pytest.mark.parametrize(
    ("raw", "ext", "clean"),
    [
        ("C:\\Users\\me\\Desktop\\shot.PNG", "png", "shot.png"),
        ("../../etc/passwd", "txt", "passwd.txt"),
        ("report\u202egnp.exe.pdf", "pdf", "reportgnp.exe.pdf"),
        ('a"; filename="evil.html', "txt", "a__ filename__evil.txt"),
        (".htaccess", "txt", "htaccess.txt"),
        ("", "txt", "attachment.txt"),
        ("x" * 300 + ".log", "log", "x" * 116 + ".log"),
    ],
)
def test_names_are_sanitised(raw, ext, clean):
    assert clean_name(raw, ext) == clean


def test_the_incident_page_takes_as_many_queries_for_many_attachments_as_for_one(
    client_for, responder, incident, django_assert_max_num_queries
):
    client = client_for(responder)
    url = reverse("incidents:detail", args=[incident.number])
    attachment_add(incident=incident, actor=responder, upload=upload("one.png", png((40, 30))))
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for i in range(8):
        attachment_add(incident=incident, actor=responder, upload=upload(f"shot-{i}.png", png((40, 30))))
        Attachment.objects.filter(pk=Attachment.objects.latest("pk").pk).update(
            entry=TimelineEntryFactory(incident=incident)
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count('class="attachment"') == 9
    assert "9 attachments" in page


def test_a_stored_file_that_is_gone_is_not_found(client_for, responder, incident):
    attachment = attachment_add(incident=incident, actor=responder, upload=upload("a.txt", b"hello"))
    default_storage.delete(str(attachment.file.name))
    url = reverse("incidents:attachment", args=[incident.number, attachment.pk])
    assert client_for(responder).get(url).status_code == 404


def test_an_attachment_row_that_cannot_be_written_leaves_no_file(responder, incident, monkeypatch):
    from incidents.incident.services import attachments

    def refuse(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(attachments, "system_entry", refuse)
    before = (
        set(default_storage.listdir(f"attachments/{incident.pk}")[1])
        if default_storage.exists(f"attachments/{incident.pk}")
        else set()
    )
    with pytest.raises(RuntimeError):
        attachment_add(incident=incident, actor=responder, upload=upload("a.txt", b"hello"))
    after = set(default_storage.listdir(f"attachments/{incident.pk}")[1])
    assert after == before
    assert not Attachment.objects.exists()


# --- Removing an attachment ------------------------------------------------------------------------------


def _stored(attachment: Attachment) -> list[str]:
    return [str(f.name) for f in (attachment.file, attachment.thumbnail) if f and f.name]


def test_whoever_uploaded_a_screenshot_removes_it_and_its_file_is_deleted(
    client_for, responder, incident, django_capture_on_commit_callbacks
):
    client = client_for(responder)
    attachment = attachment_add(incident=incident, actor=responder, upload=upload("token.png", png((40, 30))))
    names = _stored(attachment)
    assert len(names) == 2  # the image and its thumbnail
    assert all(default_storage.exists(n) for n in names)
    page = client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    remove_url = reverse("incidents:attachment_remove", args=[incident.number, attachment.pk])
    assert remove_url in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(remove_url)
    assert response.status_code == 302
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not any(default_storage.exists(n) for n in names)
    assert TimelineEntry.objects.filter(incident=incident, body="Attachment removed: token.png").exists()
    download = client.get(reverse("incidents:attachment", args=[incident.number, attachment.pk]))
    assert download.status_code == 404
    page = client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert "token.png" not in page.split('id="attachments"')[1].split("</div>")[0]


def test_another_responder_may_not_remove_it_but_the_commander_may(
    client_for, responder, commander, team, incident, django_capture_on_commit_callbacks
):
    from tests.factories import MembershipFactory, UserFactory

    other = UserFactory(email="other-responder@example.com")
    MembershipFactory(user=other, team=team, role="responder")
    attachment = attachment_add(incident=incident, actor=responder, upload=upload("graph.png", png((40, 30))))
    names = _stored(attachment)
    remove_url = reverse("incidents:attachment_remove", args=[incident.number, attachment.pk])
    client = client_for(other)
    page = client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert remove_url not in page  # no button for who may not
    assert client.post(remove_url).status_code == 403
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    assert all(default_storage.exists(n) for n in names)
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(commander).post(remove_url).status_code == 302
    assert not Attachment.objects.filter(pk=attachment.pk).exists()


def test_the_api_removes_an_attachment_and_refuses_a_read_only_token_and_an_outsider(
    api_for, commander, outsider, incident, django_capture_on_commit_callbacks
):
    attachment = attachment_add(incident=incident, actor=commander, upload=upload("dump.txt", b"heap dump"))
    url = reverse("api:incident-attachment", args=[incident.number, attachment.pk])
    assert api_for(commander).get(url).json()["name"] == "dump.txt"
    assert api_for(commander, read_only=True).delete(url).status_code == 403
    hidden = api_for(outsider).delete(url)
    ghost = api_for(outsider).delete(reverse("api:incident-attachment", args=[incident.number, 987654]))
    assert hidden.status_code == ghost.status_code == 404
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert api_for(commander).delete(url).status_code == 204
    assert api_for(commander).get(url).status_code == 404
    assert not default_storage.exists(str(attachment.file.name))


def test_a_removal_that_rolls_back_keeps_the_file(responder, incident, monkeypatch):
    from incidents.incident.services import attachments

    attachment = attachment_add(incident=incident, actor=responder, upload=upload("a.txt", b"hello"))
    pk, name = attachment.pk, str(attachment.file.name)

    def refuse(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(attachments, "system_entry", refuse)
    with pytest.raises(RuntimeError):
        attachments.attachment_remove(attachment=attachment, actor=responder)
    assert Attachment.objects.filter(pk=pk).exists()
    assert default_storage.exists(name)
