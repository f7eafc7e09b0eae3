"""Action items and policy findings: lifecycles, who may do what, and what each change leaves behind."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Membership
from accounts.services import user_deactivate
from incidents.errors import AccessDenied
from incidents.followup.selectors import open_findings_owned_by, open_items_owned_by
from incidents.followup.services import common as services_common
from incidents.followup.services import findings as services_findings
from incidents.followup.services import items as services_items
from incidents.followup.services import reassign as services_reassign
from incidents.followup.services import recurrence as services_recurrence
from incidents.models import (
    ActionItem,
    ActionItemStatus,
    FindingStatus,
    PolicyFinding,
    Visibility,
    WebhookDelivery,
    WebhookEndpoint,
)
from incidents.notify import webhooks
from incidents.permissions.checks import SYSTEM
from incidents.permissions.people import NOT_CHOOSABLE
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    IncidentFactory,
    MembershipFactory,
    PolicyFindingFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def utc_today() -> dt.date:
    return dt.datetime.now(tz=dt.UTC).date()


S = ActionItemStatus
F = FindingStatus


@pytest.fixture
def lead(team):
    user = UserFactory(email="lead@example.com", display_name="Lee Lead")
    MembershipFactory(user=user, team=team, role=Membership.Role.LEAD)
    return user


@pytest.fixture
def owner(team):
    """An item and finding owner: a responder in Platform (an action item's owner must be someone who may
    record on its incident)."""
    user = UserFactory(email="owner@example.com", display_name="Owen Owner")
    MembershipFactory(user=user, team=team, role=Membership.Role.RESPONDER)
    return user


@pytest.fixture
def told(eager_celery, mailoutbox, django_capture_on_commit_callbacks):
    """`told(fn)` runs `fn` and what it schedules on commit (Celery in-process); returns `fn`'s result and
    the emails sent, as (recipient, subject) pairs."""

    def run(fn):
        before = len(mailoutbox)
        with django_capture_on_commit_callbacks(execute=True):
            result = fn()
        emails = [(m.to[0], m.subject) for m in mailoutbox[before:]]
        return result, emails

    return run


@pytest.fixture
def webhook_sink(monkeypatch):
    """An endpoint subscribed to every event; its deliveries are recorded, never sent."""
    monkeypatch.setattr(webhooks, "records_publish", lambda task, ids: None)
    WebhookEndpoint.objects.create(
        url="https://hooks.example.com/x", events=list(webhooks.EVENTS), secret="s" * 20
    )

    def deliveries():
        return [(d.event, d.payload["data"]) for d in WebhookDelivery.objects.order_by("id")]

    return deliveries


def item_in(status, **kw):
    fields = {"status": status}
    if status == S.DONE:
        fields["completion_note"] = "done"
    return ActionItemFactory(**fields, **kw)


# --- Action items ------------------------------------------------------------------------------------

ITEM_ALLOWED = [
    (S.OPEN, S.IN_PROGRESS),
    (S.OPEN, S.BLOCKED),
    (S.OPEN, S.DONE),
    (S.OPEN, S.WONT_DO),
    (S.IN_PROGRESS, S.OPEN),
    (S.IN_PROGRESS, S.BLOCKED),
    (S.IN_PROGRESS, S.DONE),
    (S.IN_PROGRESS, S.WONT_DO),
    (S.BLOCKED, S.OPEN),
    (S.BLOCKED, S.IN_PROGRESS),
    (S.BLOCKED, S.DONE),
    (S.BLOCKED, S.WONT_DO),
    (S.DONE, S.OPEN),
    (S.WONT_DO, S.OPEN),
]
ITEM_REFUSED = [
    (S.DONE, S.IN_PROGRESS),
    (S.DONE, S.BLOCKED),
    (S.DONE, S.WONT_DO),
    (S.WONT_DO, S.DONE),
    (S.WONT_DO, S.IN_PROGRESS),
    (S.WONT_DO, S.BLOCKED),
]


@pytest.mark.parametrize(("old", "new"), ITEM_ALLOWED)
def test_item_transition_allowed_with_its_note(responder, incident, old, new):
    item = item_in(old, incident=incident)
    result = services_items.action_item_change_status(item=item, actor=responder, status=new, note="because")
    result.refresh_from_db()
    assert result.status == new
    assert result.version == 2
    record = result.history.first()
    assert (record.prev_record.status, record.status) == (old, new)
    assert (record.history_user, record.history_change_reason) == (responder, "Status changed: because")


@pytest.mark.parametrize(("old", "new"), ITEM_REFUSED)
def test_item_transition_refused_leaves_item_unchanged(responder, incident, old, new):
    item = item_in(old, incident=incident)
    with pytest.raises(ValidationError) as exc:
        services_items.action_item_change_status(item=item, actor=responder, status=new, note="because")
    assert "status" in exc.value.message_dict
    item.refresh_from_db()
    assert (item.status, item.version) == (old, 1)


@pytest.mark.parametrize(
    ("status", "field", "message"),
    [
        (S.DONE, "completion_note", "completion note"),
        (S.WONT_DO, "wont_do_reason", "why"),
        (S.BLOCKED, "blocked_on", "waiting on"),
    ],
)
def test_done_wont_do_and_blocked_need_their_note(responder, incident, status, field, message):
    item = ActionItemFactory(incident=incident)
    with pytest.raises(ValidationError) as exc:
        services_items.action_item_change_status(item=item, actor=responder, status=status, note="   ")
    assert message in exc.value.message_dict["note"][0]
    services_items.action_item_change_status(
        item=item, actor=responder, status=status, note="Prompt shows the host"
    )
    item.refresh_from_db()
    assert getattr(item, field) == "Prompt shows the host"


def test_reopening_a_done_item_needs_a_reason_and_clears_completion(responder, incident):
    item = item_in(S.DONE, incident=incident)
    with pytest.raises(ValidationError):
        services_items.action_item_change_status(item=item, actor=responder, status=S.OPEN)
    services_items.action_item_change_status(
        item=item, actor=responder, status=S.OPEN, note="Prompt still ambiguous"
    )
    item.refresh_from_db()
    assert item.status == S.OPEN
    assert item.completed_at is None


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [("outsider", False), ("viewer", False), ("responder", True), ("commander", True), ("admin", True)],
)
def test_item_status_change_by_persona(personas, incident, persona, allowed):
    item = ActionItemFactory(incident=incident)
    actor = personas[persona]
    if allowed:
        services_items.action_item_change_status(item=item, actor=actor, status=S.IN_PROGRESS)
        item.refresh_from_db()
        assert item.status == S.IN_PROGRESS
    else:
        with pytest.raises(PermissionDenied):
            services_items.action_item_change_status(item=item, actor=actor, status=S.IN_PROGRESS)
        item.refresh_from_db()
        assert item.status == S.OPEN


def test_viewer_who_owns_the_item_may_close_it(owner, incident):
    item = ActionItemFactory(incident=incident, owner=owner)
    services_items.action_item_change_status(
        item=item, actor=owner, status=S.DONE, note="Prompts now red on prod"
    )
    item.refresh_from_db()
    assert item.status == S.DONE


def test_owner_who_cannot_see_the_restricted_incident_still_closes_their_item(outsider, commander):
    incident = IncidentFactory(visibility=Visibility.RESTRICTED, commander=commander)
    item = ActionItemFactory(incident=incident, owner=outsider)
    from incidents.permissions.followup import action_items_visible_to
    from incidents.permissions.incident import can_view_incident

    assert not can_view_incident(outsider, incident)
    assert list(action_items_visible_to(outsider)) == [item]
    services_items.action_item_change_status(item=item, actor=outsider, status=S.DONE, note="Done")
    item.refresh_from_db()
    assert item.status == S.DONE


def test_stale_item_edit_is_refused_and_nothing_is_saved(responder, commander, incident):
    item = ActionItemFactory(incident=incident, title="Original")
    services_items.action_item_update(
        item=item, actor=commander, expected_version=1, title="Commander's title"
    )
    with pytest.raises(services_common.FollowupConflict) as exc:
        services_items.action_item_update(
            item=item, actor=responder, expected_version=1, title="Responder's title"
        )
    assert exc.value.current.title == "Commander's title"
    assert exc.value.current.version == 2
    item.refresh_from_db()
    assert item.title == "Commander's title"


def test_creating_with_an_owner_emails_the_owner_once_committed(responder, owner, incident, told):
    _, emails = told(
        lambda: services_items.action_item_create(
            actor=responder, incident=incident, title="Hourly snapshots", owner=owner
        )
    )
    assert [to for to, _ in emails] == [owner.email]
    assert "Hourly snapshots" in emails[0][1]


def test_assigning_an_item_to_yourself_emails_no_one(responder, incident, told):
    _, emails = told(
        lambda: services_items.action_item_create(
            actor=responder, incident=incident, title="x", owner=responder
        )
    )
    assert emails == []


def test_a_rolled_back_create_emails_no_one(responder, owner, incident, told, mailoutbox):
    from django.db import transaction

    def create_then_fail():
        with transaction.atomic():
            services_items.action_item_create(actor=responder, incident=incident, title="Gone", owner=owner)
            raise RuntimeError("later step failed")

    with pytest.raises(RuntimeError):
        told(create_then_fail)
    assert not ActionItem.objects.filter(title="Gone").exists()
    assert mailoutbox == []


def test_reassigning_emails_the_new_owner_only(responder, owner, commander, incident, told):
    item = ActionItemFactory(incident=incident, owner=owner)
    _, emails = told(lambda: services_items.action_item_update(item=item, actor=responder, title="Renamed"))
    assert emails == []
    _, emails = told(lambda: services_items.action_item_update(item=item, actor=responder, owner=commander))
    assert [to for to, _ in emails] == [commander.email]


def test_default_due_date_follows_the_priority_target(responder, incident, settings):
    settings.ACTION_ITEM_DUE_TARGET_DAYS = {"P1": 7, "P2": 30, "P3": 90}
    with time_machine.travel(dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC), tick=False):
        item = services_items.action_item_create(actor=responder, incident=incident, title="x", priority="P1")
    assert item.due_date == dt.date(2026, 3, 17)
    assert item.target_due_date == dt.date(2026, 3, 17)


def test_due_date_past_the_target_is_shown_as_a_breach(responder, incident):
    item = services_items.action_item_create(
        actor=responder,
        incident=incident,
        title="x",
        priority="P1",
        due_date=utc_today() + dt.timedelta(days=60),
    )
    assert item.breaches_target
    other = services_items.action_item_create(actor=responder, incident=incident, title="y", priority="P3")
    assert not other.breaches_target


def test_it_did_not_work_reopens_the_item(owner, incident):
    item = ActionItemFactory(incident=incident, owner=owner, recheck_date=utc_today())
    services_items.action_item_change_status(item=item, actor=owner, status=S.DONE, note="Alert added")
    item.refresh_from_db()
    assert item.recheck_due
    with pytest.raises(ValidationError):
        services_items.action_item_confirm_effect(item=item, actor=owner, worked=False, note="")
    services_items.action_item_confirm_effect(
        item=item, actor=owner, worked=False, note="Empty backup went unnoticed again"
    )
    item.refresh_from_db()
    assert item.status == S.OPEN
    assert item.recheck_outcome == "did_not_work"
    assert not item.recheck_due
    assert (
        item.history.first().history_change_reason
        == "Effect re-checked: It did not work: Empty backup went unnoticed again"
    )


def test_it_worked_keeps_the_item_done(owner, incident):
    item = item_in(S.DONE, incident=incident, owner=owner, recheck_date=utc_today())
    services_items.action_item_confirm_effect(item=item, actor=owner, worked=True)
    item.refresh_from_db()
    assert (item.status, item.recheck_outcome) == (S.DONE, "worked")


def test_only_a_done_item_can_be_rechecked(owner, incident):
    item = ActionItemFactory(incident=incident, owner=owner)
    with pytest.raises(ValidationError):
        services_items.action_item_confirm_effect(item=item, actor=owner, worked=True)


def test_a_recurring_factor_flags_done_items_of_the_earlier_occurrence(commander, incident):
    first = ContributingFactorFactory(incident=IncidentFactory())
    done = item_in(S.DONE, incident=first.incident, factor=first)
    still_open = ActionItemFactory(incident=first.incident, factor=first)
    again = ContributingFactorFactory(incident=incident)
    services_recurrence.contributing_factor_mark_recurrence(factor=again, actor=commander, earlier=first)
    done.refresh_from_db()
    still_open.refresh_from_db()
    assert done.did_not_prevent_recurrence
    assert done.needs_recurrence_review
    assert done.recurrence_incident == incident
    assert not still_open.did_not_prevent_recurrence
    # Calling again flags nothing new.
    assert services_recurrence.action_items_flag_recurrence(factor=again, actor=commander) == []


def test_recurrence_follows_the_chain_and_refuses_loops(commander):
    a = ContributingFactorFactory()
    b = ContributingFactorFactory()
    c = ContributingFactorFactory()
    old_item = item_in(S.DONE, incident=a.incident, factor=a)
    services_recurrence.contributing_factor_mark_recurrence(factor=b, actor=SYSTEM, earlier=a)
    services_recurrence.contributing_factor_mark_recurrence(factor=c, actor=SYSTEM, earlier=b)
    old_item.refresh_from_db()
    assert old_item.recurrence_incident == b.incident  # flagged at the first recurrence, kept
    with pytest.raises(ValidationError):
        services_recurrence.contributing_factor_mark_recurrence(factor=a, actor=SYSTEM, earlier=c)


def test_a_third_occurrence_marked_against_the_first_flags_the_second_occurrences_items(commander):
    first = ContributingFactorFactory()
    second = ContributingFactorFactory()
    second_item = item_in(S.DONE, incident=second.incident, factor=second)
    services_recurrence.contributing_factor_mark_recurrence(factor=second, actor=SYSTEM, earlier=first)
    third = ContributingFactorFactory()
    services_recurrence.contributing_factor_mark_recurrence(factor=third, actor=SYSTEM, earlier=first)
    second_item.refresh_from_db()
    assert second_item.did_not_prevent_recurrence
    assert second_item.recurrence_incident == third.incident


def test_reviewing_a_recurrence_can_reopen_the_item(commander, incident):
    first = ContributingFactorFactory()
    item = item_in(S.DONE, incident=first.incident, factor=first)
    services_recurrence.contributing_factor_mark_recurrence(
        factor=ContributingFactorFactory(incident=incident), actor=SYSTEM, earlier=first
    )
    services_recurrence.action_item_review_recurrence(
        item=item, actor=commander, note="Needs a second check", reopen=True
    )
    item.refresh_from_db()
    assert item.status == S.OPEN
    assert not item.needs_recurrence_review


# --- Policy findings ------------------------------------------------------------------------------------


def finding_in(status, **kw):
    return PolicyFindingFactory(status=status, **kw)


FINDING_ALLOWED = [
    (F.DRAFT, F.OPEN),
    (F.OPEN, F.REMEDIATING),
    (F.REMEDIATING, F.REMEDIATED),
    (F.REMEDIATING, F.OPEN),
    (F.REMEDIATED, F.REMEDIATING),
    (F.VERIFIED, F.CLOSED),
    (F.VERIFIED, F.OPEN),
    (F.CLOSED, F.OPEN),
    (F.RISK_ACCEPTED, F.OPEN),
]
FINDING_REFUSED = [
    (F.DRAFT, F.REMEDIATING),
    (F.OPEN, F.REMEDIATED),
    (F.OPEN, F.CLOSED),
    (F.REMEDIATING, F.CLOSED),
    (F.REMEDIATED, F.CLOSED),
    (F.REMEDIATED, F.VERIFIED),  # only through policy_finding_verify
    (F.OPEN, F.RISK_ACCEPTED),  # only through policy_finding_accept_risk
    (F.CLOSED, F.REMEDIATING),
    (F.RISK_ACCEPTED, F.CLOSED),
]


@pytest.mark.parametrize(("old", "new"), FINDING_ALLOWED)
def test_finding_transition_allowed(responder, old, new):
    finding = finding_in(old, owner=responder)
    services_findings.policy_finding_transition(
        finding=finding, actor=responder, status=new, note="evidence or reason"
    )
    finding.refresh_from_db()
    assert finding.status == new
    record = finding.history.first()
    assert (record.prev_record.status, record.status) == (old, new)
    assert record.history_change_reason == "Status changed: evidence or reason"


@pytest.mark.parametrize(("old", "new"), FINDING_REFUSED)
def test_finding_transition_refused(responder, old, new):
    finding = finding_in(old, owner=responder)
    with pytest.raises(ValidationError):
        services_findings.policy_finding_transition(finding=finding, actor=responder, status=new, note="x")
    finding.refresh_from_db()
    assert (finding.status, finding.version) == (old, 1)


def test_remediated_needs_evidence_and_reopening_needs_a_reason(responder):
    finding = finding_in(F.REMEDIATING, owner=responder)
    with pytest.raises(ValidationError) as exc:
        services_findings.policy_finding_transition(finding=finding, actor=responder, status=F.REMEDIATED)
    assert "evidence" in exc.value.message_dict["note"][0]
    closed = finding_in(F.CLOSED, owner=responder)
    with pytest.raises(ValidationError):
        services_findings.policy_finding_transition(finding=closed, actor=responder, status=F.OPEN)


@pytest.mark.parametrize(
    ("persona", "allowed"),
    # Moving a finding is for its owner, verifier, team lead or an admin (test_capabilities.py): a responder
    # or commander with no part in this finding is refused.
    [("outsider", False), ("viewer", False), ("responder", False), ("commander", False), ("admin", True)],
)
def test_finding_transition_by_persona(personas, persona, allowed):
    finding = finding_in(F.OPEN)
    actor = personas[persona]
    if allowed:
        services_findings.policy_finding_transition(finding=finding, actor=actor, status=F.REMEDIATING)
        finding.refresh_from_db()
        assert finding.status == F.REMEDIATING
    else:
        with pytest.raises(PermissionDenied):
            services_findings.policy_finding_transition(finding=finding, actor=actor, status=F.REMEDIATING)


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("outsider", False),
        ("viewer", False),
        ("owner", False),
        ("responder", True),
        ("commander", True),
        ("admin", True),
    ],
)
def test_verification_by_persona_never_the_owner(personas, owner, persona, allowed):
    personas = {**personas, "owner": owner}
    finding = finding_in(F.REMEDIATED, owner=owner, evidence="Two-person rule enforced")
    actor = personas[persona]
    if allowed:
        services_findings.policy_finding_verify(
            finding=finding, actor=actor, evidence="Tried it: the second check fired"
        )
        finding.refresh_from_db()
        assert (finding.status, finding.verified_by) == (F.VERIFIED, actor)
    else:
        with pytest.raises((PermissionDenied, ValidationError)):
            services_findings.policy_finding_verify(finding=finding, actor=actor, evidence="looks fine")
        finding.refresh_from_db()
        assert finding.status == F.REMEDIATED


def test_owner_who_is_a_responder_still_cannot_verify(responder):
    finding = finding_in(F.REMEDIATED, owner=responder)
    with pytest.raises(AccessDenied) as exc:
        services_findings.policy_finding_verify(
            finding=finding, actor=responder, evidence="I checked my own work"
        )
    assert exc.value.visible  # a permission (403), not a field error
    assert "someone else" in str(exc.value)


def test_verification_needs_evidence_and_a_remediated_finding(responder, commander):
    finding = finding_in(F.REMEDIATED, owner=commander)
    with pytest.raises(ValidationError):
        services_findings.policy_finding_verify(finding=finding, actor=responder, evidence=" ")
    open_finding = finding_in(F.OPEN, owner=commander)
    with pytest.raises(ValidationError):
        services_findings.policy_finding_verify(finding=open_finding, actor=responder, evidence="x")


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("outsider", False),
        ("viewer", False),
        ("responder", False),
        ("owner", False),
        ("lead", True),
        ("admin", True),
    ],
)
def test_risk_acceptance_by_persona_never_the_owner(personas, owner, lead, team, persona, allowed):
    personas = {**personas, "owner": owner, "lead": lead}
    finding = finding_in(F.OPEN, owner=owner, team=team)  # `lead` leads the finding's team
    until = utc_today() + dt.timedelta(days=30)
    actor = personas[persona]
    if allowed:
        services_findings.policy_finding_accept_risk(
            finding=finding, actor=actor, until=until, reason="Compensating control"
        )
        finding.refresh_from_db()
        assert (finding.status, finding.risk_accepted_by, finding.risk_accepted_until) == (
            F.RISK_ACCEPTED,
            actor,
            until,
        )
    else:
        with pytest.raises((PermissionDenied, ValidationError)):
            services_findings.policy_finding_accept_risk(
                finding=finding, actor=actor, until=until, reason="r"
            )
        finding.refresh_from_db()
        assert finding.status == F.OPEN


def test_lead_who_owns_the_finding_cannot_accept_its_risk(lead):
    finding = finding_in(F.OPEN, owner=lead)
    with pytest.raises(AccessDenied) as exc:
        services_findings.policy_finding_accept_risk(
            finding=finding, actor=lead, until=utc_today() + dt.timedelta(days=3), reason="r"
        )
    assert exc.value.visible  # a permission (403), not a field error
    assert "someone else" in str(exc.value)


def test_risk_acceptance_needs_a_future_expiry_and_a_reason(lead, team):
    finding = finding_in(F.OPEN, team=team)
    with pytest.raises(ValidationError) as exc:
        services_findings.policy_finding_accept_risk(
            finding=finding, actor=lead, until=utc_today(), reason=""
        )
    assert set(exc.value.message_dict) == {"until", "reason"}
    with pytest.raises(ValidationError) as too_long:
        services_findings.policy_finding_accept_risk(
            finding=finding, actor=lead, until=utc_today() + dt.timedelta(days=366), reason="r"
        )
    assert set(too_long.value.message_dict) == {"until"}
    accepted = services_findings.policy_finding_accept_risk(
        finding=finding, actor=lead, until=utc_today() + dt.timedelta(days=365), reason="r"
    )
    assert accepted.status == F.RISK_ACCEPTED


def test_acceptance_expiry_reopens_the_finding_on_the_owners_date(
    lead, team, webhook_sink, django_capture_on_commit_callbacks
):
    auckland = UserFactory(time_zone="Pacific/Auckland")
    finding = finding_in(F.REMEDIATING, owner=auckland, team=team)
    with time_machine.travel(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC), tick=False):
        services_findings.policy_finding_accept_risk(
            finding=finding, actor=lead, until=dt.date(2026, 6, 30), reason="Vendor fix due in June"
        )
    # 30 June 11:00 UTC is 23:00 on 30 June in Auckland: still accepted.
    with time_machine.travel(dt.datetime(2026, 6, 30, 11, tzinfo=dt.UTC), tick=False):
        assert services_findings.policy_finding_expire_acceptances() == []
    # 30 June 12:30 UTC is already 1 July in Auckland: the acceptance has ended.
    with (
        time_machine.travel(dt.datetime(2026, 6, 30, 12, 30, tzinfo=dt.UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services_findings.policy_finding_expire_acceptances() == [finding.pk]
        assert services_findings.policy_finding_expire_acceptances() == []
    finding.refresh_from_db()
    assert finding.status == F.OPEN
    assert finding.risk_accepted_until is None
    expired, accepted = finding.history.order_by("-history_id")[:2]  # the clock went back: newest by id
    assert (accepted.status, expired.status, expired.history_user) == (F.RISK_ACCEPTED, F.OPEN, None)
    record = expired
    assert record.history_change_reason.startswith("Risk acceptance expired: ")
    assert "2026-06-30" in record.history_change_reason
    [(event, data)] = webhook_sink()
    assert event == "finding.reopened"
    assert data["finding"]["id"] == finding.pk
    assert data["finding"]["status"] == F.OPEN
    assert data["reason"] == "risk acceptance expired"


def test_a_closed_finding_seen_in_a_new_incident_reopens_and_links_it(commander, incident):
    finding = finding_in(F.CLOSED, verified_by=commander)
    services_findings.policy_finding_seen_again(finding=finding, incident=incident, actor=commander)
    finding.refresh_from_db()
    assert finding.status == F.OPEN
    assert finding.verified_by is None
    assert list(finding.incidents.all()) == [incident]
    assert finding.history.first().history_change_reason == "Status changed: Seen again in another incident."
    # Seen again in the same incident: nothing more happens.
    version = finding.version
    services_findings.policy_finding_seen_again(finding=finding, incident=incident, actor=commander)
    finding.refresh_from_db()
    assert finding.version == version


def test_an_open_finding_seen_again_only_links_the_incident(commander, incident):
    finding = finding_in(F.REMEDIATING)
    services_findings.policy_finding_seen_again(finding=finding, incident=incident, actor=commander)
    finding.refresh_from_db()
    assert finding.status == F.REMEDIATING
    assert finding.incidents.count() == 1


def test_verifier_cannot_be_the_owner(responder):
    with pytest.raises(ValidationError) as exc:
        services_findings.policy_finding_create(
            actor=responder, area="access_control", title="t", owner=responder, verifier=responder
        )
    assert "verifier" in exc.value.message_dict


def test_a_remediation_item_links_to_the_finding_and_leaves_its_status_to_people(responder):
    finding = finding_in(F.OPEN)
    services_items.action_item_create(actor=responder, finding=finding, title="Require a second person")
    finding.refresh_from_db()
    assert finding.status == F.OPEN
    assert [i.title for i in finding.action_items.all()] == ["Require a second person"]


def test_a_viewer_cannot_add_remediation_items(viewer):
    finding = finding_in(F.OPEN)
    with pytest.raises(PermissionDenied):
        services_items.action_item_create(actor=viewer, finding=finding, title="x")


def test_review_can_open_a_draft_finding_and_its_owner_is_emailed(responder, owner, incident, told):
    finding, emails = told(
        lambda: services_findings.policy_finding_create(
            actor=SYSTEM,
            area="access_control",
            title="One person could change production alone",
            owner=owner,
            incidents=[incident],
            status=F.DRAFT,
        )
    )
    assert finding.status == F.DRAFT
    assert [to for to, _ in emails] == [owner.email]
    assert "One person could change production alone" in emails[0][1]


# --- Deactivation and reassignment --------------------------------------------------------------------


def test_deactivating_an_owner_keeps_every_item_and_lists_their_open_work(admin_user, owner, incident):
    open_items = [ActionItemFactory(incident=incident, owner=owner) for _ in range(3)]
    done = item_in(S.DONE, incident=incident, owner=owner)
    finding = finding_in(F.REMEDIATING, owner=owner)
    closed = finding_in(F.CLOSED, owner=owner)
    user_deactivate(user=owner, actor=admin_user)
    owner.refresh_from_db()
    assert not owner.is_active
    assert owner.deactivated_at is not None
    assert list(open_items_owned_by(owner)) == open_items
    assert list(open_findings_owned_by(owner)) == [finding]
    assert ActionItem.objects.filter(owner=owner).count() == 4
    assert PolicyFinding.objects.filter(owner=owner).count() == 2
    done.refresh_from_db()
    closed.refresh_from_db()
    assert done.owner == owner
    assert closed.owner == owner


def test_bulk_reassign_moves_open_work_to_an_active_person(admin_user, owner, responder, incident):
    items = [ActionItemFactory(incident=incident, owner=owner) for _ in range(2)]
    finding = finding_in(F.OPEN, owner=owner, verifier=responder)
    user_deactivate(user=owner, actor=admin_user)
    with pytest.raises(ValidationError):
        services_reassign.followup_reassign(actor=admin_user, new_owner=owner, items=items)
    n = services_reassign.followup_reassign(
        actor=admin_user, new_owner=responder, items=items, findings=[finding]
    )
    assert n == (2, 1)
    assert set(ActionItem.objects.values_list("owner", flat=True)) == {responder.pk}
    finding.refresh_from_db()
    assert (finding.owner, finding.verifier) == (responder, None)


def test_bulk_reassign_is_for_leads_and_admins(responder, commander, incident):
    item = ActionItemFactory(incident=incident, owner=commander)
    with pytest.raises(PermissionDenied):
        services_reassign.followup_reassign(actor=responder, new_owner=responder, items=[item])


def test_assigning_to_a_deactivated_user_is_refused(responder, owner, incident, admin_user):
    user_deactivate(user=owner, actor=admin_user)
    with pytest.raises(ValidationError) as exc:
        services_items.action_item_create(actor=responder, incident=incident, title="x", owner=owner)
    # As an id that names nobody: whether someone was deactivated is not the caller's to learn.
    assert exc.value.message_dict["owner"] == [NOT_CHOOSABLE]


def test_priority_target_counts_from_the_owners_local_creation_date(commander):
    import datetime as dt

    import time_machine

    from tests.factories import ActionItemFactory, UserFactory

    owner = UserFactory(email="auckland-owner@example.com", time_zone="Pacific/Auckland")
    # 20:00 UTC on 1 March is already 2 March in Auckland.
    with time_machine.travel(dt.datetime(2026, 3, 1, 20, 0, tzinfo=dt.UTC), tick=False):
        item = ActionItemFactory(owner=owner, priority="P1", due_date=dt.date(2026, 3, 16))
        assert item.target_due_date == dt.date(2026, 3, 16)
        assert not item.breaches_target
