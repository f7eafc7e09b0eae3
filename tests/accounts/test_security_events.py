"""Security events: written for the sensitive actions, kept at least a year, exported as CSV by admins only."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecurityEvent
from accounts.security import security_event_record, security_events_prune
from incidents.csv import safe_cell

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_admin_exports_security_events_as_csv_and_the_export_is_recorded(client_for, admin_user, responder):
    security_event_record(
        kind=SecurityEvent.Kind.SIGN_IN_FAILED, actor_email='=HYPERLINK("http://evil")', target="x"
    )
    security_event_record(
        kind=SecurityEvent.Kind.ROLE_CHANGE, actor=admin_user, target=f"user:{responder.pk}"
    )
    response = client_for(admin_user).get(reverse("incidents:security_events_csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8; header=present"
    rows = _csv(response)
    assert rows[0] == ["time_utc", "kind", "actor", "target", "ip_address", "detail"]
    kinds = [r[1] for r in rows[1:]]
    assert "sign_in_failed" in kinds
    assert "role_change" in kinds
    formula_row = next(r for r in rows[1:] if r[1] == "sign_in_failed")
    assert formula_row[2] == '\'=HYPERLINK("http://evil")'
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.EXPORT, actor=admin_user).exists()


@pytest.mark.parametrize("persona", ["outsider", "viewer", "responder", "commander"])
def test_only_admins_can_export_security_events(client_for, personas, persona):
    user = personas[persona]
    assert client_for(user).get(reverse("incidents:security_events_csv")).status_code == 403
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.EXPORT).exists()


def test_a_bad_days_parameter_is_a_clear_400(client_for, admin_user):
    response = client_for(admin_user).get(reverse("incidents:security_events_csv") + "?days=lots")
    assert response.status_code == 400
    assert b"whole number of days" in response.content


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        (None, ""),
        (-5, -5),  # a real number stays a number: a spreadsheet reads it as -5, not as text
        (-0.25, -0.25),
        (Decimal("-1.50"), Decimal("-1.50")),
        (True, "yes"),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(value, cell):
    assert safe_cell(value) == cell


def test_events_younger_than_a_year_are_never_pruned(settings):
    settings.SECURITY_EVENT_RETENTION_DAYS = 1  # a mistaken setting cannot shorten the year
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=365), tick=False):
        kept = security_event_record(kind=SecurityEvent.Kind.DELETION, target="INC-1")
    with time_machine.travel(now - dt.timedelta(days=367), tick=False):
        old = security_event_record(kind=SecurityEvent.Kind.DELETION, target="INC-2")
    assert security_events_prune(now=now) == 1
    assert SecurityEvent.objects.filter(pk=kept.pk).exists()
    assert not SecurityEvent.objects.filter(pk=old.pk).exists()


def test_prune_command_reports_what_it_deleted(settings):
    settings.SECURITY_EVENT_RETENTION_DAYS = 400
    with time_machine.travel(timezone.now() - dt.timedelta(days=401), tick=False):
        security_event_record(kind=SecurityEvent.Kind.EXPORT, target="old")
    security_event_record(kind=SecurityEvent.Kind.EXPORT, target="new")
    out = io.StringIO()
    call_command("prune_security_events", stdout=out)
    assert "Deleted 1 security events older than 400 days" in out.getvalue()
    assert list(SecurityEvent.objects.values_list("target", flat=True)) == ["new"]


def test_security_events_cannot_be_changed_or_deleted_in_the_admin(client_for, admin_user):
    event = security_event_record(kind=SecurityEvent.Kind.EXPORT, target="x")
    client = client_for(admin_user)
    assert client.get(reverse("admin:accounts_securityevent_changelist")).status_code == 200
    assert client.post(reverse("admin:accounts_securityevent_delete", args=[event.pk])).status_code == 403
    assert SecurityEvent.objects.filter(pk=event.pk).exists()


def test_asking_for_a_hidden_incident_is_a_denied_access_event_with_the_same_404(
    client_for, outsider, incident
):
    client = client_for(outsider)
    hidden = client.get(reverse("incidents:detail", args=[incident.number]))
    missing = client.get(reverse("incidents:detail", args=[incident.number + 1000]))
    assert hidden.status_code == missing.status_code == 404
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.ACCESS_DENIED)
    assert (event.actor, event.target) == (outsider, incident.reference)
    assert event.ip_address == "127.0.0.1"
