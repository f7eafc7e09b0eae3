"""Follow-through journeys: an owner closes an action item; a finding is verified by someone else."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from incidents.models import ActionItemStatus, FindingStatus, PolicyFinding
from tests.factories import ActionItemFactory, PolicyFindingFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_owner_closes_an_action_item_with_a_completion_note(
    live_server, page, sign_in, shot, responder, incident
):
    item = ActionItemFactory(incident=incident, owner=responder, title="Add a confirmation step to db-wipe")
    sign_in(page, responder)
    page.goto(f"{live_server.url}/action-items/{item.pk}/")
    expect(page.get_by_role("heading", name="Add a confirmation step to db-wipe")).to_be_visible()
    page.get_by_label("Note").fill("The script now asks for the host name and refuses the primary.")
    page.get_by_role("button", name="Done", exact=True).click()
    expect(page.locator(".badge.status")).to_have_text("Done")
    expect(
        page.get_by_text("The script now asks for the host name and refuses the primary.").first
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Did it work?")).to_be_visible()
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE
    assert "refuses the primary" in item.completion_note
    shot(page, "action-item-done")


def test_access_control_finding_is_remediated_by_its_owner_and_verified_by_someone_else(
    live_server, browser, sign_in, shot, responder, commander, incident
):
    finding = PolicyFindingFactory(
        title="Production database writable by any engineer",
        description="One engineer could run destructive commands on production alone.",
        owner=responder,
        status=FindingStatus.OPEN,
    )
    finding.incidents.add(incident)
    url = f"{live_server.url}/findings/{finding.pk}/"
    owner_ctx, verifier_ctx = browser.new_context(), browser.new_context()
    owner, verifier = owner_ctx.new_page(), verifier_ctx.new_page()

    sign_in(owner, responder)
    owner.goto(url)
    status = owner.locator(".finding-status")
    expect(status).to_have_text("Open")
    owner.get_by_role("button", name="Mark remediating").click()
    expect(status).to_have_text("Remediating")

    # Remediated needs evidence: without it the page says so and nothing moves.
    owner.get_by_role("button", name="Mark remediated").click()
    expect(status).to_have_text("Remediating")
    owner.get_by_label("Evidence that it is fixed").fill(
        "Write access now needs a second approver (change CHG-88)."
    )
    owner.get_by_role("button", name="Mark remediated").click()
    expect(status).to_have_text("Remediated")
    expect(owner.locator("#verify")).to_contain_text("someone else must verify it")
    expect(owner.get_by_role("button", name="Verify the fix")).to_have_count(0)
    # Even a hand-made request from the owner is refused.
    token = owner.locator("#move input[name=csrfmiddlewaretoken]").input_value()
    refused = owner.request.post(
        f"{url}verify/",
        form={
            "csrfmiddlewaretoken": token,
            "version": str(finding_version(finding)),
            "evidence": "I checked it",
        },
        headers={"Referer": url},
    )
    assert refused.status < 500
    assert PolicyFinding.objects.get(pk=finding.pk).status == FindingStatus.REMEDIATED

    sign_in(verifier, commander)
    verifier.goto(url)
    verifier.get_by_label("Evidence you checked").fill("Tried a write as an ordinary engineer: refused.")
    verifier.get_by_role("button", name="Verify the fix").click()
    expect(verifier.locator(".finding-status")).to_have_text("Verified")
    expect(verifier.locator("dl.facts")).to_contain_text(f"by {commander}")

    owner.reload()
    expect(status).to_have_text("Verified")
    owner.get_by_role("button", name="Mark closed").click()
    expect(status).to_have_text("Closed")

    finding.refresh_from_db()
    assert finding.status == FindingStatus.CLOSED
    assert finding.verified_by == commander
    assert "second approver" in finding.evidence
    shot(owner, "finding-verified-closed")
    owner_ctx.close()
    verifier_ctx.close()


def finding_version(finding: PolicyFinding) -> int:
    return PolicyFinding.objects.values_list("version", flat=True).get(pk=finding.pk)
