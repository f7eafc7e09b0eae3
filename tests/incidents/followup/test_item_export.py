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


# The day Berlin leaves summer time; Kiritimati (UTC+14) is already on the next day.
@time_machine.travel(dt.datetime(2026, 10, 25, 10, 30, tzinfo=dt.UTC), tick=False)
def test_tricky_values_come_out_as_the_models_gave_them(client_for, viewer, commander, team):
    """Three hundred items whose cells quote, escape and fall on day boundaries: the streamed file is the
    one a model per row wrote, byte for byte, for a viewer and for a commander of the restricted incident."""
    owners = [
        None,
        viewer,
        UserFactory(time_zone="Pacific/Kiritimati", display_name="Ōtautahi “Ops”, on call"),
        UserFactory(time_zone="Europe/Berlin", display_name="=HYPERLINK(1)"),
        UserFactory(time_zone="Atlantis/Lost", display_name=""),  # a zone no longer known: UTC
    ]
    hidden = IncidentFactory(visibility=Visibility.RESTRICTED, commander=commander, title='@hidden, "x"')
    visible = IncidentFactory(title="-1 day\r\nfor checkout ✓")
    finding = PolicyFindingFactory()
    texts = (
        "",
        "=1+2",
        "+44 20 7946",
        "-5",
        "@sum(A1)",
        "\ttabbed",
        "\rreturn",
        "line\nbreak",
        'a "b", c',
        "ü ß 日本",
    )
    now = timezone.now()
    statuses = list(ActionItemStatus.values)
    for i in range(300):
        ActionItemFactory(
            incident=(hidden, visible, None)[i % 3],
            finding=finding if i % 3 == 2 else None,
            owner=owners[i % len(owners)],
            team=team if i % 2 else None,
            title=texts[i % len(texts)] or "plain",
            priority=("P1", "P2", "P3")[i % 3],
            status=statuses[i % len(statuses)],
            due_date=None if i % 11 == 0 else now.date() + dt.timedelta(days=i % 5 - 2),
            created_at=now - dt.timedelta(days=i % 40, hours=i % 24),
            recheck_outcome=(RecheckOutcome.WORKED, "", RecheckOutcome.values[-1])[i % 3],
            recheck_date=now.date() - dt.timedelta(days=i % 3) if i % 4 == 0 else None,
            completed_at=now - dt.timedelta(minutes=i) if i % 4 == 3 else None,
            description=texts[(i + 1) % len(texts)],
            completion_note=texts[(i + 2) % len(texts)],
            wont_do_reason=texts[(i + 3) % len(texts)],
            blocked_on=texts[(i + 4) % len(texts)],
            success_criteria=texts[(i + 5) % len(texts)],
            did_not_prevent_recurrence=i % 6 == 0,
            tracker_url="" if i % 2 else f"https://tracker.example/T-{i}?a=1,b=2",
        )
    for person in (viewer, commander):
        body, _ = _download(client_for(person))
        assert body == _as_models_give_it(person)
    assert hidden.reference.encode() in body  # the commander's file names the restricted incident
    for cell in (b"'=HYPERLINK(1)", b"'-5", b"'@sum(A1)", b'"a ""b"", c"', "ü ß 日本".encode()):
        assert cell in body
