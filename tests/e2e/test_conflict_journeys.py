"""Two people edit the same postmortem and the same incident at once: the second to save gets the conflict,
sees the other's edit already merged in, saves again, and both edits survive."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import Incident, IncidentStatus, Postmortem
from incidents.review.services import postmortems as review_svc

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def started(incident, commander):
    incident.status = IncidentStatus.RESOLVED
    incident.resolved_at = timezone.now() - dt.timedelta(minutes=10)
    incident.save()
    return review_svc.postmortem_start(incident=incident, actor=commander, template=None)


def test_two_editors_of_one_postmortem_and_one_incident_both_keep_their_edits(
    live_server, browser, sign_in, shot, commander, responder, admin_user, incident, started
):
    first_ctx, second_ctx = browser.new_context(), browser.new_context()
    first, second = first_ctx.new_page(), second_ctx.new_page()
    sign_in(first, commander)
    sign_in(second, responder)

    # The postmortem: both open the editor on the same version.
    edit = f"{live_server.url}/incidents/{incident.number}/postmortem/edit/"
    first.goto(edit)
    second.goto(edit)
    second.get_by_role("textbox", name="Impact", exact=True).fill(
        "About 5,000 projects lost six hours of changes."
    )
    second.get_by_role("button", name="Save as version").click()
    expect(second.get_by_text("Postmortem saved.")).to_be_visible()

    first.get_by_role("textbox", name="Summary", exact=True).fill("The primary's data directory was removed.")
    first.get_by_role("button", name="Save as version").click()
    expect(first.get_by_role("alert")).to_contain_text("changed by someone else")
    # The other person's section is already in the form: pressing save does not revert it.
    expect(first.get_by_role("textbox", name="Impact", exact=True)).to_have_value(
        "About 5,000 projects lost six hours of changes."
    )
    expect(first.get_by_role("textbox", name="Summary", exact=True)).to_have_value(
        "The primary's data directory was removed."
    )
    shot(first, "conflict-postmortem-merged")
    first.get_by_role("button", name="Save as version").click()
    expect(first.get_by_text("Postmortem saved.")).to_be_visible()
    pm = Postmortem.objects.get(pk=started.pk)
    assert pm.sections["impact"] == "About 5,000 projects lost six hours of changes."
    assert pm.sections["summary"] == "The primary's data directory was removed."

    # The incident: the admin and the commander edit different fields of the same version.
    admin_ctx = browser.new_context()
    second = admin_ctx.new_page()
    sign_in(second, admin_user)
    edit = f"{live_server.url}/incidents/{incident.number}/edit/"
    first.goto(edit)
    second.goto(edit)
    second.get_by_label("Title").fill("Database replication lag and data loss")
    second.get_by_role("button", name="Save").click()
    expect(second.get_by_text("Incident saved.")).to_be_visible()

    first.get_by_label("Feature flag").fill("replication-v2")
    first.get_by_role("button", name="Save").click()
    expect(first.get_by_role("alert")).to_contain_text("changed by someone else")
    expect(first.get_by_label("Title")).to_have_value("Database replication lag and data loss")
    expect(first.get_by_label("Feature flag")).to_have_value("replication-v2")
    first.get_by_role("button", name="Save").click()
    expect(first.get_by_text("Incident saved.")).to_be_visible()
    shot(first, "conflict-incident-saved")
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.title, saved.feature_flag) == ("Database replication lag and data loss", "replication-v2")
    for ctx in (first_ctx, second_ctx, admin_ctx):
        ctx.close()
