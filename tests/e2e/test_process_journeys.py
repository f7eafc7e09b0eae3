"""Issue 21's journey: a team's own process. An admin defines a security incident type with its fields and a
rule that requires a postmortem, all in the app's settings pages; a responder declares one, fills the
fields, keeps stakeholders informed, attaches a screenshot, is held back from closing until the
postmortem is published, and finds the fields on the list filter, in Insights, the API and every export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from incidents.models import (
    Attachment,
    CustomField,
    Incident,
    IncidentStatus,
    IncidentType,
    ProcessRule,
    StakeholderUpdate,
)

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "Credential stuffing against the login API"
LIST_ADDRESS = "security-stakeholders@example.com"
SUMMARY = (
    "Login requests from a botnet reused leaked passwords; the API had no per-account rate limit, so "
    "about 40 accounts were taken over before the limit was added."
)


def _row(page, *cells: str):
    """The table row holding every one of `cells`."""
    row = page.locator("table.list tbody tr")
    for cell in cells:
        row = row.filter(has=page.get_by_role("cell", name=cell, exact=True))
    return row


def _download(page, link: str) -> str:
    """Click the link named `link` and return the text of the file the browser downloads."""
    with page.expect_download() as got:
        page.get_by_role("link", name=link, exact=True).click()
    return Path(got.value.path()).read_text(encoding="utf-8-sig")


def test_a_security_type_with_fields_and_a_postmortem_rule_from_settings_to_closing(
    live_server, browser, sign_in, shot, admin_user, responder, commander, viewer, eager_celery, mailoutbox
):
    base = live_server.url
    admin_ctx, rory_ctx, cora_ctx, vera_ctx = (browser.new_context() for _ in range(4))
    admin, rory, cora, vera = (c.new_page() for c in (admin_ctx, rory_ctx, cora_ctx, vera_ctx))

    # --- The admin: a type, its two fields, a rule and a stakeholder list, all in Settings. ---------------
    sign_in(admin, admin_user)
    admin.goto(f"{base}/settings/")
    admin.get_by_role("link", name="Incident types").click()
    admin.get_by_label("Name").fill("Security")
    admin.get_by_label("Default severity").select_option("SEV3")
    admin.get_by_label("Description").fill("Attacks, leaks and vulnerabilities.")
    admin.get_by_role("button", name="Add type").click()
    expect(admin.locator(".messages")).to_contain_text("Type Security added; now add the fields it asks for.")
    expect(admin.get_by_role("heading", name="Incident type Security")).to_be_visible()

    admin.get_by_label("Label").fill("Attack vector")
    admin.get_by_label("Kind").select_option(label="Single select")
    admin.get_by_label("Options").fill("Phishing\nCredential stuffing\nSupply chain")
    admin.get_by_label("Required").check()
    admin.get_by_role("button", name="Add field").click()
    expect(admin.locator(".messages")).to_contain_text("Field Attack vector added.")
    admin.get_by_label("Label").fill("CVE")
    admin.get_by_label("Kind").select_option(label="Text")
    admin.get_by_label("Help text").fill("The CVE id, if one applies.")
    admin.get_by_role("button", name="Add field").click()
    expect(admin.locator(".messages")).to_contain_text("Field CVE added.")
    fields = admin.locator("table.list tbody tr")
    expect(fields).to_have_count(2)
    expect(fields.nth(0)).to_contain_text("Attack vector")
    expect(fields.nth(0)).to_contain_text("Phishing, Credential stuffing, Supply chain")
    expect(fields.nth(1)).to_contain_text("CVE")
    shot(admin, "process-admin-type-fields")

    admin.goto(f"{base}/settings/")
    admin.get_by_role("link", name="Process rules").click()
    rule_row = _row(admin, "Security", "SEV3")
    expect(rule_row.get_by_role("cell").nth(2)).to_have_text("—")  # SEV3 needs no postmortem by default
    rule_row.get_by_role("link", name="Edit").click()
    admin.get_by_label("Postmortem required").check()
    admin.get_by_label("Postmortem due (business days after resolve)").fill("3")
    admin.get_by_role("button", name="Save rule").click()
    expect(admin.locator(".messages")).to_contain_text("Rule for Security SEV3 saved.")
    expect(_row(admin, "Security", "SEV3")).to_contain_text("required, due 3 business days after resolve")
    kind = IncidentType.objects.get(slug="security")
    assert ProcessRule.objects.get(incident_type=kind, severity="SEV3").postmortem_required

    admin.goto(f"{base}/settings/")
    admin.get_by_role("link", name="Severity mailing lists").click()
    admin.get_by_label("SEV3 (minor)").fill(LIST_ADDRESS)
    admin.get_by_role("button", name="Save").click()
    expect(admin.locator(".messages")).to_contain_text("Mailing lists saved.")

    # --- Rory declares a security incident; the type's fields appear when he picks it. -------------------
    sign_in(rory, responder)
    rory.get_by_role("link", name="Declare incident").click()
    rory.get_by_label("Title").fill(TITLE)
    expect(rory.get_by_label("Attack vector")).to_have_count(0)
    rory.get_by_label("Type").select_option(label="Security (SEV3)")
    expect(rory.get_by_label("Attack vector")).to_be_visible()
    rory.get_by_label("Attack vector").select_option("Credential stuffing")
    rory.get_by_label("CVE").fill("CVE-2026-31337")
    rory.get_by_role("button", name="Declare").click()
    expect(rory.get_by_role("heading", name=TITLE)).to_be_visible()
    incident = Incident.objects.get(title=TITLE)
    assert (incident.incident_type, incident.severity) == (kind, "SEV3")
    card = rory.locator("#custom-fields")
    expect(card.get_by_role("heading")).to_have_text("Security fields")
    expect(card).to_contain_text("Credential stuffing")
    expect(card).to_contain_text("CVE-2026-31337")
    process = rory.locator("#process")
    expect(process).to_contain_text("Postmortem published")
    expect(process.locator(".step-blocked")).to_contain_text("Waits for the postmortem to be published")
    incident_url = f"{base}/incidents/{incident.number}/"

    # Vera, a stakeholder, follows it; Cora (who will review the postmortem) does not.
    sign_in(vera, viewer)
    vera.goto(incident_url)
    vera.get_by_role("button", name="Follow").click()
    expect(vera.locator(".messages")).to_contain_text(re.compile("follow", re.I))

    # --- Two stakeholder updates: each reaches each recipient exactly once. ------------------------------
    def update_mails() -> dict[str, list[str]]:
        sent: dict[str, list[str]] = {}
        for m in mailoutbox:
            if "Update" in m.subject or "update" in m.subject:
                for address in m.to:
                    sent.setdefault(address, []).append(m.subject)
        return sent

    mailoutbox.clear()
    updates = rory.locator("#updates")
    for status, impact, doing in (
        ("Investigating", "Some customers were signed out.", "Blocking the botnet's addresses."),
        ("Monitoring", "No new account takeovers since 14:00.", "A per-account rate limit is live."),
    ):
        rory.goto(incident_url)
        if not updates.get_by_label("Customer impact").is_visible():
            updates.get_by_text("Post an update…").click()
        updates.get_by_label("Status").select_option(label=status)
        updates.get_by_label("Customer impact").fill(impact)
        updates.get_by_label("What we are doing").fill(doing)
        updates.get_by_role("button", name="Post update").click()
        expect(rory.locator("#updates")).to_contain_text(impact)
    expect(rory.locator("#updates .stakeholder-update")).to_have_count(2)
    assert StakeholderUpdate.objects.filter(incident=incident).count() == 2
    sent = update_mails()
    assert set(sent) == {viewer.email, LIST_ADDRESS}, (
        sent
    )  # not Rory, who posted; not Cora, who follows nothing
    assert all(len(subjects) == 2 and len(set(subjects)) == 2 for subjects in sent.values()), sent
    bodies = [m.body for m in mailoutbox if viewer.email in m.to]
    assert "Blocking the botnet's addresses." in bodies[0]
    assert "A per-account rate limit is live." in bodies[1]

    # --- A screenshot of the page goes up as an attachment and shows inline. -------------------------------
    picture = shot(rory, "process-incident-before-upload")
    rory.get_by_label("File or screenshot").set_input_files(str(picture))
    rory.locator("#attachments").get_by_role("button", name="Upload").click()
    attachments = rory.locator("#attachments")
    expect(attachments).to_contain_text("1 attachment")
    expect(attachments.get_by_role("img", name=picture.name)).to_be_visible()
    assert Attachment.objects.get(incident=incident).name == picture.name
    thumbnail = attachments.locator("img.attachment-thumbnail")
    thumbnail.scroll_into_view_if_needed()  # it loads lazily: in view, then wait for its decoding
    assert thumbnail.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0  # loaded and decoded
    attachments.screenshot(path=str(picture.with_name("process-attachment-card.png")), caret="initial")

    # --- Resolved, it cannot close: the page says why. ----------------------------------------------------
    rory.get_by_role("button", name="Resolve").click()
    expect(rory.locator("#incident-head .badge.status")).to_have_text("Resolved")
    rory.get_by_role("button", name="Move to closed").click()
    expect(rory.locator(".messages")).to_contain_text(
        f"{incident.reference} needs its postmortem published before it closes (the process rule for SEV3 "
        "Security incidents); publish it, or have it waived with a reason."
    )
    expect(rory.locator("#incident-head .badge.status")).to_have_text("Resolved")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    shot(rory, "process-close-refused")

    # --- The fields on the list filter, in Insights, the API and the exports. -----------------------------
    rory.get_by_role("link", name="Incidents", exact=True).click()
    rory.get_by_label("Type").select_option(label="Security")
    # The type's own filters come in as soon as it is picked, before filtering.
    expect(rory.get_by_label("Attack vector")).to_be_visible()
    expect(rory.get_by_label("CVE")).to_be_visible()
    expect(rory.get_by_label("Type")).to_have_value("security")
    assert rory.url == f"{base}/incidents/"
    rory.get_by_label("Attack vector").select_option("Credential stuffing")
    rory.get_by_role("button", name="Filter").click()
    expect(rory.locator("tbody tr")).to_have_count(1)
    expect(rory.locator("tbody tr")).to_contain_text(f"{incident.reference} {TITLE} Security")
    rory.get_by_label("Attack vector").select_option("Phishing")
    rory.get_by_role("button", name="Filter").click()
    expect(rory.get_by_text("No incidents match these filters.")).to_be_visible()
    rory.get_by_label("Attack vector").select_option("Credential stuffing")
    rory.get_by_role("button", name="Filter").click()
    rows = list(csv.DictReader(io.StringIO(_download(rory, "Download CSV"))))
    assert [r["title"] for r in rows] == [TITLE], rows
    assert (rows[0]["Security: Attack vector"], rows[0]["Security: CVE"]) == (
        "Credential stuffing",
        "CVE-2026-31337",
    ), rows[0]

    rory.goto(f"{base}/insights/")
    rory.get_by_label("Group by field").select_option(label="Security: Attack vector")
    rory.get_by_label("Field value").fill("credential stuffing")
    rory.get_by_role("button", name="Show").click()
    figure = rory.locator("#durations-custom-field")
    expect(figure).to_contain_text("Response times by Attack vector (Security incidents)")
    expect(figure.get_by_role("cell", name="Credential stuffing").first).to_be_visible()
    expect(figure.get_by_role("cell", name="Phishing")).to_have_count(0)
    shot(rory, "process-insights-by-attack-vector")

    api = rory.request.get(f"{base}/api/v1/incidents/{incident.number}/")
    assert api.status == 200, api.text()
    assert api.json()["custom_fields"] == [
        {"key": "attack_vector", "label": "Attack vector", "kind": "select", "value": "Credential stuffing"},
        {"key": "cve", "label": "CVE", "kind": "text", "value": "CVE-2026-31337"},
    ]
    found = rory.request.get(
        f"{base}/api/v1/incidents/?type=security&custom_field=attack_vector:Credential%20stuffing"
    )
    assert [i["number"] for i in found.json()["results"]] == [incident.number]
    refused = rory.request.get(f"{base}/api/v1/incidents/?type=security&custom_field=vector:Worm")
    assert refused.status == 400, refused.text()
    assert refused.json()["custom_field"] == ["No incident type has a field “vector”."]

    # The postmortem: its exports carry the fields; once Cora approves and Rory publishes, it closes.
    rory.goto(incident_url)
    rory.locator("#postmortem-summary").get_by_role("link", name="Start the postmortem").click()
    rory.get_by_role("button", name="Start the postmortem").click()
    rory.get_by_role("textbox", name="Summary", exact=True).fill(SUMMARY)
    rory.get_by_role("button", name="Save as version").click()
    expect(rory.locator("#section-summary")).to_contain_text("no per-account rate limit")
    markdown = _download(rory, "Markdown")
    assert "## Security fields" in markdown
    assert "| Attack vector | Credential stuffing |" in markdown
    assert "| CVE | CVE-2026-31337 |" in markdown
    document = json.loads(_download(rory, "JSON"))
    assert {f["key"]: f["value"] for f in document["incident"]["custom_fields"]} == {
        "attack_vector": "Credential stuffing",
        "cve": "CVE-2026-31337",
    }

    review = rory.locator("#review")
    review.get_by_label(str(commander)).check()
    review.get_by_role("button", name="Request review").click()
    expect(rory.locator(".pm-status")).to_have_text("In review")
    sign_in(cora, commander)
    cora.goto(f"{incident_url}postmortem/")
    cora.get_by_role("button", name=re.compile("Approve version")).click()
    expect(cora.locator(".pm-status")).to_have_text("Approved")
    rory.reload()
    rory.once("dialog", lambda d: d.accept())
    rory.get_by_role("button", name="Publish").click()
    expect(rory.locator(".pm-status")).to_have_text("Published")

    rory.goto(incident_url)
    expect(rory.locator("#process .step-done")).to_contain_text(["Postmortem published"])
    rory.get_by_role("button", name="Move to closed").click()
    expect(rory.locator(".messages")).to_contain_text("Status changed.")
    expect(rory.locator("#incident-head .badge.status")).to_have_text("Closed")
    expect(rory.locator("#process")).not_to_contain_text("waiting")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED
    assert CustomField.objects.filter(incident_type=kind).count() == 2
    shot(rory, "process-closed-after-publishing")
    for ctx in (admin_ctx, rory_ctx, cora_ctx, vera_ctx):
        ctx.close()


def test_a_required_postmortem_waived_with_a_reason_lets_the_incident_close(
    live_server, browser, sign_in, shot, commander, admin_user, incident
):
    """The other way out: an admin waives the postmortem on the incident page, the checklist says who and
    why, and the commander may close."""
    incident.severity = "SEV2"  # the default rule: SEV1 and SEV2 require a postmortem
    incident.status = IncidentStatus.RESOLVED
    incident.resolved_at = incident.started_at + dt.timedelta(hours=1)
    incident.save()
    url = f"{live_server.url}/incidents/{incident.number}/"
    cora_ctx, ada_ctx = browser.new_context(), browser.new_context()
    cora, ada = cora_ctx.new_page(), ada_ctx.new_page()

    sign_in(cora, commander)
    cora.goto(url)
    expect(cora.get_by_text("Waive the postmortem…")).to_have_count(0)  # the commander may not waive it
    cora.get_by_role("button", name="Move to closed").click()
    expect(cora.locator(".messages")).to_contain_text("needs its postmortem published before it closes")

    sign_in(ada, admin_user)
    ada.goto(url)
    process = ada.locator("#process")
    process.get_by_text("Waive the postmortem…").click()
    process.get_by_label("Why no postmortem is needed").fill("A duplicate of INC-3; reviewed there.")
    process.get_by_role("button", name="Waive postmortem").click()
    expect(ada.locator(".messages")).to_contain_text("Postmortem waived.")
    expect(process.locator(".step-waived")).to_contain_text(
        "Waived by Ada Admin: A duplicate of INC-3; reviewed there."
    )

    cora.goto(url)
    cora.get_by_role("button", name="Move to closed").click()
    expect(cora.locator(".messages")).to_contain_text("Status changed.")
    expect(cora.locator("#incident-head .badge.status")).to_have_text("Closed")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED
    assert incident.postmortem_waived_by == admin_user
    shot(cora, "process-closed-after-waiver")
    for ctx in (cora_ctx, ada_ctx):
        ctx.close()
