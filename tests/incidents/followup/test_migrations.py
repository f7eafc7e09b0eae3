"""Migration 0009 moves the old action item and policy finding events into history: nothing is lost.

The test goes back to the schema before it (0008), writes rows as the old code left them (history
snapshots without reasons, and an event per change), migrates forward and reads the history.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from incidents.history import history_for
from incidents.models import ActionItem, PolicyFinding
from tests.factories import ActionItemFactory, IncidentFactory, PolicyFindingFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("incidents", "0008_blameless_records")]
AFTER = [("incidents", "0010_drop_followup_event_tables")]
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def migrate():
    """`migrate(targets)` runs the migrations to `targets` and returns the models as they were there."""
    executor = MigrationExecutor(connection)

    def to(targets):
        executor.loader.build_graph()
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    yield to
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # every later test expects the latest schema


def _at(when, save):
    with time_machine.travel(when, tick=False):
        save()


@pytest.fixture
def people():
    return {
        "cora": UserFactory(email="cora@example.com", display_name="Cora Commander"),
        "rory": UserFactory(email="rory@example.com", display_name="Rory Responder"),
        "lee": UserFactory(email="lee@example.com", display_name="Lee Lead"),
    }


def test_every_old_event_survives_as_a_history_reason(migrate, people):
    cora, rory, lee = people["cora"], people["rory"], people["lee"]
    incident = IncidentFactory(number=77)
    # What the old services left: a snapshot per save (no user, no reason) ...
    with time_machine.travel(T0, tick=False):
        item = ActionItemFactory(incident=incident, title="Restore a backup every night", owner=cora)
        finding = PolicyFindingFactory(title="Anyone can drop production tables", owner=cora)
    item.status, item.completion_note = "done", "Nightly restore job added"
    _at(T0 + HOUR, item.save)
    item.owner = rory
    _at(T0 + 2 * HOUR, item.save)
    finding.status = "risk_accepted"
    _at(T0 + HOUR, finding.save)
    long_reason = "Vendor fix due in June; " * 20  # longer than the old 100-character reason column

    old = migrate(BEFORE)
    # ... and an event per change, written just after the save it describes (or on its own).
    item_events = old.get_model("incidents", "ActionItemEvent").objects
    finding_events = old.get_model("incidents", "PolicyFindingEvent").objects
    ms = dt.timedelta(milliseconds=300)
    item_events.create(
        item_id=item.pk, kind="created", to_status="open", actor_id=cora.pk, created_at=T0 + ms
    )
    item_events.create(
        item_id=item.pk, kind="status", from_status="open", to_status="done",
        note="Nightly restore job added", actor_id=cora.pk, created_at=T0 + HOUR + ms,
    )  # fmt: skip
    item_events.create(
        item_id=item.pk, kind="recurrence", note="The factor it addressed was seen again in INC-80.",
        actor_id=None, created_at=T0 + HOUR + 2 * ms,
    )  # fmt: skip
    item_events.create(
        item_id=item.pk, kind="edited", note="Changed owner.", actor_id=cora.pk, created_at=T0 + 2 * HOUR + ms
    )
    item_events.create(
        item_id=item.pk, kind="assigned", note="Owner: Rory Responder", actor_id=cora.pk,
        created_at=T0 + 2 * HOUR + 2 * ms,
    )  # fmt: skip
    item_events.create(
        item_id=item.pk, kind="recheck", note="It worked.", actor_id=rory.pk, created_at=T0 + 3 * HOUR
    )
    finding_events.create(
        finding_id=finding.pk, kind="risk_accepted", from_status="open", to_status="risk_accepted",
        note=long_reason, actor_id=lee.pk, created_at=T0 + HOUR + ms,
    )  # fmt: skip
    finding_events.create(
        finding_id=finding.pk, kind="seen_again", incident_id=incident.pk, actor_id=rory.pk,
        created_at=T0 + 4 * HOUR,
    )  # fmt: skip

    migrate(AFTER)
    # The latest model reads a schema of the past: leave out the columns added after 0010.

    assert not {"incidents_actionitemevent", "incidents_policyfindingevent"} & set(
        connection.introspection.table_names()
    )
    records = list(
        ActionItem.objects.defer("description_html")
        .get(pk=item.pk)
        .history.order_by("history_date", "history_id")
    )
    assert [(r.history_date - T0, r.history_user, r.history_change_reason) for r in records] == [
        (dt.timedelta(0), cora, "Created (Open)"),
        (HOUR, cora, "Status changed (Open → Done): Nightly restore job added"),
        # A system event beside Cora's save is not hers: it gets a record of its own.
        (
            HOUR + 2 * ms,
            None,
            "Did not prevent recurrence: The factor it addressed was seen again in INC-80.",
        ),
        (2 * HOUR, cora, "Edited: Changed owner. · Assigned: Owner: Rory Responder"),
        # No save near it: a record of its own, a copy of the state then.
        (3 * HOUR, rory, "Effect re-checked: It worked."),
    ]
    assert [(r.status, r.owner_id) for r in records] == [
        ("open", cora.pk), ("done", cora.pk), ("done", cora.pk), ("done", rory.pk), ("done", rory.pk),
    ]  # fmt: skip

    shown = history_for(ActionItem.objects.defer("description_html").get(pk=item.pk))  # newest first
    assert [(r.who, r.reason.split(":")[0]) for r in shown] == [
        ("Rory Responder", "Effect re-checked"),
        ("Cora Commander", "Edited"),
        ("Hindsight", "Did not prevent recurrence"),
        ("Cora Commander", "Status changed (Open → Done)"),
        ("Cora Commander", "Created (Open)"),
    ]
    assert [c.name for c in shown[1].changes] == ["owner"]
    assert shown[0].changes == []  # the added records change no field
    assert shown[2].changes == []
    assert {c.name for c in shown[3].changes} == {"status", "completion_note"}

    records = list(
        PolicyFinding.objects.defer("description_html")
        .get(pk=finding.pk)
        .history.defer("seen_in_incident")  # added in 0023
        .order_by("history_date", "history_id")
    )
    assert [(r.history_user, r.history_change_reason) for r in records] == [
        (None, None),
        (lee, f"Risk accepted (Open → Risk accepted): {long_reason}"),
        (rory, "Seen again (INC-77)"),
    ]

    # 0023 moves the reference out of the text (everyone who sees the finding reads it) into the marker,
    # which the page names only to those who may see INC-77.
    migrate([("incidents", "0023_finding_history_seen_in")])
    newest = (
        PolicyFinding.objects.defer("description_html").get(pk=finding.pk).history.order_by("-history_id")[0]
    )
    assert (newest.history_change_reason, newest.seen_in_incident_id) == ("Seen again", incident.pk)
