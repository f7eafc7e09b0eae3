"""The small follow-through ones of issue 18: a past due date is a warning until confirmed, a reopened item
gets a new due date, closing a finding with open remediation items asks first, and the board opens on the
viewer's own team."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Membership
from incidents.followup import selectors
from incidents.followup.services import findings as services_findings
from incidents.followup.services import items as services_items
from incidents.models import ActionItem, ActionItemStatus, FindingStatus
from tests.factories import (
    ActionItemFactory,
    MembershipFactory,
    PolicyFindingFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 10)


@pytest.fixture
def frozen():
    with time_machine.travel(dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC), tick=False):
        yield


def _new_item(client, incident, owner, due):
    return client.post(
        reverse("incidents:action_item_new"),
        {"incident": incident.number, "title": "Snapshots", "owner": owner.pk, "priority": "P2",
         "type": "prevent", "due_date": due},
    )  # fmt: skip


# --- A past due date -----------------------------------------------------------------------------------
def test_a_past_due_date_is_a_warning_with_a_confirmation_and_nothing_is_saved(
    frozen, client_for, commander, incident
):
    response = _new_item(client_for(commander), incident, commander, "2026-06-01")
    assert response.status_code == 200
    body = response.content.decode()
    assert "1 June 2026 is in the past" in body
    assert 'type="checkbox" name="confirm_past_due"' in body
    assert not ActionItem.objects.exists()


def test_a_confirmed_past_due_date_is_saved(frozen, client_for, commander, incident):
    client = client_for(commander)
    response = client.post(
        reverse("incidents:action_item_new"),
        {"incident": incident.number, "title": "Snapshots", "owner": commander.pk, "priority": "P2",
         "type": "prevent", "due_date": "2026-06-01", "confirm_past_due": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    assert ActionItem.objects.get().due_date == dt.date(2026, 6, 1)


def test_today_and_later_need_no_confirmation(frozen, client_for, commander, incident):
    assert _new_item(client_for(commander), incident, commander, "2026-06-10").status_code == 302


def test_editing_an_item_that_is_already_overdue_asks_nothing_about_its_date(
    frozen, client_for, commander, incident
):
    item = ActionItemFactory(incident=incident, owner=commander, due_date=dt.date(2026, 5, 1))
    response = client_for(commander).post(
        reverse("incidents:action_item_edit", args=[item.pk]),
        {"title": "Renamed", "owner": commander.pk, "priority": "P2", "type": "prevent",
         "due_date": "2026-05-01", "version": item.version},
    )  # fmt: skip
    assert response.status_code == 302


# --- A reopened item gets a new due date -----------------------------------------------------------------
def test_an_item_reopened_by_a_failed_recheck_is_not_overdue_at_once(frozen, commander, incident, settings):
    item = ActionItemFactory(
        incident=incident, owner=commander, due_date=dt.date(2026, 5, 1), recheck_date=dt.date(2026, 5, 15),
        status=ActionItemStatus.DONE, priority="P1",
    )  # fmt: skip
    reopened = services_items.action_item_confirm_effect(
        item=item, actor=commander, worked=False, note="Lag alerts still silent"
    )
    days = settings.ACTION_ITEM_DUE_TARGET_DAYS["P1"]
    assert reopened.status == ActionItemStatus.OPEN
    assert reopened.due_date == TODAY + dt.timedelta(days=days)
    assert reopened.recheck_date == reopened.due_date + dt.timedelta(days=14)
    assert not reopened.is_overdue
    assert "New due date" in reopened.history.latest().history_change_reason


def test_an_item_reopened_by_hand_gets_a_new_due_date_only_when_it_has_passed(frozen, commander, incident):
    late = ActionItemFactory(incident=incident, owner=commander, due_date=dt.date(2026, 5, 1),
                             status=ActionItemStatus.DONE)  # fmt: skip
    later = ActionItemFactory(incident=incident, owner=commander, due_date=dt.date(2026, 7, 1),
                              status=ActionItemStatus.DONE)  # fmt: skip
    for item in (late, later):
        services_items.action_item_change_status(item=item, actor=commander, status="open", note="Not fixed")
        item.refresh_from_db()
    assert late.due_date is not None
    assert late.due_date > TODAY
    assert later.due_date == dt.date(2026, 7, 1)


# --- Closing a finding with open remediation items -----------------------------------------------------------
@pytest.fixture
def verified(responder, team):
    return PolicyFindingFactory(owner=responder, team=team, status=FindingStatus.VERIFIED)


def test_closing_a_finding_with_open_items_asks_first(responder, lead_user, verified):
    ActionItemFactory(finding=verified, owner=responder, status=ActionItemStatus.OPEN)
    ActionItemFactory(finding=verified, owner=responder, status=ActionItemStatus.DONE)
    with pytest.raises(ValidationError) as exc:
        services_findings.policy_finding_transition(finding=verified, actor=lead_user, status="closed")
    assert exc.value.message_dict["close_with_open_items"][0].startswith("1 remediation item still open")
    verified.refresh_from_db()
    assert verified.status == FindingStatus.VERIFIED
    closed = services_findings.policy_finding_transition(
        finding=verified, actor=lead_user, status="closed", close_with_open_items=True
    )
    assert closed.status == FindingStatus.CLOSED


def test_the_warning_agrees_with_how_many_items_are_open(responder, lead_user, verified):
    ActionItemFactory(finding=verified, owner=responder, status=ActionItemStatus.OPEN)
    one = selectors.finding_open_items_warning(lead_user, verified)
    assert one == (
        "1 remediation item still open: finish it first, or confirm that the finding closes with it open."
    )
    ActionItemFactory(finding=verified, owner=responder, status=ActionItemStatus.BLOCKED)
    two = selectors.finding_open_items_warning(lead_user, verified)
    assert two == (
        "2 remediation items still open: finish them first, or confirm that the finding closes with them open."
    )


def test_a_finding_whose_items_are_all_finished_closes_without_asking(responder, lead_user, verified):
    ActionItemFactory(finding=verified, owner=responder, status=ActionItemStatus.WONT_DO)
    closed = services_findings.policy_finding_transition(finding=verified, actor=lead_user, status="closed")
    assert closed.status == FindingStatus.CLOSED


def test_the_finding_page_warns_and_offers_the_confirmation(client_for, responder, lead_user, verified):
    ActionItemFactory(finding=verified, owner=responder, status=ActionItemStatus.OPEN)
    client = client_for(lead_user)
    page = client.get(reverse("incidents:finding_detail", args=[verified.pk])).content.decode()
    assert "1 remediation item still open" in page
    assert 'name="close_with_open_items"' in page
    move = reverse("incidents:finding_transition", args=[verified.pk])
    assert client.post(move, {"status": "closed", "version": verified.version}).status_code == 400
    done = client.post(move, {"status": "closed", "version": verified.version, "close_with_open_items": "on"})
    assert done.status_code == 302
    verified.refresh_from_db()
    assert verified.status == FindingStatus.CLOSED


def test_the_api_asks_for_the_confirmation_too(api_for, responder, lead_user, verified):
    ActionItemFactory(finding=verified, owner=responder, status=ActionItemStatus.OPEN)
    url = f"/api/v1/policy-findings/{verified.pk}/transition/"
    api = api_for(lead_user)
    refused = api.post(url, {"status": "closed"}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()) == ["close_with_open_items"]
    assert (
        api.post(url, {"status": "closed", "close_with_open_items": True}, format="json").status_code == 200
    )


@pytest.fixture
def lead_user(team):
    user = UserFactory(display_name="Lee Lead")
    MembershipFactory(user=user, team=team, role=Membership.Role.LEAD)
    return user


# --- The board opens on the viewer's own team ---------------------------------------------------------------
def test_the_board_opens_on_the_team_the_viewer_leads(client_for, team):
    alpha = TeamFactory(name="Alpha", slug="alpha")  # before Platform by name
    lead = UserFactory(display_name="Lee Lead")
    MembershipFactory(user=lead, team=alpha, role=Membership.Role.VIEWER)
    MembershipFactory(user=lead, team=team, role=Membership.Role.LEAD)
    board = client_for(lead).get(reverse("incidents:team_board")).context["board"]
    assert board.team == team


def test_meeting_capture_warns_of_a_past_due_date_keeps_what_was_typed_and_takes_the_confirmation(
    frozen, client_for, responder, incident
):
    from incidents.review.services import postmortems

    postmortems.postmortem_start(incident=incident, actor=responder)
    client = client_for(responder)
    capture = reverse("incidents:meeting_action", args=[incident.number])
    typed = {
        "title": "Restore a backup weekly",
        "type": "detect",
        "owner": responder.pk,
        "due_date": "2026-06-01",
    }
    refused = client.post(capture, typed, HTTP_HX_REQUEST="true")
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "1 June 2026 is in the past" in body
    assert 'type="checkbox" name="confirm_past_due"' in body
    assert 'value="Restore a backup weekly"' in body
    assert not ActionItem.objects.exists()
    done = client.post(capture, {**typed, "confirm_past_due": "on"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200
    assert ActionItem.objects.get().due_date == dt.date(2026, 6, 1)
