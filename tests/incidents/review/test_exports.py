"""Exports: Markdown and JSON round trips lose nothing; no XSS payload survives any export."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import markdown
import pytest
from django.urls import reverse

from incidents.models import FactorCategory
from incidents.review import documents as review_documents
from incidents.review import exports as review_exports
from incidents.review import pdf as review_pdf
from incidents.review.services import postmortems as svc
from tests.factories import ActionItemFactory, ContributingFactorFactory, TimelineEntryFactory

pytestmark = pytest.mark.django_db

RICH = {
    "summary": "Ünïcödé: Ødegaard’s team in Zürich — 数据库 — emoji 🚒.\n\nSecond paragraph with `rm -rf /var/opt/*` inline.",
    "impact": "| Metric | Value |\n| --- | ---: |\n| Projects | 5,000 |\n| Comments | 5,000 |\n| Users | 700 |",
    "trigger": "```sh\nsudo rm -rf /var/opt/gitlab/postgresql/data\n# <!-- hindsight:section summary -->\n```\n\nA `<b>` tag in a code span stays literal.",
    "detection": "Line with trailing spaces  \nand a hard break.\n\n> a quote\n\n- a list\n  - nested",
    "response": "```\n<!-- hindsight:end -->\n\\<!-- hindsight:section summary -->\n```\nMarker-looking lines in code; latency < 200 ms & a -> b.",
    "recovery": "",
    "went_well": "- Copying from staging worked.\n",
    "lessons": "1. Test restores.\n2. Alert on empty backups.\n\n\n",
}

XSS = [
    "<script>alert('x1')</script>",
    "<img src=x onerror=\"alert('x2')\">",
    "[click](javascript:alert('x3'))",
    "<a href=\"javascript:alert('x4')\">x</a>",
    '<iframe src="https://evil.example/"></iframe>',
    "<svg onload=alert('x5')>",
]


@pytest.fixture
def pm(incident, responder):
    return svc.postmortem_start(incident=incident, actor=responder)


def test_markdown_round_trip_loses_nothing(pm, responder):
    pm = svc.postmortem_save(postmortem=pm, actor=responder, sections=RICH, expected_version=pm.version)
    svc.postmortem_answer_questions(
        postmortem=pm, actor=responder, should_have_caught="A restore test — nightly", unnoticed_seconds=3600
    )
    pm.refresh_from_db()
    exported = review_exports.export_markdown(pm, viewer=responder)
    back = review_exports.import_markdown(exported)
    assert back.sections == pm.sections
    assert back.questions["should_have_caught"] == "A restore test — nightly"
    assert back.questions["unnoticed_seconds"] == 3600
    assert back.schema_version == 1
    assert '"schema_version": 1' in exported


def test_json_round_trip_loses_nothing(pm, responder):
    pm = svc.postmortem_save(postmortem=pm, actor=responder, sections=RICH, expected_version=pm.version)
    text = json.dumps(review_exports.export_json(pm, viewer=responder), ensure_ascii=False)
    back = review_exports.import_json(json.loads(text))
    assert back.sections == pm.sections
    assert "数据库" in text


def test_reimporting_an_export_through_the_web_saves_the_same_sections(client_for, pm, responder, incident):
    pm = svc.postmortem_save(postmortem=pm, actor=responder, sections=RICH, expected_version=pm.version)
    client = client_for(responder)
    md = client.get(reverse("incidents:postmortem_export_md", args=[incident.number])).getvalue()
    svc.postmortem_save(
        postmortem=pm, actor=responder, sections={"summary": "changed"}, expected_version=pm.version
    )
    pm.refresh_from_db()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("incidents:postmortem_import", args=[incident.number]),
        {"file": SimpleUploadedFile("export.md", md), "version": pm.version},
    )
    assert response.status_code == 302
    pm.refresh_from_db()
    assert pm.sections == {**pm.sections, **RICH}
    assert pm.versions.order_by("-number").first().note == "imported from export.md"


def test_json_is_complete(pm, responder, incident):
    entry = TimelineEntryFactory(incident=incident, body="Key moment: wrong host", is_key_moment=True)
    factor = ContributingFactorFactory(
        incident=incident, category=FactorCategory.TESTING_GAP, missing_test_types=["regression"]
    )
    factor.evidence_entries.add(entry)
    ActionItemFactory(incident=incident, factor=factor, title="Test restores")
    data = review_exports.export_json(pm, viewer=responder)
    assert data["schema_version"] == 1
    assert data["timeline"][0]["id"] == entry.pk
    assert data["timeline"][0]["key_moment"] is True
    (f,) = data["contributing_factors"]
    assert f["missing_test_types"] == ["regression"]
    assert f["evidence_entry_ids"] == [entry.pk]
    assert len(f["action_item_ids"]) == 1
    assert data["action_items"][0]["title"] == "Test restores"
    assert [v["number"] for v in data["postmortem"]["versions"]] == [1]
    assert set(data["postmortem"]["questions"]) >= {"single_person_change", "staging_matched"}


def test_import_of_a_foreign_file_is_refused_with_a_message(client_for, pm, responder, incident):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(responder).post(
        reverse("incidents:postmortem_import", args=[incident.number]),
        {"file": SimpleUploadedFile("notes.md", b"# just notes\n"), "version": pm.version},
    )
    assert response.status_code == 400
    assert "No postmortem sections found" in response.content.decode()


def _payload_sections():
    return {
        key: XSS[i % len(XSS)] + " text " + XSS[(i + 1) % len(XSS)] for i, key in enumerate(svc.SECTION_KEYS)
    }


class _Active(HTMLParser):
    """Collects what a browser would execute: script-like tags, event handlers, script URLs."""

    BAD_TAGS = {"script", "iframe", "svg", "object", "embed", "style", "form", "base", "meta"}

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.allowed: set[str] = set()

    def handle_starttag(self, tag, attrs):
        if tag in self.BAD_TAGS and tag not in self.allowed:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}")
            if (
                name in ("href", "src", "action")
                and value
                and re.sub(r"\s", "", value).lower().startswith(("javascript:", "data:", "vbscript:"))
            ):
                self.found.append(f"{tag} {name}={value}")


def _active(html: str, allowed: tuple[str, ...] = ()) -> list[str]:
    parser = _Active()
    parser.allowed = set(allowed)
    parser.feed(html)
    return parser.found


def _markdown_is_inert(source: str) -> list[str]:
    """Render with python-markdown and no sanitiser, as a third-party viewer might, and look for active HTML."""
    return _active(markdown.markdown(source, extensions=["fenced_code", "tables"]))


def _xss_everywhere(pm, responder, incident):
    pm = svc.postmortem_save(
        postmortem=pm, actor=responder, sections=_payload_sections(), expected_version=pm.version
    )
    TimelineEntryFactory(incident=incident, body=XSS[0] + XSS[2], is_key_moment=True)
    ContributingFactorFactory(
        incident=incident, title="<script>alert('t')</script>", description=XSS[1] + XSS[3]
    )
    ActionItemFactory(incident=incident, title="<img src=x onerror=alert(1)>")
    svc.postmortem_meeting_update(postmortem=pm, actor=responder, notes=XSS[4], open_questions=XSS[5])
    return pm


def test_xss_payloads_are_absent_from_every_export(client_for, pm, responder, incident):
    _xss_everywhere(pm, responder, incident)
    client = client_for(responder)

    def get(name):
        response = client.get(reverse(f"incidents:{name}", args=[incident.number]))
        assert response.status_code == 200, name
        return response.getvalue().decode()  # a streamed download

    md = get("postmortem_export_md")
    assert _markdown_is_inert(md) == []
    for raw in ("<script", "<img", "<iframe", "<svg", "javascript:"):
        assert raw not in md.lower(), raw

    data = json.loads(get("postmortem_export_json"))

    def walk(value, path=""):
        if isinstance(value, dict):
            for k, v in value.items():
                yield from walk(v, f"{path}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from walk(v, f"{path}[{i}]")
        elif isinstance(value, str):
            yield path, value

    strings = list(walk(data))
    assert any("alert" in v for _, v in strings)  # the text is kept, defused
    for path, value in strings:
        found = _active(value) if path.endswith(".html") else _markdown_is_inert(value)
        assert found == [], (path, found)
        assert "javascript:" not in value.lower(), path

    for page in ("postmortem_print", "postmortem", "meeting"):
        html = get(page)
        # The site's own pages carry our forms and our vendored scripts (src under /static/); payloads add none.
        found = [f for f in _active(html, allowed=("form", "script")) if "javascript" in f or " on" in f]
        assert found == [], (page, found)
        scripts = re.findall(r"<script[^>]*>", html, re.IGNORECASE)
        assert all(re.search(r'src="/static/[^"]+"', tag) for tag in scripts), (page, scripts)


def test_xss_payloads_absent_from_the_pdf(client_for, pm, responder, incident):
    pytest.importorskip("weasyprint")
    _xss_everywhere(pm, responder, incident)
    html = (
        client_for(responder)
        .get(reverse("incidents:postmortem_print", args=[incident.number]))
        .content.decode()
    )
    response = client_for(responder).get(reverse("incidents:postmortem_export_pdf", args=[incident.number]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert b"/JavaScript" not in response.content
    assert b"/JS " not in response.content
    assert _active(html, allowed=("meta",)) == []


def test_pdf_view_explains_missing_libraries(client_for, pm, responder, incident, monkeypatch):
    def unavailable(html):
        raise review_pdf.PdfUnavailable("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(review_pdf, "render_pdf", unavailable)
    response = client_for(responder).get(reverse("incidents:postmortem_export_pdf", args=[incident.number]))
    assert response.status_code == 503
    assert "libpango" in response.content.decode()
    assert "print-friendly page" in response.content.decode()


def test_clean_source_keeps_code_and_defuses_html():
    text = "Use `<script>` here\n\n```html\n<script>ok()</script>\n```\n\n<script>bad()</script> [x](javascript:y) <https://ok.example>"
    cleaned = review_documents.clean_source(text)
    assert "`<script>`" in cleaned
    assert "```html\n<script>ok()</script>\n```" in cleaned
    assert "&lt;script>bad()" in cleaned
    assert "javascript:" not in cleaned.replace("`<script>`", "")
    assert "<https://ok.example>" in cleaned
    assert review_documents.clean_source(cleaned) == cleaned
    assert review_documents.clean_source("latency < 200 ms, a -> b") == "latency < 200 ms, a -> b"


def test_import_refuses_a_file_over_the_limit(client_for, pm, responder, incident):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from incidents.review.views.documents import IMPORT_MAX_BYTES

    big = SimpleUploadedFile("big.md", b"x" * (IMPORT_MAX_BYTES + 1))
    response = client_for(responder).post(url_import(incident), {"file": big, "version": pm.version})
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    pm.refresh_from_db()
    assert pm.version == 1


def url_import(incident):
    return reverse("incidents:postmortem_import", args=[incident.number])


def test_markdown_export_and_print_page_give_times_in_the_exporters_zone_with_the_offset(
    pm, client_for, commander
):
    commander.time_zone = "Europe/Copenhagen"
    commander.save()
    incident = pm.incident
    incident.started_at = incident.started_at.replace(year=2026, month=1, day=12, hour=9, minute=0, second=0)
    incident.save()
    TimelineEntryFactory(incident=incident, occurred_at=incident.started_at, body="Disk alarm")
    client = client_for(commander)
    md = client.get(reverse("incidents:postmortem_export_md", args=[incident.number])).getvalue().decode()
    assert "| Started | 2026-01-12 10:00 CET, UTC+01:00 |" in md
    assert "- 2026-01-12 10:00 CET, UTC+01:00 Disk alarm" in md
    assert "(times in Europe/Copenhagen" in md
    printed = client.get(reverse("incidents:postmortem_print", args=[incident.number])).content.decode()
    assert "2026-01-12 10:00 CET, UTC+01:00" in printed


def test_the_factor_forms_evidence_list_labels_entries_in_the_viewers_zone(client_for, commander, incident):
    commander.time_zone = "Europe/Copenhagen"
    commander.save()
    when = incident.started_at.replace(
        year=2026, month=7, day=12, hour=13, minute=55, second=0, microsecond=0
    )
    TimelineEntryFactory(incident=incident, occurred_at=when, body="Failover started")
    page = client_for(commander).get(reverse("incidents:factor_add", args=[incident.number])).content.decode()
    assert "2026-07-12 15:55 CEST Failover started" in page
    assert "+00:00" not in page


def test_pdf_of_a_postmortem_with_an_external_image_it_cannot_fetch_renders_without_it(
    client_for, pm, responder, incident, monkeypatch
):
    pytest.importorskip("weasyprint")
    import urllib.error
    import urllib.request

    fetched: list[str] = []

    def unreachable(self, url, *args, **kwargs):
        fetched.append(str(getattr(url, "full_url", url)))
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", unreachable)
    pm.sections = {
        **pm.sections,
        "summary": "The dashboard:\n\n![error rate](https://grafana.example.com/render/panel.png)\n\nAfter it.",
    }
    pm.save()
    response = client_for(responder).get(reverse("incidents:postmortem_export_pdf", args=[incident.number]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert fetched == ["https://grafana.example.com/render/panel.png"]  # one guarded attempt, no retry
