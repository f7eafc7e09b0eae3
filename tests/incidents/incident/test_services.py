from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.errors import TransitionError
from incidents.incident.services.common import IncidentConflict
from incidents.incident.services.declare import incident_declare
from incidents.incident.services.edits import incident_assign_roles, incident_update
from incidents.incident.services.lifecycle import (
    incident_change_severity,
    incident_change_status,
    incident_reopen,
    incident_resolve,
)
from incidents.models import EntrySource, Incident, IncidentStatus
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db
S = IncidentStatus


def _at(status: str, commander, severity: str = "SEV2") -> Incident:
    resolved = {S.RESOLVED, S.POSTMORTEM, S.CLOSED}
    start = timezone.now() - timedelta(hours=3)
    return IncidentFactory(
        status=status,
        severity=severity,
        started_at=start,
        resolved_at=start + timedelta(hours=1) if status in resolved else None,
        mitigated_at=start + timedelta(hours=1) if status in resolved else None,
        commander=commander,
    )


# The lifecycle, written out by hand (not read from the code under test): from each status, where it may go.
# Active statuses move freely among themselves and to resolved; a resolved incident goes on to its
# postmortem or closes; closed is final (reopening is `incident_reopen`, tested below).
EXPECTED_NEXT = {
    "investigating": {"identified", "monitoring", "resolved"},
    "identified": {"investigating", "monitoring", "resolved"},
    "monitoring": {"investigating", "identified", "resolved"},
    "resolved": {"postmortem", "closed"},
    "postmortem": {"closed"},
    "closed": set(),
}
ALLOWED = [(a, b) for a, nexts in EXPECTED_NEXT.items() for b in sorted(nexts)]
REFUSED = [(a, b) for a in EXPECTED_NEXT for b in EXPECTED_NEXT if b != a and b not in EXPECTED_NEXT[a]]


def test_the_expected_lifecycle_names_every_status():
    # A new status must be added to the table above, with where it may go.
    assert set(EXPECTED_NEXT) == set(S.values)
    assert len(ALLOWED) == 12
    assert len(REFUSED) == 18


@pytest.mark.parametrize(("old", "new"), ALLOWED)
def test_allowed_transitions_change_status_and_write_a_timeline_entry(old, new, commander):
    # SEV3: its process rule requires no postmortem, so closing is the lifecycle's alone.
    incident = _at(old, commander, severity="SEV3")
    before = incident.timeline_entries.count()
    changed = incident_change_status(incident=incident, actor=commander, status=new)
    changed.refresh_from_db()
    assert changed.status == new
    assert changed.version == incident.version + 1
    entries = list(changed.timeline_entries.order_by("id"))[before:]
    # Reaching monitoring or resolved without a mitigation also records the mitigation it implies, as
    # its own automatic "Mitigated" row (`_at` gives an active incident no mitigation time).
    bodies = [e.body for e in entries]
    assert bodies[0].startswith(("Status changed from", "Incident resolved"))
    assert [b.split(",")[0] for b in bodies[1:]] == (
        ["Mitigated: automatic"] if new in (S.MONITORING, S.RESOLVED) else []
    )
    assert {(e.source, e.author) for e in entries} == {(EntrySource.SYSTEM, commander)}


@pytest.mark.parametrize(("old", "new"), REFUSED)
def test_refused_transitions_raise_and_change_nothing(old, new, commander):
    incident = _at(old, commander)
    with pytest.raises(TransitionError) as exc:
        incident_change_status(incident=incident, actor=commander, status=new)
    assert "status" in exc.value.message_dict
    incident.refresh_from_db()
    assert incident.status == old
    assert incident.timeline_entries.count() == 0


def test_an_unknown_status_is_a_field_error(commander):
    incident = _at(S.INVESTIGATING, commander)
    with pytest.raises(ValidationError) as exc:
        incident_change_status(incident=incident, actor=commander, status="panicking")
    assert "status" in exc.value.message_dict


def test_monitoring_again_after_leaving_it_records_the_new_mitigation(commander):
    incident = _at(S.INVESTIGATING, commander)
    at = timezone.now() - timedelta(minutes=30)
    incident_change_status(incident=incident, actor=commander, status=S.MONITORING, at=at)
    incident_change_status(
        incident=incident, actor=commander, status=S.IDENTIFIED, at=at + timedelta(minutes=5)
    )
    incident.refresh_from_db()
    assert incident.mitigated_at is None  # the mitigation did not hold
    again = at + timedelta(minutes=20)
    incident_change_status(incident=incident, actor=commander, status=S.MONITORING, at=again)
    incident.refresh_from_db()
    assert incident.mitigated_at == again


