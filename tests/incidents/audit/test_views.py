"""Audit trail: history pages with who, when and a diff; admin soft delete with confirmation, and restore."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecurityEvent
from incidents.followup.services.items import action_item_update
from incidents.incident.services.edits import incident_assign_roles, incident_update
from incidents.incident.services.lifecycle import incident_restore, incident_soft_delete
from incidents.models import Incident, Notification, Postmortem, Visibility
from incidents.notify.reminders import reminders_sweep
from tests.factories import ActionItemFactory, PolicyFindingFactory

pytestmark = pytest.mark.django_db


def _as(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_incident_history_shows_who_when_and_the_diff(client_for, commander, incident):
    when = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=3)
    with time_machine.travel(when, tick=False):
        incident_update(incident=incident, actor=commander, summary="Disk **full** on db-1")
    incident.refresh_from_db()
    incident_update(incident=incident, actor=commander, visibility=Visibility.RESTRICTED)
    page = client_for(commander).get(reverse("incidents:history", args=[incident.number]))
    assert page.status_code == 200
    text = page.content.decode()
    assert f"{when:%Y-%m-%d %H:%M} UTC" in text
    assert "Cora Commander" in text
    assert "Disk **full** on db-1" in text
    # Choice labels, not stored codes, and the visibility change is on record.
    assert "Internal (every signed-in member)" in text
    assert "Restricted (participants and admins only)" in text
    assert "Version" not in text


def test_history_escapes_what_people_typed(client_for, commander, incident):
    incident_update(incident=incident, actor=commander, title="<script>alert(1)</script>")
    text = client_for(commander).get(reverse("incidents:history", args=[incident.number])).content.decode()
    assert "<script>alert(1)" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_long_text_changes_are_shown_as_a_line_diff(client_for, commander, incident):
    before = "\n".join(f"line {i}" for i in range(10))
    incident_update(incident=incident, actor=commander, summary=before)
    incident.refresh_from_db()
    incident_update(incident=incident, actor=commander, summary=before.replace("line 5", "line five"))
    text = client_for(commander).get(reverse("incidents:history", args=[incident.number])).content.decode()
    assert '<span class="removed">-line 5</span>' in text
    assert '<span class="added">+line five</span>' in text


def test_role_changes_are_in_history_and_the_security_log(client_for, commander, responder, incident):
    incident_assign_roles(incident=incident, actor=commander, scribe=responder)
    text = client_for(commander).get(reverse("incidents:history", args=[incident.number])).content.decode()
    assert "Rory Responder" in text
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.ROLE_CHANGE)
    assert event.target == incident.reference
    assert event.detail == "scribe: responder@example.com"


def test_visibility_change_is_a_security_event(commander, incident):
    incident_update(incident=incident, actor=commander, visibility=Visibility.RESTRICTED)
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.VISIBILITY_CHANGE)
    assert (event.actor, event.detail) == (commander, "internal -> restricted")


def test_postmortem_history(client_for, commander, incident):
    pm = Postmortem.objects.create(incident=incident, sections={"summary": "first draft"})
    pm.sections = {"summary": "second draft"}
    pm.save()
    page = client_for(commander).get(reverse("incidents:postmortem_history", args=[incident.number]))
    assert page.status_code == 200
    assert "first draft" in page.content.decode()
    assert "second draft" in page.content.decode()


def test_postmortem_history_of_an_incident_without_postmortem_is_404(client_for, commander, incident):
    assert (
        client_for(commander).get(reverse("incidents:postmortem_history", args=[incident.number])).status_code
        == 404
    )


def test_action_item_history_records_the_owner_change(client_for, commander, responder, incident):
    item = ActionItemFactory(incident=incident, owner=commander, title="Make prompts show the host")
    action_item_update(item=item, actor=commander, owner=responder)
    page = client_for(commander).get(reverse("incidents:action_item_history", args=[item.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Cora Commander" in text
    assert "Rory Responder" in text


def test_finding_history(client_for, admin_user):
    finding = PolicyFindingFactory(title="One person can run destructive commands")
    finding.title = "Destructive commands need a second person"
    finding.save()
    text = (
        client_for(admin_user).get(reverse("incidents:finding_history", args=[finding.pk])).content.decode()
    )
    assert "One person can run destructive commands" in text
    assert "Destructive commands need a second person" in text


def test_history_page_query_count_does_not_grow_with_records(
    client_for, commander, incident, django_assert_max_num_queries
):
    client = client_for(commander)
    url = reverse("incidents:history", args=[incident.number])
    incident_update(incident=incident, actor=commander, summary="one")
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for i in range(15):
        incident.refresh_from_db()
        incident_update(incident=incident, actor=commander, summary=f"change {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


# --- Soft delete and restore ---------------------------------------------------------------------------------


def test_admin_deletes_after_a_confirmation_page_and_restores(admin_user, commander, responder, incident):
    admin = _as(admin_user)
    confirm = admin.get(reverse("incidents:delete", args=[incident.number]))
    assert confirm.status_code == 200
    assert "Nothing is erased" in confirm.content.decode()
    assert Incident.objects.get(pk=incident.pk).deleted_at is None  # a GET deletes nothing

    no_reason = admin.post(reverse("incidents:delete", args=[incident.number]), {"reason": ""})
    assert no_reason.status_code == 400
    assert Incident.objects.get(pk=incident.pk).deleted_at is None

    done = admin.post(reverse("incidents:delete", args=[incident.number]), {"reason": "Duplicate of INC-7"})
    assert done.status_code == 302
    incident.refresh_from_db()
    assert incident.deleted_at is not None
    # Gone for everyone else, participants included, on every page; the admin still sees it.
    for user in (commander, responder):
        client = _as(user)
        assert client.get(reverse("incidents:detail", args=[incident.number])).status_code == 404
        assert incident.title not in client.get(reverse("incidents:list")).content.decode()
        assert incident.title not in client.get(reverse("incidents:dashboard")).content.decode()
    page = admin.get(reverse("incidents:detail", args=[incident.number]))
    assert "Only admins see this incident" in page.content.decode()
    assert incident.title in admin.get(reverse("incidents:deleted_list")).content.decode()
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.DELETION)
    assert (event.actor, event.target, event.detail) == (admin_user, incident.reference, "Duplicate of INC-7")
    assert incident.history.first().history_change_reason == "Deleted: Duplicate of INC-7"

    restored = admin.post(reverse("incidents:restore", args=[incident.number]))
    assert restored.status_code == 302
    incident.refresh_from_db()
    assert incident.deleted_at is None
    assert _as(commander).get(reverse("incidents:detail", args=[incident.number])).status_code == 200
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.RESTORE, target=incident.reference).exists()
    bodies = list(incident.timeline_entries.values_list("body", flat=True))
    assert "Incident deleted by an admin: Duplicate of INC-7" in bodies
    assert "Incident restored by an admin" in bodies


@pytest.mark.parametrize("persona", ["viewer", "responder", "commander"])
def test_only_admins_may_delete(personas, persona, incident):
    client = _as(personas[persona])
    assert client.get(reverse("incidents:delete", args=[incident.number])).status_code == 403
    assert (
        client.post(reverse("incidents:delete", args=[incident.number]), {"reason": "x"}).status_code == 403
    )
    assert Incident.objects.get(pk=incident.pk).deleted_at is None
    with pytest.raises(PermissionDenied):
        incident_soft_delete(incident=incident, actor=personas[persona], reason="x")


def test_deleting_twice_and_restoring_twice_change_nothing(admin_user, incident):
    incident_soft_delete(incident=incident, actor=admin_user, reason="test data")
    first = Incident.objects.get(pk=incident.pk).deleted_at
    incident_soft_delete(incident=incident, actor=admin_user, reason="again")
    assert Incident.objects.get(pk=incident.pk).deleted_at == first
    incident_restore(incident=incident, actor=admin_user)
    incident_restore(incident=incident, actor=admin_user)
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.DELETION).count() == 1
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.RESTORE).count() == 1


def test_reminders_stop_for_a_deleted_incident_and_start_again_on_restore(admin_user, commander, incident):
    today = timezone.now().date()
    item = ActionItemFactory(incident=incident, owner=commander, due_date=today - dt.timedelta(days=1))
    incident_soft_delete(incident=incident, actor=admin_user, reason="test data")
    reminders_sweep()
    assert not Notification.objects.filter(object_key=f"action_item:{item.pk}").exists()
    # The owner no longer sees the item either.
    assert _as(commander).get(reverse("incidents:action_item_detail", args=[item.pk])).status_code == 404

    incident_restore(incident=incident, actor=admin_user)
    reminders_sweep()
    assert Notification.objects.filter(object_key=f"action_item:{item.pk}", user=commander).exists()


def test_the_django_admin_cannot_hard_delete_incidents_or_their_records(admin_user, incident):
    admin = _as(admin_user)
    for name in (
        "incident",
        "timelineentry",
        "actionitem",
        "contributingfactor",
        "postmortem",
        "policyfinding",
    ):
        assert admin.get(reverse(f"admin:incidents_{name}_changelist")).status_code == 200
    response = admin.post(reverse("admin:incidents_incident_delete", args=[incident.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_the_django_admin_restores_selected_incidents(admin_user, incident):
    incident_soft_delete(incident=incident, actor=admin_user, reason="test data")
    response = _as(admin_user).post(
        reverse("admin:incidents_incident_changelist"),
        {"action": "restore", "_selected_action": [incident.pk]},
    )
    assert response.status_code == 302
    assert Incident.objects.get(pk=incident.pk).deleted_at is None


def test_a_long_deletion_reason_is_kept_whole_in_the_history(admin_user, incident):
    reason = "Duplicate of INC-7, opened twice from two alerts; " * 9  # 450 characters
    incident_soft_delete(incident=incident, actor=admin_user, reason=reason)
    assert incident.history.first().history_change_reason == f"Deleted: {reason.strip()}"
