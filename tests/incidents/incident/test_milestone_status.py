"""A milestone edit never contradicts the status (issue 16): a resolved incident keeps its resolution time
(moved, not cleared: Reopen undoes it), an open one gets a resolution time only from Resolve, and an
incident that was mitigated (monitoring or resolved) keeps its mitigation time. The same rule answers the
API (400 on the field) and the web edit form (the error beside the field), for backfilled incidents too.
Acknowledgement and mitigation have timeline rows that move with them, as detection and resolution do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from incidents.incident.services.declare import incident_declare
from incidents.incident.services.edits import incident_update
from incidents.incident.services.lifecycle import incident_change_status, incident_reopen, incident_resolve
from incidents.models import ACTIVE_STATUSES, Incident, IncidentStatus
from incidents.review.exports import export_markdown
from incidents.review.services.postmortems import postmortem_start

pytestmark = pytest.mark.django_db
S = IncidentStatus
TODAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 2, 22, 30, tzinfo=UTC)  # backfilled: four weeks before it is recorded


def _minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def _backfilled(commander, status: str) -> Incident:
    """An incident recorded weeks later, each state change at its real time, brought to `status`."""
    incident = incident_declare(
        # SEV3: its process rule requires no postmortem, so it closes without one.
        actor=commander, title=f"Backfilled {status}", severity="SEV3", started_at=T0,
        detected_at=_minutes(5), declared_at=_minutes(8),
    )  # fmt: skip
    plan: dict[str, list[tuple[str, int]]] = {
        S.INVESTIGATING: [],
        S.IDENTIFIED: [(S.IDENTIFIED, 30)],
        S.MONITORING: [(S.IDENTIFIED, 30), (S.MONITORING, 60)],
        S.RESOLVED: [(S.MONITORING, 60), (S.RESOLVED, 120)],
        S.POSTMORTEM: [(S.MONITORING, 60), (S.RESOLVED, 120), (S.POSTMORTEM, 130)],
        S.CLOSED: [(S.RESOLVED, 120), (S.CLOSED, 140)],
    }
    for step, minute in plan[status]:
        incident_change_status(incident=incident, actor=commander, status=step, at=_minutes(minute))
    incident.refresh_from_db()
    assert incident.status == status
    return incident


def _rows(incident: Incident) -> list[tuple[datetime, str]]:
    return [
        (e.occurred_at, e.body) for e in incident.timeline_entries.visible().order_by("occurred_at", "id")
    ]


def _refusal(status: str, milestone: str, value: datetime | None) -> str | None:
    """What the rule says of setting `milestone` to `value` at `status`: the word the refusal must name
    (the action to take instead), or None when the edit is allowed."""
    resolved = status not in ACTIVE_STATUSES
    if milestone == "resolved_at":
        if resolved and value is None:
            return "reopen"
        if not resolved and value is not None:
            return "Resolve"
    if milestone == "mitigated_at" and value is None and (resolved or status == S.MONITORING):
        return "reopen it" if resolved else "back to Investigating"
    return None


NEW_VALUES = {
    "detected_at": _minutes(3),
    "acknowledged_at": _minutes(12),
    "mitigated_at": _minutes(50),
    "resolved_at": _minutes(110),
}
CASES = [
    (status, milestone, value)
    for status in S.values
    for milestone, moved in NEW_VALUES.items()
    for value in (moved, None)
]


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(("status", "milestone", "value"), CASES)
def test_every_milestone_edit_at_every_status_agrees_with_the_status_or_is_refused_saying_what_to_do(
    commander, status, milestone, value
):
    incident = _backfilled(commander, status)
    version, rows = incident.version, _rows(incident)
    refusal = _refusal(status, milestone, value)
    if refusal is None:
        incident_update(incident=incident, actor=commander, **{milestone: value})
    else:
        with pytest.raises(ValidationError) as exc:
            incident_update(incident=incident, actor=commander, **{milestone: value})
        assert list(exc.value.message_dict) == [milestone]
        assert refusal in exc.value.message_dict[milestone][0]
    incident.refresh_from_db()
    if refusal is not None:
        assert (incident.version, _rows(incident)) == (version, rows)
    else:
        assert getattr(incident, milestone) == value
    # Whatever happened, the milestones agree with the status.
    assert (incident.status not in ACTIVE_STATUSES) == (incident.resolved_at is not None)
    if incident.status not in (S.INVESTIGATING, S.IDENTIFIED):
        assert incident.mitigated_at is not None


@time_machine.travel(TODAY, tick=False)
def test_clearing_the_resolution_through_the_api_is_refused_and_the_incident_stays_whole(api_for, commander):
    incident = incident_declare(
        actor=commander, title="Cache", severity="SEV2", started_at=T0, detected_at=_minutes(5),
        declared_at=_minutes(6),
    )  # fmt: skip
    incident_resolve(incident=incident, actor=commander, at=_minutes(90))
    api = api_for(commander)
    path = f"/api/v1/incidents/{incident.number}/"
    response = api.patch(path, {"resolved_at": None}, format="json")
    assert response.status_code == 400
    message = response.json()["resolved_at"][0]
    assert "Reopen" in message
    shown = api.get(path).json()
    assert shown["status"] == "resolved"
    assert shown["resolved_at"] == "2026-11-03T00:00:00Z"
    incident.refresh_from_db()
    assert incident.resolved_at == _minutes(90)
    assert (incident.mitigated_at, incident.mitigated_at_auto) == (_minutes(90), True)
    assert (_minutes(90), "Incident resolved") in _rows(incident)
    # Moving the resolution stays allowed, and the automatic mitigation moves with it.
    moved = api.patch(path, {"resolved_at": "2026-11-03T00:10:00Z"}, format="json")
    assert moved.status_code == 200, moved.json()
    assert moved.json()["mitigated_at"] == "2026-11-03T00:10:00Z"
    assert (_minutes(100), "Incident resolved") in _rows(Incident.objects.get(pk=incident.pk))
    # Reopen is the way to make it unresolved.
    reopened = api.post(
        path + "reopen/", {"reason": "Came back", "at": "2026-11-03T01:00:00Z"}, format="json"
    )
    assert reopened.status_code == 200
    assert reopened.json()["resolved_at"] is None


@time_machine.travel(TODAY, tick=False)
def test_a_resolution_time_on_an_open_incident_is_refused_and_resolve_takes_its_own_time(api_for, commander):
    incident = incident_declare(
        actor=commander, title="Queue", severity="SEV3", started_at=T0, declared_at=_minutes(6)
    )
    api = api_for(commander)
    path = f"/api/v1/incidents/{incident.number}/"
    response = api.patch(path, {"resolved_at": "2026-11-03T00:00:00Z"}, format="json")
    assert response.status_code == 400
    assert "Resolve" in response.json()["resolved_at"][0]
    shown = api.get(path).json()
    assert (shown["status"], shown["resolved_at"]) == ("investigating", None)
    resolved = api.post(path + "resolve/", {"at": "2026-11-03T00:20:00Z"}, format="json")
    assert resolved.status_code == 200
    assert resolved.json()["resolved_at"] == "2026-11-03T00:20:00Z"


@time_machine.travel(TODAY, tick=False)
def test_the_web_edit_form_says_beside_the_field_to_reopen_or_to_resolve(client_for, commander):
    commander.time_zone = "Europe/Copenhagen"
    commander.save()
    open_one = _backfilled(commander, S.IDENTIFIED)
    resolved = _backfilled(commander, S.RESOLVED)
    client = client_for(commander)

    def post(incident: Incident, resolved_at: str):
        local = {
            m: getattr(incident, m) for m in ("started_at", "detected_at", "acknowledged_at", "mitigated_at")
        }
        data = {
            "title": incident.title, "summary": "", "customer_impact": "", "detection_method": "",
            "visibility": "internal", "chat_channel_url": "", "dashboard_url": "", "change_url": "",
            "feature_flag": "", "version": incident.version, "resolved_at": resolved_at,
            **{k: v.astimezone(commander.tzinfo).strftime("%Y-%m-%dT%H:%M") if v else "" for k, v in local.items()},
        }  # fmt: skip
        return client.post(reverse("incidents:edit", args=[incident.number]), data)

    refused = post(resolved, "")
    assert refused.status_code == 200
    assert "reopen it (Reopen, with a reason)" in refused.context["form"].errors["resolved_at"][0]
    assert "reopen it (Reopen, with a reason)" in refused.content.decode()
    refused = post(open_one, "2026-11-03T01:00")
    assert refused.status_code == 200
    assert "Use Resolve" in refused.context["form"].errors["resolved_at"][0]
    for incident, status in ((resolved, S.RESOLVED), (open_one, S.IDENTIFIED)):
        before = incident.resolved_at
        incident.refresh_from_db()
        assert (incident.status, incident.resolved_at) == (status, before)
    # Moving the resolution time of the resolved one goes through.
    assert post(resolved, "2026-11-03T01:15").status_code == 302
    resolved.refresh_from_db()
    assert resolved.resolved_at == datetime(2026, 11, 3, 0, 15, tzinfo=UTC)


@time_machine.travel(TODAY, tick=False)
def test_acknowledgement_and_mitigation_get_rows_that_move_with_them_and_go_when_cleared(api_for, commander):
    incident = incident_declare(
        actor=commander, title="Disk", severity="SEV2", started_at=T0, detected_at=_minutes(5),
        declared_at=_minutes(6),
    )  # fmt: skip
    api = api_for(commander)
    path = f"/api/v1/incidents/{incident.number}/"
    set_both = {"acknowledged_at": "2026-11-02T22:40:00Z", "mitigated_at": "2026-11-02T23:10:00Z"}
    assert api.patch(path, set_both, format="json").status_code == 200
    rows = _rows(incident)
    assert (_minutes(10), "Acknowledged") in rows
    assert (_minutes(40), "Mitigated") in rows
    moved = {"acknowledged_at": "2026-11-02T22:45:00Z", "mitigated_at": "2026-11-02T23:20:00Z"}
    assert api.patch(path, moved, format="json").status_code == 200
    rows = _rows(incident)
    assert [r for r in rows if r[1] in ("Acknowledged", "Mitigated")] == [
        (_minutes(15), "Acknowledged"),
        (_minutes(50), "Mitigated"),
    ]
    correction = [b for _, b in rows if b.startswith("Milestones edited")][-1]
    assert "its “Acknowledged” row moved with it" in correction
    assert "its “Mitigated” row moved with it" in correction
    assert api.patch(path, {"acknowledged_at": None, "mitigated_at": None}, format="json").status_code == 200
    assert [r for r in _rows(incident) if r[1] in ("Acknowledged", "Mitigated")] == []


@time_machine.travel(TODAY, tick=False)
def test_the_markdown_export_says_the_mitigation_time_was_set_automatically(commander):
    incident = incident_declare(
        actor=commander, title="Auto", severity="SEV3", started_at=T0, detected_at=_minutes(5),
        declared_at=_minutes(6),
    )  # fmt: skip
    incident_resolve(incident=incident, actor=commander, at=_minutes(75))
    incident.refresh_from_db()
    postmortem = postmortem_start(incident=incident, actor=commander)
    text = export_markdown(postmortem, UTC, viewer=commander)
    assert "| Time to mitigate | 1 h 15 min (mitigation time set automatically at resolution) |" in text


def _mitigation_rows(incident: Incident) -> list[tuple[datetime, str]]:
    return [r for r in _rows(incident) if r[1].startswith("Mitigated")]


AT_MONITORING = "automatic, with the move to Monitoring"
AT_RESOLUTION = "automatic, the resolution time (no mitigation time was given)"
# Each sequence from a declaration at minute 8 (investigating): the steps at their minutes, then the
# mitigation rows the timeline shows and the mitigation time (minute, automatic) the incident keeps.
SEQUENCES: dict[str, tuple[list[tuple[str, int]], list[tuple[int, str]], tuple[int, bool]]] = {
    "resolved straight from investigating": (
        [(S.RESOLVED, 30)],
        [(30, f"Mitigated: {AT_RESOLUTION}")],
        (30, True),
    ),
    "resolved, reopened, resolved": (
        [(S.RESOLVED, 30), ("reopen", 40), (S.RESOLVED, 90)],
        [(30, f"Mitigated: {AT_RESOLUTION}"), (90, f"Mitigated (2nd time): {AT_RESOLUTION}")],
        (90, True),
    ),
    "monitoring, then resolved": (
        [(S.MONITORING, 20), (S.RESOLVED, 50)],
        [(20, f"Mitigated: {AT_MONITORING}")],
        (20, False),
    ),
    "monitoring, investigating, monitoring": (
        [(S.MONITORING, 20), (S.INVESTIGATING, 30), (S.MONITORING, 45)],
        [(20, f"Mitigated: {AT_MONITORING}"), (45, f"Mitigated (2nd time): {AT_MONITORING}")],
        (45, False),
    ),
    "monitoring, identified, resolved": (
        [(S.MONITORING, 20), (S.IDENTIFIED, 30), (S.RESOLVED, 60)],
        [(20, f"Mitigated: {AT_MONITORING}"), (60, f"Mitigated (2nd time): {AT_RESOLUTION}")],
        (60, True),
    ),
    "monitoring, resolved, reopened, monitoring, resolved": (
        [(S.MONITORING, 20), (S.RESOLVED, 30), ("reopen", 40), (S.MONITORING, 50), (S.RESOLVED, 70)],
        [(20, f"Mitigated: {AT_MONITORING}"), (50, f"Mitigated (2nd time): {AT_MONITORING}")],
        (50, False),
    ),
    "identified, then resolved": (
        [(S.IDENTIFIED, 20), (S.RESOLVED, 35)],
        [(35, f"Mitigated: {AT_RESOLUTION}")],
        (35, True),
    ),
}


@pytest.mark.parametrize("name", SEQUENCES)
@time_machine.travel(TODAY, tick=False)
def test_every_automatic_mitigation_writes_one_numbered_row_that_says_it_is_automatic(
    name, client_for, commander
):
    steps, rows, (minute, automatic) = SEQUENCES[name]
    incident = incident_declare(
        actor=commander, title=name, severity="SEV3", started_at=T0, detected_at=_minutes(5),
        declared_at=_minutes(8),
    )  # fmt: skip
    for step, at in steps:
        if step == "reopen":
            incident_reopen(incident=incident, actor=commander, reason="errors again", at=_minutes(at))
        elif step == S.RESOLVED:
            incident_resolve(incident=incident, actor=commander, at=_minutes(at))
        else:
            incident_change_status(incident=incident, actor=commander, status=step, at=_minutes(at))
    incident.refresh_from_db()
    assert _mitigation_rows(incident) == [(_minutes(m), body) for m, body in rows]
    assert (incident.mitigated_at, incident.mitigated_at_auto) == (_minutes(minute), automatic)
    # The incident page shows each row, and the mitigation that stands at the latest row's time.
    commander.time_zone = "UTC"
    commander.save()
    html = client_for(commander).get(reverse("incidents:detail", args=[incident.number])).content.decode()
    for _, body in rows:
        assert body in html


@time_machine.travel(TODAY, tick=False)
def test_leaving_monitoring_for_investigating_clears_the_mitigation_and_its_row_says_so(commander):
    incident = _backfilled(commander, S.MONITORING)  # mitigated at 60
    incident_change_status(incident=incident, actor=commander, status=S.INVESTIGATING, at=_minutes(70))
    incident.refresh_from_db()
    assert incident.mitigated_at is None
    assert (_minutes(70), "Status changed from Monitoring to Investigating: no longer mitigated") in _rows(
        incident
    )
    assert incident.history.filter(mitigated_at=_minutes(60)).exists()


@time_machine.travel(TODAY, tick=False)
def test_a_mitigation_given_by_hand_gets_a_plain_row_and_monitoring_then_writes_none(commander):
    incident = _backfilled(commander, S.IDENTIFIED)
    incident = incident_update(incident=incident, actor=commander, mitigated_at=_minutes(40))
    incident_change_status(incident=incident, actor=commander, status=S.MONITORING, at=_minutes(45))
    incident.refresh_from_db()
    assert _mitigation_rows(incident) == [(_minutes(40), "Mitigated")]
    assert (incident.mitigated_at, incident.mitigated_at_auto) == (_minutes(40), False)


@time_machine.travel(TODAY, tick=False)
def test_an_automatic_mitigation_moved_by_hand_is_no_longer_marked_automatic(commander):
    incident = _backfilled(commander, S.MONITORING)  # mitigated at 60, automatically
    incident = incident_update(incident=incident, actor=commander, mitigated_at=_minutes(55))
    assert _mitigation_rows(incident) == [(_minutes(55), "Mitigated")]
    correction = [b for _, b in _rows(incident) if b.startswith("Milestones edited")][-1]
    assert "its “Mitigated” row moved with it" in correction


@time_machine.travel(TODAY, tick=False)
def test_a_mitigation_after_a_reopening_gets_its_own_numbered_row_that_follows_the_milestone(commander):
    incident = _backfilled(commander, S.RESOLVED)  # monitoring (mitigated) at 60, resolved at 120
    incident_reopen(incident=incident, actor=commander, reason="errors again", at=_minutes(150))
    incident_resolve(incident=incident, actor=commander, at=_minutes(200))
    incident.refresh_from_db()
    assert (incident.mitigated_at, incident.mitigated_at_auto) == (_minutes(200), True)
    # The first mitigation's row stays where it happened; the mitigation that stands has its own row.
    assert _mitigation_rows(incident) == [
        (_minutes(60), f"Mitigated: {AT_MONITORING}"),
        (_minutes(200), f"Mitigated (2nd time): {AT_RESOLUTION}"),
    ]
    # The automatic mitigation follows its resolution, and its row follows it, still automatic.
    incident = incident_update(incident=incident, actor=commander, resolved_at=_minutes(210))
    assert (incident.mitigated_at, incident.mitigated_at_auto) == (_minutes(210), True)
    assert _mitigation_rows(incident)[-1] == (_minutes(210), f"Mitigated (2nd time): {AT_RESOLUTION}")
    # Set by hand, it is no longer automatic; its row moves with it, the first one stays.
    incident = incident_update(incident=incident, actor=commander, mitigated_at=_minutes(190))
    assert (incident.mitigated_at, incident.mitigated_at_auto) == (_minutes(190), False)
    assert _mitigation_rows(incident) == [
        (_minutes(60), f"Mitigated: {AT_MONITORING}"),
        (_minutes(190), "Mitigated (2nd time)"),
    ]


@time_machine.travel(TODAY, tick=False)
def test_monitoring_again_after_a_reopening_numbers_its_row_and_an_edit_moves_that_one(commander):
    incident = _backfilled(commander, S.RESOLVED)
    incident_reopen(incident=incident, actor=commander, reason="errors again", at=_minutes(150))
    incident_change_status(incident=incident, actor=commander, status=S.MONITORING, at=_minutes(170))
    incident.refresh_from_db()
    assert _mitigation_rows(incident) == [
        (_minutes(60), f"Mitigated: {AT_MONITORING}"),
        (_minutes(170), f"Mitigated (2nd time): {AT_MONITORING}"),
    ]
    incident = incident_update(incident=incident, actor=commander, mitigated_at=_minutes(175))
    assert _mitigation_rows(incident) == [
        (_minutes(60), f"Mitigated: {AT_MONITORING}"),
        (_minutes(175), "Mitigated (2nd time)"),
    ]
    # Resolved again: the mitigation was recorded (not automatic), so no further row.
    incident_resolve(incident=incident, actor=commander, at=_minutes(200))
    incident.refresh_from_db()
    assert (incident.mitigated_at, incident.mitigated_at_auto) == (_minutes(175), False)
    assert len(_mitigation_rows(incident)) == 2


@time_machine.travel(TODAY, tick=False)
def test_the_incident_page_shows_the_standing_mitigation_at_its_time(client_for, commander):
    incident = _backfilled(commander, S.RESOLVED)
    incident_reopen(incident=incident, actor=commander, reason="errors again", at=_minutes(150))
    incident_resolve(incident=incident, actor=commander, at=_minutes(200))
    commander.time_zone = "UTC"
    commander.save()
    html = client_for(commander).get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert "Mitigated (2nd time)" in html