def test_resolving_sets_resolved_at_and_resolving_twice_is_refused_changing_nothing(commander):
    incident = _at(S.IDENTIFIED, commander)
    with time_machine.travel(timezone.now(), tick=False):
        resolved = incident_resolve(incident=incident, actor=commander, note="rolled back")
        now = timezone.now()
    assert resolved.status == S.RESOLVED
    assert resolved.resolved_at == now
    entries = resolved.timeline_entries.count()
    version = resolved.version
    with pytest.raises(TransitionError, match="already resolved"):
        incident_resolve(incident=resolved, actor=commander)
    again = Incident.objects.get(pk=resolved.pk)
    assert again.resolved_at == now
    assert again.version == version
    assert again.timeline_entries.count() == entries


def test_a_closed_incident_cannot_be_resolved(commander):
    incident = _at(S.CLOSED, commander)
    with pytest.raises(TransitionError):
        incident_resolve(incident=incident, actor=commander)


def test_resolving_before_the_start_is_a_field_error(commander):
    incident = _at(S.INVESTIGATING, commander)
    with pytest.raises(ValidationError) as exc:
        incident_resolve(incident=incident, actor=commander, at=incident.started_at - timedelta(minutes=1))
    assert "at" in exc.value.message_dict  # the time the caller gave
    incident.refresh_from_db()
    assert incident.status == S.INVESTIGATING


@pytest.mark.parametrize("old", [S.RESOLVED, S.POSTMORTEM, S.CLOSED])
def test_reopening_needs_a_reason_and_clears_resolution(old, commander):
    incident = _at(old, commander)
    with pytest.raises(ValidationError) as exc:
        incident_reopen(incident=incident, actor=commander, reason="  ")
    assert "reason" in exc.value.message_dict
    reopened = incident_reopen(incident=incident, actor=commander, reason="Errors are back")
    reopened.refresh_from_db()
    assert reopened.status == S.INVESTIGATING
    assert reopened.resolved_at is None
    assert reopened.impact_duration is None
    assert "Errors are back" in reopened.timeline_entries.order_by("-id").first().body


def test_an_active_incident_cannot_be_reopened(commander):
    incident = _at(S.MONITORING, commander)
    with pytest.raises(TransitionError):
        incident_reopen(incident=incident, actor=commander, reason="why not")


def test_declare_needs_only_title_and_severity_and_starts_now(responder):
    with time_machine.travel(datetime(2024, 3, 5, 10, 0, tzinfo=UTC), tick=False):
        incident = incident_declare(actor=responder, title="  Checkout fails  ", severity="SEV2")
    assert incident.title == "Checkout fails"
    assert incident.started_at == datetime(2024, 3, 5, 10, 0, tzinfo=UTC)
    assert incident.commander == responder
    assert incident.reference == f"INC-{incident.number}"
    rows = [(e.occurred_at, e.body) for e in incident.timeline_entries.order_by("occurred_at", "id")]
    assert rows == [
        (datetime(2024, 3, 5, 10, 0, tzinfo=UTC), "Impact started"),  # every start has its row
        (datetime(2024, 3, 5, 10, 0, tzinfo=UTC), "Incident declared as SEV2: Checkout fails"),
    ]


def test_declare_refuses_a_missing_title_and_an_unknown_severity(responder):
    with pytest.raises(ValidationError) as exc:
        incident_declare(actor=responder, title=" ", severity="SEV9")
    assert set(exc.value.message_dict) == {"title", "severity"}
    assert not Incident.objects.exists()


def test_declare_numbers_incidents_in_sequence(responder):
    first = incident_declare(actor=responder, title="One", severity="SEV3")
    second = incident_declare(actor=responder, title="Two", severity="SEV3")
    assert second.number == first.number + 1


def test_update_validates_milestones_against_each_other_as_field_errors(commander):
    incident = _at(S.INVESTIGATING, commander)
    with pytest.raises(ValidationError) as exc:
        incident_update(
            incident=incident,
            actor=commander,
            detected_at=incident.started_at + timedelta(minutes=20),
            acknowledged_at=incident.started_at + timedelta(minutes=10),
            resolved_at=incident.started_at - timedelta(minutes=5),
        )
    assert {"acknowledged_at", "resolved_at"} <= set(exc.value.message_dict)
    incident.refresh_from_db()
    assert incident.detected_at is None


def test_update_refuses_a_naive_time(commander):
    incident = _at(S.INVESTIGATING, commander)
    with pytest.raises(ValidationError) as exc:
        incident_update(incident=incident, actor=commander, detected_at=datetime(2024, 1, 1, 12, 0))  # noqa: DTZ001
    assert exc.value.message_dict == {"detected_at": ["The time needs a time zone."]}


def test_update_with_a_stale_version_is_refused_with_the_current_incident(commander):
    incident = _at(S.INVESTIGATING, commander)
    incident_update(incident=incident, actor=commander, title="First edit")
    with pytest.raises(IncidentConflict) as exc:
        incident_update(
            incident=incident, actor=commander, expected_version=incident.version, title="Second edit"
        )
    assert exc.value.current.title == "First edit"
    incident.refresh_from_db()
    assert incident.title == "First edit"


