"""Every XSS payload, stored in every Markdown field a page renders, runs no script in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Dialog, expect

from incidents.review.services import postmortems as review_svc
from tests.factories import ActionItemFactory, PolicyFindingFactory, TimelineEntryFactory
from tests.security.xss_corpus import PAYLOADS

pytestmark = pytest.mark.django_db(transaction=True)

# What a page may execute: only our vendored files. Anything else a payload left in the DOM is listed.
DOM_AUDIT = """() => {
  const bad = [];
  for (const s of document.querySelectorAll("script")) {
    const src = s.getAttribute("src") || "";
    if (!src.startsWith("/static/js/") || s.textContent.trim()) bad.push("script " + s.outerHTML.slice(0, 120));
  }
  for (const el of document.querySelectorAll("iframe, object, embed, base, meta[http-equiv], frame, frameset"))
    bad.push("element " + el.outerHTML.slice(0, 120));
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      const value = a.value.replace(/[\\s\\u0000-\\u001f]/g, "").toLowerCase();
      if (name.startsWith("on")) bad.push("handler " + name + " on " + el.tagName);
      if (/^(javascript|vbscript|data:text\\/html)/.test(value)) bad.push("url " + name + "=" + value.slice(0, 60));
      if ((name.startsWith("hx-") || name.startsWith("data-hx")) && value.includes("xss"))
        bad.push("htmx " + name + "=" + value);
    }
  }
  return {canary: window.__xss === undefined ? null : String(window.__xss), bad};
}"""


@pytest.fixture
def stored_everywhere(incident, commander, responder):
    """The whole corpus in the incident summary, a timeline entry, a postmortem section, an item and a finding."""
    text = "\n\n".join(PAYLOADS)
    incident.summary = text
    incident.customer_impact = text
    incident.save()
    TimelineEntryFactory(incident=incident, author=commander, body=text, is_key_moment=True)
    pm = review_svc.postmortem_start(incident=incident, actor=commander, template=None)
    review_svc.postmortem_save(
        postmortem=pm,
        actor=commander,
        sections={"summary": text, "lessons": text},
        expected_version=pm.version,
    )
    item = ActionItemFactory(
        incident=incident, owner=responder, title=PAYLOADS[0], description=text, success_criteria=text
    )
    finding = PolicyFindingFactory(title=PAYLOADS[1], description=text, evidence=text, owner=responder)
    finding.incidents.add(incident)
    n = incident.number
    return [
        f"/incidents/{n}/",
        f"/incidents/{n}/postmortem/",
        f"/incidents/{n}/postmortem/meeting/",
        f"/incidents/{n}/postmortem/version/",
        f"/action-items/{item.pk}/",
        f"/findings/{finding.pk}/",
    ]


@pytest.mark.console_errors_allowed(
    "the stored payloads point images at URLs that do not exist", matching=r"Failed to load resource: .* 404"
)
def test_no_payload_runs_script_on_any_page(live_server, page, sign_in, shot, commander, stored_everywhere):
    assert len(PAYLOADS) >= 30
    dialogs: list[str] = []
    fetched: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("request", lambda r: fetched.append(r.url) if "/xss-hx-" in r.url else None)  # htmx payloads
    sign_in(page, commander)

    for path in stored_everywhere:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        # The stored text is on the page (payload 7's link text survives sanitising); our scripts loaded.
        expect(page.locator("main")).to_contain_text("click me", timeout=5000)
        page.wait_for_function("() => window.htmx !== undefined")
        page.wait_for_timeout(400)  # onerror/onload/autofocus handlers and hx-trigger="load" fire by now
        audit = page.evaluate(DOM_AUDIT)
        assert audit["canary"] is None, (path, audit["canary"])
        assert audit["bad"] == [], (path, audit["bad"])
        assert dialogs == [], (path, dialogs)
        assert fetched == [], (path, fetched)
    shot(page, "xss-corpus-finding-page")
