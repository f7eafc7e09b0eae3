"""Conflict forms merge three ways and never revert the other editor (incidents/merge.py): postmortem,
incident edit, action item and policy finding. Fields the submitter did not change take the current value; fields both
changed must be chosen; saving the re-shown form keeps both people's edits. The policy finding's edit page
is the action item's (followup.views.common.edit_page), so it merges the same way."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.merge import three_way
from incidents.models import ActionItem, Incident, PolicyFinding, Risk
from incidents.review.services import postmortems as services_postmortems
from incidents.timefmt import format_time
from tests.factories import ActionItemFactory, PolicyFindingFactory

pytestmark = pytest.mark.django_db


def _resubmit(response, **choices) -> dict:
    """What a browser posts when the user presses save on the re-shown form (plus any radio choices)."""
    form = response.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, datetime):
            value = (timezone.localtime(value) if timezone.is_aware(value) else value).strftime(
                "%Y-%m-%dT%H:%M"
            )
        elif isinstance(value, date):
            value = value.isoformat()
        data[name] = "" if value is None else getattr(value, "pk", value)
    if response.context.get("must_choose"):
        data["must_choose"] = response.context["must_choose"]
    data.update({f"keep_{k}": v for k, v in choices.items()})
    return data


def test_three_way_takes_theirs_for_untouched_fields_and_flags_both_changed():
    merge = three_way(
        base={"a": "1", "b": "1", "c": "1", "d": "1"},
        mine={"a": "1", "b": "mine", "c": "mine", "d": "same"},
        current={"a": "theirs", "b": "1", "c": "theirs", "d": "same"},
    )
    assert merge.values == {"a": "theirs", "b": "mine", "c": "mine", "d": "same"}
    assert merge.conflicts == {"c": ("mine", "theirs")}
    assert merge.theirs == ["a"]


@pytest.fixture
def pm(incident, commander):
    return services_postmortems.postmortem_start(incident=incident, actor=commander)


def test_postmortem_conflict_keeps_the_other_editors_section_and_saving_again_keeps_both(
    client_for, commander, responder, incident, pm
):
    url = reverse("incidents:postmortem_edit", args=[incident.number])
    loaded = client_for(responder).get(url)
    mine = _resubmit(loaded)
    theirs = {**_resubmit(client_for(commander).get(url)), "impact": "Six hours of changes lost."}
    assert client_for(commander).post(url, theirs).status_code == 302

    conflict = client_for(responder).post(url, {**mine, "summary": "The primary's data was removed."})
    assert conflict.status_code == 409
    again = _resubmit(conflict)
    assert again["impact"] == "Six hours of changes lost."  # not my stale copy
    assert again["summary"] == "The primary's data was removed."
    assert client_for(responder).post(url, again).status_code == 302
    pm.refresh_from_db()
    assert pm.sections["impact"] == "Six hours of changes lost."
    assert pm.sections["summary"] == "The primary's data was removed."


def test_a_section_both_changed_must_be_chosen_before_it_saves(
    client_for, commander, responder, incident, pm
):
    url = reverse("incidents:postmortem_edit", args=[incident.number])
    mine = _resubmit(client_for(responder).get(url))
    assert client_for(commander).post(url, {**mine, "impact": "Theirs"}).status_code == 302
    conflict = client_for(responder).post(url, {**mine, "impact": "Mine"})
    assert conflict.status_code == 409
    assert conflict.context["must_choose"] == "impact"
    assert "changed by both of you" in conflict.content.decode()

    unchosen = client_for(responder).post(url, _resubmit(conflict))
    assert unchosen.status_code == 409
    pm.refresh_from_db()
    assert pm.sections["impact"] == "Theirs"

    kept = client_for(responder).post(url, _resubmit(conflict, impact="theirs"))
    assert kept.status_code == 302
    pm.refresh_from_db()
    assert pm.sections["impact"] == "Theirs"
    chosen = _resubmit(conflict, impact="mine")
    chosen["version"] = pm.version
    assert client_for(responder).post(url, chosen).status_code == 302
    pm.refresh_from_db()
    assert pm.sections["impact"] == "Mine"


def test_incident_edit_conflict_does_not_revert_the_other_editors_title(
    client_for, commander, admin_user, incident
):
    url = reverse("incidents:edit", args=[incident.number])
    mine = _resubmit(client_for(commander).get(url))
    theirs = {**_resubmit(client_for(admin_user).get(url)), "title": "Their new title"}
    assert client_for(admin_user).post(url, theirs).status_code == 302

    conflict = client_for(commander).post(url, {**mine, "summary": "My summary"})
    assert conflict.status_code == 409
    again = _resubmit(conflict)
    assert again["title"] == "Their new title"
    assert client_for(commander).post(url, again).status_code == 302
    incident = Incident.objects.get(pk=incident.pk)
    assert (incident.title, incident.summary) == ("Their new title", "My summary")


def test_action_item_conflict_does_not_revert_the_other_editors_owner_field(
    client_for, commander, responder, incident
):
    item = ActionItemFactory(incident=incident, title="Hourly snapshots", description="")
    url = reverse("incidents:action_item_edit", args=[item.pk])
    mine = _resubmit(client_for(responder).get(url))
    theirs = {**_resubmit(client_for(commander).get(url)), "description": "Every database, every hour."}
    assert client_for(commander).post(url, theirs).status_code == 302

    conflict = client_for(responder).post(url, {**mine, "title": "Snapshots every hour"})
    assert conflict.status_code == 409
    again = _resubmit(conflict)
    assert again["description"] == "Every database, every hour."
    assert client_for(responder).post(url, again).status_code == 302
    item = ActionItem.objects.get(pk=item.pk)
    assert (item.title, item.description) == ("Snapshots every hour", "Every database, every hour.")


def test_two_people_editing_different_fields_of_a_finding_both_keep_their_change(
    client_for, commander, responder
):
    finding = PolicyFindingFactory(title="Shared admin password", description="", risk=Risk.MEDIUM)
    url = reverse("incidents:finding_edit", args=[finding.pk])
    mine = _resubmit(client_for(responder).get(url))
    theirs = {**_resubmit(client_for(commander).get(url)), "risk": Risk.HIGH}
    assert client_for(commander).post(url, theirs).status_code == 302

    conflict = client_for(responder).post(url, {**mine, "description": "One login for every admin."})
    assert conflict.status_code == 409
    assert "Updated by someone else" in conflict.content.decode()
    again = _resubmit(conflict)
    assert again["risk"] == Risk.HIGH  # theirs, not my stale copy
    assert again["description"] == "One login for every admin."
    assert client_for(responder).post(url, again).status_code == 302
    finding = PolicyFinding.objects.get(pk=finding.pk)
    assert (finding.risk, finding.description) == (Risk.HIGH, "One login for every admin.")


def test_both_changing_a_findings_title_shows_the_loser_the_current_title_and_asks_which_to_keep(
    client_for, commander, responder
):
    finding = PolicyFindingFactory(title="Shared admin password")
    url = reverse("incidents:finding_edit", args=[finding.pk])
    mine = _resubmit(client_for(responder).get(url))
    assert client_for(commander).post(url, {**mine, "title": "Shared root password"}).status_code == 302

    conflict = client_for(responder).post(url, {**mine, "title": "Admin password in the wiki"})
    assert conflict.status_code == 409
    body = conflict.content.decode()
    assert "changed by both of you" in body
    assert "Saved now: Shared root password" in body
    assert conflict.context["must_choose"] == "title"
    assert PolicyFinding.objects.get(pk=finding.pk).title == "Shared root password"

    unchosen = client_for(responder).post(url, _resubmit(conflict))
    assert unchosen.status_code == 409
    assert PolicyFinding.objects.get(pk=finding.pk).title == "Shared root password"
    assert client_for(responder).post(url, _resubmit(conflict, title="mine")).status_code == 302
    assert PolicyFinding.objects.get(pk=finding.pk).title == "Admin password in the wiki"


def test_an_incident_milestone_both_changed_is_offered_as_a_time_in_the_readers_zone(
    client_for, commander, admin_user, incident
):
    commander.time_zone = "America/New_York"
    commander.save()
    url = reverse("incidents:edit", args=[incident.number])
    with timezone.override(commander.time_zone):
        mine = _resubmit(client_for(commander).get(url))
    theirs = _resubmit(client_for(admin_user).get(url))
    start = incident.started_at
    admin_zone = ZoneInfo(admin_user.time_zone)
    their_start = start - timedelta(minutes=20)
    theirs["started_at"] = their_start.astimezone(admin_zone).strftime("%Y-%m-%dT%H:%M")
    assert client_for(admin_user).post(url, theirs).status_code == 302
    new_york = ZoneInfo("America/New_York")
    my_start = (start - timedelta(minutes=30)).replace(second=0, microsecond=0)
    conflict = client_for(commander).post(
        url, {**mine, "started_at": my_start.astimezone(new_york).strftime("%Y-%m-%dT%H:%M")}
    )
    assert conflict.status_code == 409
    html = conflict.content.decode()
    assert f"your time ({format_time(my_start, new_york)}) (in the form)" in html
    assert f"the current time ({format_time(their_start.replace(second=0, microsecond=0), new_york)})" in html
    assert "your text" not in html
