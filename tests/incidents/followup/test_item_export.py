"""The action-item CSV streams plain rows from the database: the same file as building each item, flat
in queries from 1 to 200 items."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents.csv import csv_lines
from incidents.followup import selectors as sel
from incidents.followup.exports import ITEM_CSV_HEADER
from incidents.models import ActionItemStatus, RecheckOutcome, Visibility
from tests.factories import ActionItemFactory, IncidentFactory, PolicyFindingFactory, UserFactory

pytestmark = pytest.mark.django_db


def _as_models_give_it(user) -> bytes:
    """The file as the export built it before streaming: a model per row and its properties."""
    rows = []
    for i in sel.export_items_for(user):
        incident = i.incident if i.incident_id and getattr(i, "incident_visible", False) else None
        rows.append(
            (
                i.pk, i.title, i.get_status_display(), i.priority, i.get_type_display(),
                i.owner.name if i.owner else "", i.owner.email if i.owner else "",
                i.team.name if i.team else "", i.due_date, i.is_overdue, i.breaches_target,
                incident.reference if incident else "", incident.title if incident else "",
                i.finding_id if getattr(i, "finding_visible", False) else "", i.description, i.completion_note,
                i.wont_do_reason, i.blocked_on, i.success_criteria, i.recheck_date, i.get_recheck_outcome_display(),
                i.did_not_prevent_recurrence, i.tracker_url, i.created_at, i.completed_at, i.version,
            )
        )  # fmt: skip
    return b"".join(csv_lines(ITEM_CSV_HEADER, rows))


def _download(client) -> tuple[bytes, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("incidents:action_item_export"))
        assert response.status_code == 200
        assert response.streaming
        body = b"".join(response.streaming_content)
    return body, len(ctx.captured_queries)


def _varied_items(n, *, viewer, commander, team):
    auckland = UserFactory(time_zone="Pacific/Auckland", display_name="")
    los_angeles = UserFactory(time_zone="America/Los_Angeles")
    hidden = IncidentFactory(visibility=Visibility.RESTRICTED, commander=commander)
    visible = IncidentFactory()
    finding = PolicyFindingFactory()
    today = timezone.now().date()
    statuses = list(ActionItemStatus.values)
    for i in range(n):
        on_hidden = i % 5 == 0
        ActionItemFactory(
            incident=None if i % 7 == 3 else (hidden if on_hidden else visible),
            finding=finding if i % 7 == 3 else None,
            owner=viewer if on_hidden else (None, auckland, los_angeles, viewer)[i % 4],
            team=team if i % 2 else None,
            title=("=cmd", "Plain, with a comma", 'With "quotes"')[i % 3],
            priority=("P1", "P2", "P3")[i % 3],
            status=statuses[i % len(statuses)],
            due_date=None if i % 6 == 5 else today + dt.timedelta(days=i % 50 - 25),
            recheck_outcome=(RecheckOutcome.WORKED, "")[i % 2],
            completed_at=timezone.now() - dt.timedelta(hours=i) if i % 4 == 3 else None,
            description=f"Step {i}\n- one\n- two",
        )


@time_machine.travel(dt.datetime(2026, 3, 29, 11, 30, tzinfo=dt.UTC), tick=False)  # Auckland is a day ahead
def test_the_streamed_csv_is_the_file_the_models_gave(client_for, viewer, commander, team):
    _varied_items(60, viewer=viewer, commander=commander, team=team)
    for person in (viewer, commander):
        body, _ = _download(client_for(person))
        assert body == _as_models_give_it(person)
    assert b"INC-" in body
    assert b"'=cmd" in body


def test_an_owner_gets_their_item_on_a_hidden_incident_without_its_reference(client_for, viewer, commander):
    hidden = IncidentFactory(visibility=Visibility.RESTRICTED, commander=commander, title="Hidden outage")
    ActionItemFactory(incident=hidden, owner=viewer, title="Mine")
    secret = PolicyFindingFactory(owner=commander)
    secret.incidents.add(hidden)
    ActionItemFactory(incident=None, finding=secret, owner=viewer, title="From a hidden finding")
    body, _ = _download(client_for(viewer))
    assert b"Mine" in body
    row = next(r for r in body.decode().splitlines() if "From a hidden finding" in r)
    assert f",{secret.pk}," not in row
    assert hidden.reference.encode() not in body
    assert b"Hidden outage" not in body


def test_the_csv_takes_the_same_queries_for_1_and_200_items(client_for, viewer, commander, team):
    client = client_for(viewer)
    _varied_items(1, viewer=viewer, commander=commander, team=team)
    _, one = _download(client)
    _varied_items(199, viewer=viewer, commander=commander, team=team)
    body, many = _download(client)
    assert many == one
    assert body.count(b"\r\n") > 150
