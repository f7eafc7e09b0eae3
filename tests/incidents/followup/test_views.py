"""Follow-through pages as users see them: journeys, stale edits, exports, and flat query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import Membership
from accounts.services import user_deactivate
from incidents.models import (
    ActionItem,
    ActionItemStatus,
    FindingStatus,
    PolicyFinding,
    Visibility,
)
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    MembershipFactory,
    PolicyFindingFactory,
    TeamFactory,
    UserFactory,
)
from tests.mail import html_part

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(team):
    user = UserFactory(email="lead@example.com", display_name="Lee Lead")
    MembershipFactory(user=user, team=team, role=Membership.Role.LEAD)
    return user


def test_two_new_users_drive_a_finding_from_open_to_verified_and_closed(client_for, team, incident):
    owner = UserFactory(email="new-owner@example.com", display_name="Noor Newcomer")
    checker = UserFactory(email="new-checker@example.com", display_name="Kit Checker")
    for user in (owner, checker):
        MembershipFactory(user=user, team=team, role=Membership.Role.RESPONDER)
    alice, bob = client_for(owner), client_for(checker)

    # The owner opens the finding from the incident page's link.
    page = alice.get(reverse("incidents:detail", args=[incident.number]))
    assert f"{reverse('incidents:finding_new')}?incident={incident.number}" in page.content.decode()
    response = alice.post(
        reverse("incidents:finding_new"),
        {
            "incident": incident.number,
            "area": "access_control",
            "title": "A destructive command could run on the production database host with no second check",
            "description": "One person ran `rm -rf` on the primary.",
            "risk": "high",
            "owner": owner.pk,
            "verifier": checker.pk,
            "team": team.pk,
            "due_date": "2030-01-31",
        },
    )
    finding = PolicyFinding.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:finding_detail", args=[finding.pk])
    assert list(finding.incidents.all()) == [incident]
    detail = reverse("incidents:finding_detail", args=[finding.pk])
    move = reverse("incidents:finding_transition", args=[finding.pk])
    verify = reverse("incidents:finding_verify", args=[finding.pk])

    assert alice.post(move, {"status": "remediating", "version": 1}).status_code == 302
    # Marking remediated without evidence is refused with a message beside the form.
    refused = alice.post(move, {"status": "remediated", "note": "", "version": 2})
    assert refused.status_code == 400
    assert "Give the evidence that the gap is fixed." in refused.content.decode()
    assert (
        alice.post(
            move,
            {
                "status": "remediated",
                "note": "Destructive commands now need a second approver.",
                "version": 2,
            },
        ).status_code
        == 302
    )

    # The owner cannot verify their own fix; the page tells them someone else must.
    assert "someone else must verify it" in alice.get(detail).content.decode()
    own = alice.post(verify, {"evidence": "I checked it myself", "version": 3})
    assert own.status_code == 403
    finding.refresh_from_db()
    assert finding.status == FindingStatus.REMEDIATED

    # The second user finds it waiting for them, and verifies with evidence.
    assert finding.title in bob.get(reverse("incidents:my_work")).content.decode()
    assert bob.post(verify, {"evidence": "", "version": 3}).status_code == 400
    assert (
        bob.post(verify, {"evidence": "Ran the command as one person: refused.", "version": 3}).status_code
        == 302
    )
    assert bob.post(move, {"status": "closed", "version": 4}).status_code == 302

    finding.refresh_from_db()
    assert finding.status == FindingStatus.CLOSED
    assert finding.verified_by == checker
    page = alice.get(detail).content.decode()
    assert "Ran the command as one person: refused." in page
    assert "Closed" in page


def test_create_an_action_item_from_the_incident_and_see_it_there(client_for, commander, responder, incident):
    client = client_for(commander)
    response = client.post(
        reverse("incidents:action_item_new"),
        {
            "incident": incident.number,
            "title": "Make shell prompts show host and environment",
            "owner": responder.pk,
            "priority": "P1",
            "type": "prevent",
            "due_date": "",
        },
    )
    item = ActionItem.objects.get()
    assert response.status_code == 302
    assert item.incident == incident
    assert item.owner == responder
    assert item.due_date == item.target_due_date
    page = client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert "Make shell prompts show host and environment" in page


def test_done_without_a_note_is_refused_on_the_page(client_for, responder, incident):
    item = ActionItemFactory(incident=incident, owner=responder)
    url = reverse("incidents:action_item_status", args=[item.pk])
    response = client_for(responder).post(url, {"status": "done", "note": "", "version": 1})
    assert response.status_code == 400
    assert "completion note" in response.content.decode()
    item.refresh_from_db()
    assert item.status == ActionItemStatus.OPEN


def test_a_stale_edit_is_refused_with_the_current_state_shown(client_for, responder, commander, incident):
    item = ActionItemFactory(incident=incident, title="Hourly LVM snapshots")
    url = reverse("incidents:action_item_edit", args=[item.pk])
    base = {"priority": "P2", "type": "prevent", "due_date": "2030-01-01", "version": 1}
    assert (
        client_for(commander)
        .post(url, {**base, "title": "Hourly LVM snapshots of every database"})
        .status_code
        == 302
    )
    stale = client_for(responder).post(url, {**base, "title": "Snapshots every hour"})
    assert stale.status_code == 409
    body = stale.content.decode()
    assert "changed by someone else" in body
    assert "Saved now: Hourly LVM snapshots of every database" in body
    assert 'value="Snapshots every hour"' in body  # what they typed is kept
    item.refresh_from_db()
    assert item.title == "Hourly LVM snapshots of every database"


def test_a_stale_status_change_is_refused_with_the_current_state(client_for, responder, commander, incident):
    item = ActionItemFactory(incident=incident)
    url = reverse("incidents:action_item_status", args=[item.pk])
    client_for(commander).post(url, {"status": "in_progress", "version": 1})
    stale = client_for(responder).post(url, {"status": "done", "note": "Finished", "version": 1})
    assert stale.status_code == 409
    assert "In progress" in stale.content.decode()
    item.refresh_from_db()
    assert item.status == ActionItemStatus.IN_PROGRESS


def test_it_did_not_work_from_the_item_page_reopens_it(client_for, responder, incident):
    item = ActionItemFactory(
        incident=incident, owner=responder, status=ActionItemStatus.DONE, recheck_date=dt.date(2020, 1, 1)
    )
    client = client_for(responder)
    assert (
        "The re-check date has come."
        in client.get(reverse("incidents:action_item_detail", args=[item.pk])).content.decode()
    )
    client.post(
        reverse("incidents:action_item_recheck", args=[item.pk]),
        {"worked": "no", "note": "Backups empty again"},
    )
    item.refresh_from_db()
    assert item.status == ActionItemStatus.OPEN


def test_the_item_page_shows_the_re_check_answer_and_what_was_seen(client_for, responder, incident):
    item = ActionItemFactory(
        incident=incident, owner=responder, status=ActionItemStatus.DONE, recheck_date=dt.date(2020, 1, 1)
    )
    client = client_for(responder)
    url = reverse("incidents:action_item_detail", args=[item.pk])
    assert "Answered" not in client.get(url).content.decode()
    with time_machine.travel(dt.datetime(2020, 1, 2, 9, 30, tzinfo=dt.UTC), tick=False):
        client.post(
            reverse("incidents:action_item_recheck", args=[item.pk]),
            {"worked": "yes", "note": "Restore drill passed twice"},
        )
    page = client.get(url).content.decode()
    assert "The re-check date has come." not in page
    answer = page[page.index('class="recheck-answer"') :].split("</p>")[0]
    assert "2020-01-02 09:30" in answer
    assert "<strong>It worked.</strong> Restore drill passed twice" in answer


def test_owner_who_cannot_see_the_incident_sees_and_closes_only_their_item(client_for, outsider, commander):
    incident = IncidentFactory(
        visibility=Visibility.RESTRICTED, commander=commander, title="Secret merger outage"
    )
    item = ActionItemFactory(incident=incident, owner=outsider, title="Rotate the shared key")
    client = client_for(outsider)
    page = client.get(reverse("incidents:action_item_detail", args=[item.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Rotate the shared key" in body
    assert "Secret merger outage" not in body
    assert incident.reference not in body
    assert client.get(reverse("incidents:detail", args=[incident.number])).status_code == 404
    assert "Rotate the shared key" in client.get(reverse("incidents:my_work")).content.decode()
    client.post(
        reverse("incidents:action_item_status", args=[item.pk]),
        {"status": "done", "note": "Rotated", "version": 1},
    )
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE


@pytest.mark.parametrize(
    ("persona", "status"),
    [("outsider", 404), ("viewer", 200), ("responder", 200), ("commander", 200), ("admin", 200)],
)
def test_item_page_by_persona(client_for, personas, incident, persona, status):
    item = ActionItemFactory(incident=incident)
    assert (
        client_for(personas[persona]).get(reverse("incidents:action_item_detail", args=[item.pk])).status_code
        == status
    )


@pytest.mark.parametrize(
    ("persona", "status"),
    [("outsider", 404), ("viewer", 403), ("responder", 200), ("commander", 200), ("admin", 200)],
)
def test_item_edit_page_by_persona(client_for, personas, incident, persona, status):
    item = ActionItemFactory(incident=incident)
    assert (
        client_for(personas[persona]).get(reverse("incidents:action_item_edit", args=[item.pk])).status_code
        == status
    )


@pytest.mark.parametrize(
    ("persona", "status"), [("viewer", 403), ("responder", 403), ("lead", 200), ("admin", 200)]
)
def test_reassign_page_is_for_leads_and_admins(client_for, personas, lead, persona, status):
    user = {**personas, "lead": lead}[persona]
    assert client_for(user).get(reverse("incidents:reassign")).status_code == status


def test_deactivated_owners_work_is_listed_and_bulk_reassigned(client_for, admin_user, responder, incident):
    leaver = UserFactory(email="leaver@example.com", display_name="Lou Leaver")
    items = [ActionItemFactory(incident=incident, owner=leaver) for _ in range(3)]
    done = ActionItemFactory(incident=incident, owner=leaver, status=ActionItemStatus.DONE)
    finding = PolicyFindingFactory(owner=leaver, status=FindingStatus.REMEDIATING)
    user_deactivate(user=leaver, actor=admin_user)
    client = client_for(admin_user)
    listing = client.get(reverse("incidents:reassign")).content.decode()
    assert "Lou Leaver" in listing
    page = client.get(reverse("incidents:reassign") + f"?user={leaver.pk}").content.decode()
    for item in items:
        assert item.title in page
    assert done.title not in page
    response = client.post(
        reverse("incidents:bulk_reassign"),
        {
            "new_owner": responder.pk,
            "items": [i.pk for i in items[:2]],
            "findings": [finding.pk],
            "next": "/reassign/",
        },
    )
    assert response.status_code == 302
    assert ActionItem.objects.filter(owner=responder).count() == 2
    assert (
        ActionItem.objects.filter(owner=leaver).count() == 2
    )  # one open left, and the done one: nothing deleted
    finding.refresh_from_db()
    assert finding.owner == responder


def test_bulk_reassign_refuses_an_outside_redirect(client_for, admin_user, responder, incident):
    item = ActionItemFactory(incident=incident)
    response = client_for(admin_user).post(
        reverse("incidents:bulk_reassign"),
        {"new_owner": responder.pk, "items": [item.pk], "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("incidents:reassign")


def test_my_work_sorts_by_the_owners_local_date(client_for, team, incident):
    auckland = UserFactory(email="nz@example.com", time_zone="Pacific/Auckland")
    MembershipFactory(user=auckland, team=team)
    due = dt.date(2026, 6, 10)
    ActionItemFactory(incident=incident, owner=auckland, title="Due tenth", due_date=due)
    ActionItemFactory(
        incident=incident, owner=auckland, title="Due in a month", due_date=dt.date(2026, 7, 10)
    )
    # 10 June 13:00 UTC is already 11 June in Auckland: the item due on the 10th is overdue there.
    with time_machine.travel(dt.datetime(2026, 6, 10, 13, tzinfo=dt.UTC), tick=False):
        response = client_for(auckland).get(reverse("incidents:my_work"))
    work = response.context["work"]
    assert [i.title for i in work.overdue] == ["Due tenth"]
    assert [i.title for i in work.later] == ["Due in a month"]
    with time_machine.travel(dt.datetime(2026, 6, 10, 11, tzinfo=dt.UTC), tick=False):
        work = client_for(auckland).get(reverse("incidents:my_work")).context["work"]
    assert [i.title for i in work.this_week] == ["Due tenth"]


def test_findings_register_filters_and_counts(client_for, responder):
    PolicyFindingFactory(
        area="access_control", risk="high", status=FindingStatus.OPEN, title="Prod shell alone"
    )
    PolicyFindingFactory(area="testing", risk="low", status=FindingStatus.CLOSED, title="No restore test")
    PolicyFindingFactory(
        area="alerting", risk="high", status=FindingStatus.REMEDIATING, title="Backup alerts bounced",
        due_date=dt.date(2020, 1, 1),
    )  # fmt: skip
    client = client_for(responder)
    page = client.get(reverse("incidents:finding_list"))
    assert page.context["counts"]["total"] == 3
    assert page.context["counts"]["risk_high"] == 2
    assert page.context["counts"]["overdue"] == 1
    only = client.get(reverse("incidents:finding_list") + "?risk=high&overdue=on")
    assert [f.title for f in only.context["page"].object_list] == ["Backup alerts bounced"]
    area = client.get(reverse("incidents:finding_list") + "?area=testing").content.decode()
    assert "No restore test" in area
    assert "Prod shell alone" not in area


HOSTILE = [
    'Comma, "quoted", and\nnewline',
    '=HYPERLINK("http://evil.example","click")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "Ünïcödé — 日本語 — emoji 🚒",
    "trailing CR\r\nand tab\tinside",
]


def _read_csv(response) -> list[dict[str, str]]:
    assert response["Content-Type"].startswith("text/csv; charset=utf-8")
    return list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8"), newline="")))


def test_action_item_csv_round_trips_hostile_text(client_for, responder, incident):
    for text in HOSTILE:
        ActionItemFactory(incident=incident, title=text[:200], description=text, owner=responder)
    rows = _read_csv(client_for(responder).get(reverse("incidents:action_item_export")))
    got = sorted(r["description"] for r in rows)
    expected = sorted(("'" + t) if t[0] in "=+-@" else t for t in HOSTILE)
    assert got == expected
    assert {r["incident"] for r in rows} == {incident.reference}


def test_finding_csv_round_trips_hostile_text_and_neutralises_formulas(client_for, responder):
    for text in HOSTILE:
        PolicyFindingFactory(title=text[:200], evidence=text)
    rows = _read_csv(client_for(responder).get(reverse("incidents:finding_export")))
    by_evidence = sorted(r["evidence"] for r in rows)
    assert by_evidence == sorted(("'" + t) if t[0] in "=+-@" else t for t in HOSTILE)
    assert not any(r["title"][0] in "=+-@" for r in rows)


def test_exports_only_contain_what_the_viewer_may_see(client_for, viewer, commander, team):
    hidden = IncidentFactory(visibility=Visibility.RESTRICTED, commander=commander, title="Hidden outage")
    ActionItemFactory(incident=hidden, title="Secret item")
    visible = IncidentFactory()
    ActionItemFactory(incident=visible, title="Public item")
    finding = PolicyFindingFactory(title="Secret finding")
    finding.incidents.add(hidden)
    PolicyFindingFactory(title="Public finding")
    client = client_for(viewer)
    items = [r["title"] for r in _read_csv(client.get(reverse("incidents:action_item_export")))]
    findings = [r["title"] for r in _read_csv(client.get(reverse("incidents:finding_export")))]
    assert items == ["Public item"]
    assert findings == ["Public finding"]
    everything = [
        r["title"] for r in _read_csv(client_for(commander).get(reverse("incidents:action_item_export")))
    ]
    assert sorted(everything) == ["Public item", "Secret item"]


# --- Query counts: 1 row vs 200 rows --------------------------------------------------------------------


def _many_items(n, owner, team, incident):
    other = TeamFactory()
    for i in range(n):
        ActionItemFactory(
            incident=incident if i % 2 else IncidentFactory(),
            owner=owner if i % 3 else UserFactory(),
            team=team if i % 4 else other,
            due_date=dt.date(2026, 1, 1) + dt.timedelta(days=i),
            status=[ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS, ActionItemStatus.BLOCKED][i % 3],
        )


def _many_findings(n, owner, incident):
    for i in range(n):
        f = PolicyFindingFactory(owner=owner if i % 2 else UserFactory(), status=FindingStatus.REMEDIATED)
        f.incidents.add(incident)


def _count(django_assert_max_num_queries, client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url_name",
    ["incidents:my_work", "incidents:team_board", "incidents:finding_list", "incidents:action_item_export",
     "incidents:finding_export"],
)  # fmt: skip
def test_list_pages_are_flat_in_queries_from_1_to_200(
    client_for, lead, team, incident, url_name, django_assert_max_num_queries
):
    client = client_for(lead)
    url = reverse(url_name) + ("?team=" + team.slug if url_name == "incidents:team_board" else "")
    _many_items(1, lead, team, incident)
    _many_findings(1, UserFactory(), incident)
    one = _count(django_assert_max_num_queries, client, url)
    _many_items(199, lead, team, incident)
    _many_findings(199, UserFactory(), incident)
    with django_assert_max_num_queries(one):
        client.get(url)
    assert one <= 20


def test_incident_page_is_flat_in_action_items(
    client_for, commander, team, incident, django_assert_max_num_queries
):
    client = client_for(commander)
    url = reverse("incidents:detail", args=[incident.number])
    ActionItemFactory(incident=incident, owner=commander)
    one = _count(django_assert_max_num_queries, client, url)
    for _ in range(199):
        ActionItemFactory(incident=incident, owner=UserFactory(), team=team)
    with django_assert_max_num_queries(one):
        page = client.get(url)
    assert page.content.decode().count('class="item-row') == 200


def test_finding_page_is_flat_in_items_and_history(
    client_for, commander, incident, django_assert_max_num_queries
):
    finding = PolicyFindingFactory(owner=commander)
    finding.incidents.add(incident)
    client = client_for(commander)
    url = reverse("incidents:finding_detail", args=[finding.pk])
    ActionItemFactory(incident=incident, finding=finding)
    one = _count(django_assert_max_num_queries, client, url)
    for _ in range(199):
        ActionItemFactory(incident=incident, finding=finding, owner=UserFactory())
    with django_assert_max_num_queries(one):
        client.get(url)


@pytest.fixture
def eager_celery():
    from config.celery import app as celery_app

    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_assigning_an_item_on_the_web_emails_the_new_owner(
    client_for, commander, responder, incident, eager_celery, django_capture_on_commit_callbacks
):
    item = ActionItemFactory(incident=incident, owner=commander, title="Enable disk snapshots")
    url = reverse("incidents:action_item_edit", args=[item.pk])
    form = {"title": item.title, "priority": "P1", "type": "mitigate", "due_date": "2030-01-01", "version": 1}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(commander).post(url, {**form, "owner": responder.pk})
    assert response.status_code == 302
    to_owner = [m for m in mail.outbox if m.to == [responder.email]]
    assert len(to_owner) == 1
    assert "Enable disk snapshots" in to_owner[0].body
    assert f"/action-items/{item.pk}/" in html_part(to_owner[0])
    # Saving again without changing the owner sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        client_for(commander).post(
            url, {**form, "owner": responder.pk, "title": "Enable disk snapshots now", "version": 2}
        )
    assert len([m for m in mail.outbox if m.to == [responder.email]]) == 1


def test_opening_a_finding_for_someone_else_emails_them(
    client_for, responder, commander, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(responder).post(
            reverse("incidents:finding_new"),
            {
                "area": "access_control",
                "title": "No second check on prod hosts",
                "risk": "high",
                "owner": commander.pk,
            },
        )
    assert [m.to for m in mail.outbox] == [[commander.email]]
    assert "No second check on prod hosts" in mail.outbox[0].body


def test_team_board_counts_every_item_but_lists_the_soonest_due(client_for, lead, team, incident, settings):
    from incidents.followup import selectors as selectors_followup

    limit = selectors_followup.BOARD_COLUMN_LIMIT
    for i in range(limit + 3):
        ActionItemFactory(incident=incident, team=team, due_date=dt.date(2030, 1, 1) + dt.timedelta(days=i))
    response = client_for(lead).get(reverse("incidents:team_board") + f"?team={team.slug}")
    status, _label, items, total = response.context["board"].columns[0]
    assert (status, total, len(items)) == ("open", limit + 3, limit)
    assert items[0].due_date == dt.date(2030, 1, 1)
    assert f"has all {limit + 3}" in response.content.decode()


def test_an_item_page_never_names_a_finding_its_viewer_cannot_see(client_for, viewer, commander):
    hidden = IncidentFactory(visibility=Visibility.RESTRICTED, commander=commander)
    finding = PolicyFindingFactory(title="Hidden finding title")
    finding.incidents.add(hidden)
    item = ActionItemFactory(incident=None, finding=finding, title="Standalone item", owner=viewer)
    # Its owner sees the item (the item follows its finding, and its owner), never the hidden finding.
    page = client_for(viewer).get(reverse("incidents:action_item_detail", args=[item.pk])).content.decode()
    assert "Standalone item" in page
    assert "Hidden finding title" not in page
    item.owner = None
    item.save()
    assert client_for(viewer).get(reverse("incidents:action_item_detail", args=[item.pk])).status_code == 404
    assert (
        "Hidden finding title"
        in client_for(commander).get(reverse("incidents:action_item_detail", args=[item.pk])).content.decode()
    )


def test_team_board_empty_team_means_every_team(client_for, lead, team, incident):
    other = TeamFactory(name="Payments", slug="payments")
    ActionItemFactory(incident=incident, team=other, title="Payments item")
    client = client_for(lead)
    assert "Payments item" not in client.get(reverse("incidents:team_board")).content.decode()
    assert "Payments item" in client.get(reverse("incidents:team_board") + "?team=").content.decode()


def test_item_page_shows_the_items_history_with_who_and_the_note(client_for, commander, incident):
    item = ActionItemFactory(incident=incident, owner=commander, title="Restore a backup every night")
    client = client_for(commander)
    client.post(
        reverse("incidents:action_item_status", args=[item.pk]),
        {"status": "done", "note": "Nightly restore job added", "version": 1},
    )
    page = client.get(reverse("incidents:action_item_detail", args=[item.pk])).content.decode()
    history = page[page.index('id="history"') :]
    assert "Status changed: Nightly restore job added" in history
    assert "Cora Commander" in history
    assert reverse("incidents:action_item_history", args=[item.pk]) in history
    # The history page is the same history.
    full = client.get(reverse("incidents:action_item_history", args=[item.pk])).content.decode()
    assert "Status changed: Nightly restore job added" in full


def test_finding_page_shows_the_verification_evidence_in_its_history(client_for, commander, responder):
    finding = PolicyFindingFactory(owner=responder, status=FindingStatus.REMEDIATED)
    client = client_for(commander)
    client.post(
        reverse("incidents:finding_verify", args=[finding.pk]),
        {"evidence": "Tried a write as an ordinary engineer: refused.", "version": finding.version},
    )
    page = client.get(reverse("incidents:finding_detail", args=[finding.pk])).content.decode()
    history = page[page.index('id="history"') :]
    assert "Verified: Tried a write as an ordinary engineer: refused." in history
    assert "Cora Commander" in history


def test_reviewing_a_recurrence_flag_on_the_item_page_can_reopen_it(client_for, responder, incident):
    item = ActionItemFactory(
        incident=incident, owner=responder, status=ActionItemStatus.DONE, did_not_prevent_recurrence=True
    )
    client = client_for(responder)
    page = client.get(reverse("incidents:action_item_detail", args=[item.pk])).content.decode()
    assert "Did not prevent recurrence" in page
    response = client.post(
        reverse("incidents:action_item_recurrence", args=[item.pk]),
        {"note": "The alert threshold was too high", "reopen": "on"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == ActionItemStatus.OPEN
    assert item.recurrence_review_note == "The alert threshold was too high"
    assert not item.needs_recurrence_review


# --- Another person's work: one visibility rule (permissions.work_shown_to) ------------------------------


@pytest.fixture
def hidden_work(team, responder, incident):
    """`responder` owns work on a restricted incident they take part in, and on `incident` (internal)."""
    secret = IncidentFactory(number=4242, title="Secret merger outage", visibility=Visibility.RESTRICTED)
    secret.participants.add(responder)
    return {
        "secret": secret,
        "hidden_item": ActionItemFactory(incident=secret, owner=responder, title="Rotate the merger keys"),
        "shown_item": ActionItemFactory(incident=incident, owner=responder, title="Add a disk alert"),
        "hidden_finding": PolicyFindingFactory(owner=responder, title="Merger data room is world-readable"),
        "mixed_finding": PolicyFindingFactory(owner=responder, title="Shared admin password"),
    }


def test_reassign_page_shows_a_lead_no_work_on_incidents_they_cannot_see(
    client_for, responder, incident, hidden_work
):
    hidden_work["hidden_finding"].incidents.add(hidden_work["secret"])
    hidden_work["mixed_finding"].incidents.add(hidden_work["secret"], incident)
    other_lead = UserFactory(email="other-lead@example.com")
    MembershipFactory(user=other_lead, team=TeamFactory(name="Payments"), role=Membership.Role.LEAD)
    page = (
        client_for(other_lead).get(reverse("incidents:reassign") + f"?user={responder.pk}").content.decode()
    )
    assert "Add a disk alert" in page
    assert "Shared admin password" in page
    assert incident.reference in page  # the mixed finding was seen in an incident the lead may see
    for secret in ("Rotate the merger keys", "Merger data room", "Secret merger outage", "INC-4242"):
        assert secret not in page
    assert "also owns work on incidents you cannot see" in page


def test_reassign_page_counts_a_leavers_work_within_the_leads_scope(
    client_for, admin_user, responder, hidden_work
):
    lead = UserFactory(email="lead2@example.com", display_name="Lee Lead")
    MembershipFactory(user=lead, team=TeamFactory(name="Payments"), role=Membership.Role.LEAD)
    leaver = UserFactory(email="gone@example.com", display_name="Gil Gone")
    ActionItemFactory(incident=hidden_work["secret"], owner=leaver, title="Hidden leaver item")
    user_deactivate(user=leaver, actor=admin_user)
    assert "Gil Gone" not in client_for(lead).get(reverse("incidents:reassign")).content.decode()
    assert "Gil Gone" in client_for(admin_user).get(reverse("incidents:reassign")).content.decode()


def test_a_lead_sees_no_other_persons_work_on_hidden_incidents_on_any_surface(
    client_for, team, lead, responder, incident, hidden_work
):
    """Team board, CSV exports, My work (awaiting verification), the weekly and the team digest."""
    from incidents.notify import selectors as notify_selectors
    from incidents.notify.messages import digest_email

    ActionItem.objects.filter(owner=responder).update(team=team, due_date=dt.date(2099, 1, 1))  # breaches
    finding = hidden_work["hidden_finding"]
    finding.incidents.add(hidden_work["secret"])
    PolicyFinding.objects.filter(pk=finding.pk).update(team=team, status=FindingStatus.REMEDIATED)
    client = client_for(lead)
    surfaces = {
        "board": client.get(reverse("incidents:team_board") + f"?team={team.slug}"),
        "items csv": client.get(reverse("incidents:action_item_export") + f"?owner={responder.pk}"),
        "findings csv": client.get(reverse("incidents:finding_export")),
        "my work": client.get(reverse("incidents:my_work")),
    }
    texts = {name: r.getvalue().decode() for name, r in surfaces.items()}
    digest = digest_email(lead, now=dt.datetime.now(dt.UTC))
    texts["weekly digest"] = digest.body if digest else ""
    texts["team digest"] = " ".join(i.title for i in notify_selectors.team_breach_items(team.pk, lead))
    assert "Add a disk alert" in texts["board"] + texts["items csv"] + texts["team digest"]
    for name, text in texts.items():
        for secret in ("Rotate the merger keys", "Merger data room", "Secret merger outage", "INC-4242"):
            assert secret not in text, f"{secret!r} leaks on {name}"