def test_milestone_edits_write_a_timeline_entry(commander):
    incident = _at(S.INVESTIGATING, commander)
    incident.started_at = datetime(2017, 1, 31, 23, 27, tzinfo=UTC)
    incident.save()
    incident_update(
        incident=incident, actor=commander, detected_at=incident.started_at + timedelta(minutes=4)
    )
    # The detection gets its row, and the correction row says both values (in the editor's zone, with
    # its offset), so the timeline agrees with the milestone it describes.
    rows = [(e.occurred_at, e.body) for e in incident.timeline_entries.order_by("occurred_at")]
    assert rows[0] == (incident.started_at + timedelta(minutes=4), "Detected")
    assert rows[1][1] == "Milestones edited: detected set to 2017-01-31 23:31 UTC (its “Detected” row added)"


def test_resolving_fills_mitigation_as_automatic_and_it_moves_with_the_resolution(commander):
    incident = _at(S.INVESTIGATING, commander)
    start = incident.started_at
    resolved = incident_resolve(incident=incident, actor=commander, at=start + timedelta(hours=3))
    assert resolved.mitigated_at == start + timedelta(hours=3)
    assert resolved.mitigated_at_auto
    # One save moves start, detection and resolution earlier: the automatic mitigation follows,
    # and nothing is refused on a field the editor never touched.
    earlier = start - timedelta(days=1)
    edited = incident_update(
        incident=resolved,
        actor=commander,
        started_at=earlier,
        detected_at=earlier + timedelta(minutes=5),
        resolved_at=earlier + timedelta(hours=2),
    )
    assert edited.mitigated_at == earlier + timedelta(hours=2)
    assert edited.mitigated_at_auto
    assert edited.time_to_mitigate == 2 * 3600
    # A mitigation time a person gives is theirs: it no longer moves.
    edited = incident_update(incident=edited, actor=commander, mitigated_at=earlier + timedelta(hours=1))
    assert not edited.mitigated_at_auto
    edited = incident_update(incident=edited, actor=commander, resolved_at=earlier + timedelta(hours=4))
    assert edited.mitigated_at == earlier + timedelta(hours=1)


def test_a_conflict_with_an_untouched_milestone_is_reported_on_the_field_that_was_sent(commander):
    incident = _at(S.INVESTIGATING, commander)
    start = incident.started_at
    incident = incident_update(incident=incident, actor=commander, mitigated_at=start + timedelta(hours=2))
    incident = incident_resolve(incident=incident, actor=commander, at=start + timedelta(hours=3))
    with pytest.raises(ValidationError) as exc:
        incident_update(incident=incident, actor=commander, resolved_at=start + timedelta(hours=1))
    assert list(exc.value.message_dict) == ["resolved_at"]
    assert "unchanged" in exc.value.message_dict["resolved_at"][0]


def test_time_to_resolve_is_never_negative():
    start = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    incident = Incident(
        started_at=start, detected_at=start + timedelta(minutes=30), resolved_at=start + timedelta(minutes=5)
    )
    assert incident.time_to_resolve == 0
    assert incident.resolved_before_detection
    assert incident.impact_duration == 5 * 60


def test_severity_and_roles_changes_are_recorded(commander, responder):
    incident = _at(S.INVESTIGATING, commander)
    incident_change_severity(incident=incident, actor=commander, severity="SEV1", reason="data loss")
    incident_assign_roles(incident=incident, actor=commander, scribe=responder)
    bodies = list(incident.timeline_entries.order_by("id").values_list("body", flat=True))
    assert bodies == ["Severity changed from SEV2 to SEV1: data loss", f"Scribe: {responder}"]
    incident.refresh_from_db()
    assert incident.severity == "SEV1"
    assert responder in incident.participants.all()
    with pytest.raises(ValidationError):
        incident_change_severity(incident=incident, actor=commander, severity="SEV0")


def test_only_leads_of_the_incidents_teams_command_it_not_leads_of_another_team(commander, team):
    from accounts.models import Membership
    from incidents.errors import AccessDenied
    from tests.factories import MembershipFactory, TeamFactory, UserFactory

    incident = IncidentFactory(commander=commander)
    incident.teams.add(team)
    own_lead, other_lead = UserFactory(), UserFactory()
    MembershipFactory(user=own_lead, team=team, role=Membership.Role.LEAD)
    MembershipFactory(user=other_lead, team=TeamFactory(), role=Membership.Role.LEAD)
    with pytest.raises(AccessDenied) as refused:
        incident_change_severity(incident=incident, actor=other_lead, severity="SEV1")
    assert refused.value.visible  # an internal incident they see: 403, not 404
    incident.refresh_from_db()
    assert incident.severity != "SEV1"
    incident_change_severity(incident=incident, actor=own_lead, severity="SEV1")
    incident.refresh_from_db()
    assert incident.severity == "SEV1"
