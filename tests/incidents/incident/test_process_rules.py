"""Process rules per type and severity: a required postmortem due some days after the resolution, sections and
questions before review, no closing before the postmortem is published or waived (admins and the incident's
team leads waive, with a reason), and the checklist on the incident page with owners."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from incidents.errors import AccessDenied, TransitionError
from incidents.incident import process
from incidents.incident.services.lifecycle import incident_change_status, incident_resolve
from incidents.incident.services.process import incident_postmortem_waive, process_rule_save
from incidents.models import IncidentStatus, ProcessRule, Severity, TimelineEntry
from incidents.review.services import postmortems, reviews
from tests.factories import IncidentFactory, IncidentTypeFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(team):
    user = UserFactory(email="lead@example.com", display_name="Lee Lead")
    MembershipFactory(user=user, team=team, role=Membership.Role.LEAD)
    return user


@pytest.fixture
def security():
    return IncidentTypeFactory(name="Security", slug="security")


def _resolved(incident, commander):
    incident_resolve(incident=incident, actor=commander)
    incident.refresh_from_db()
    return incident


def _publish(incident, commander, responder):
    pm = postmortems.postmortem_start(incident=incident, actor=commander)
    pm = postmortems.postmortem_save(
        postmortem=pm, actor=commander, sections={"trigger": "A renewal job."}, expected_version=pm.version
    )
    pm, _ = reviews.postmortem_request_review(postmortem=pm, actor=commander, reviewers=[responder])
    reviews.postmortem_review_decide(
        postmortem=pm, actor=responder, decision="approved", expected_version=pm.version
    )
    pm.refresh_from_db()
    return reviews.postmortem_publish(postmortem=pm, actor=commander)


def test_by_default_sev1_and_sev2_require_a_postmortem_and_sev3_does_not():
    assert [process.default_rule(s).postmortem_required for s in Severity.values] == [
        True,
        True,
        False,
        False,
    ]
    assert process.default_rule(Severity.SEV1).postmortem_due_days == 5


def test_a_sev2_incident_cannot_close_before_its_postmortem_is_published(commander, responder, incident):
    _resolved(incident, commander)
    with pytest.raises(TransitionError, match="needs its postmortem published"):
        incident_change_status(incident=incident, actor=commander, status=IncidentStatus.CLOSED)
    _publish(incident, commander, responder)
    closed = incident_change_status(incident=incident, actor=commander, status=IncidentStatus.CLOSED)
    assert closed.status == IncidentStatus.CLOSED


def test_a_sev3_incident_closes_without_a_postmortem(commander, team):
    incident = IncidentFactory(commander=commander, severity=Severity.SEV3)
    _resolved(incident, commander)
    assert incident_change_status(incident=incident, actor=commander, status="closed").status == "closed"


def test_the_page_and_the_api_say_why_closing_is_refused(client_for, api_for, commander, incident):
    _resolved(incident, commander)
    client = client_for(commander)
    response = client.post(reverse("incidents:status", args=[incident.number]), {"status": "closed"})
    assert response.status_code == 302
    page = client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert "needs its postmortem published" in page
    api = api_for(commander).post(
        f"/api/v1/incidents/{incident.number}/status/", {"status": "closed"}, format="json"
    )
    assert api.status_code == 400
    assert "needs its postmortem published" in api.json()["status"][0]


def test_a_lead_of_the_incidents_team_waives_with_a_reason_and_it_may_close(commander, lead, incident):
    _resolved(incident, commander)
    with pytest.raises(ValidationError) as refused:
        incident_postmortem_waive(incident=incident, actor=lead, reason="  ")
    assert "reason" in refused.value.message_dict
    incident_postmortem_waive(incident=incident, actor=lead, reason="A duplicate of INC-3; reviewed there.")
    incident.refresh_from_db()
    assert (incident.postmortem_waived_by, incident.postmortem_waiver_reason) == (
        lead,
        "A duplicate of INC-3; reviewed there.",
    )
    assert TimelineEntry.objects.filter(
        incident=incident, body__startswith="Postmortem waived: A duplicate"
    ).exists()
    assert incident_change_status(incident=incident, actor=commander, status="closed").status == "closed"


@pytest.mark.parametrize("who", ["commander", "responder", "viewer"])
def test_those_it_would_review_may_not_waive_it(personas, incident, who):
    with pytest.raises(AccessDenied) as refused:
        incident_postmortem_waive(incident=incident, actor=personas[who], reason="No need.")
    assert refused.value.visible


def test_nothing_to_waive_is_said_so(commander, admin_user, team):
    minor = IncidentFactory(commander=commander, severity=Severity.SEV4)
    with pytest.raises(ValidationError, match="requires no postmortem"):
        incident_postmortem_waive(incident=minor, actor=admin_user, reason="No need.")


def test_the_waiver_form_is_shown_to_a_lead_and_posts(client_for, commander, lead, incident):
    _resolved(incident, commander)
    url = reverse("incidents:detail", args=[incident.number])
    assert "Waive postmortem" not in client_for(commander).get(url).content.decode()
    client = client_for(lead)
    assert "Waive postmortem" in client.get(url).content.decode()
    waiver = reverse("incidents:postmortem_waiver", args=[incident.number])
    assert client.post(waiver, {"reason": "Tested in staging only."}).status_code == 302
    page = client.get(url).content.decode()
    assert "Waived by Lee Lead: Tested in staging only." in page
    assert client_for(commander).post(waiver, {"reason": "x"}).status_code == 403


def test_the_checklist_shows_each_step_with_its_owner_and_the_overdue_postmortem(
    client_for, commander, incident
):
    with time_machine.travel(dt.datetime(2026, 3, 6, 9, 0, tzinfo=dt.UTC), tick=False):  # a Friday
        incident.started_at = timezone.now() - dt.timedelta(hours=2)
        incident.save()
        _resolved(incident, commander)
    # Five business days after Friday 6 March: Friday 13 March, the commander's (UTC) date.
    steps = process.incident_checklist(incident, now=dt.datetime(2026, 3, 13, 23, 0, tzinfo=dt.UTC))
    assert [(s.key, s.state) for s in steps] == [("postmortem", "open"), ("close", "blocked")]
    assert steps[0].due_date == dt.date(2026, 3, 13)
    assert steps[0].owner == commander
    late = process.incident_checklist(incident, now=dt.datetime(2026, 3, 14, 0, 0, tzinfo=dt.UTC))
    assert late[0].state == "overdue"
    page = client_for(commander).get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert "Postmortem published" in page
    assert "Owner: Cora Commander (commander)" in page
    assert "due by Fri 13 Mar 2026 (UTC)" in page


def test_due_dates_are_the_commanders_local_business_days():
    assert process.add_business_days(dt.date(2026, 3, 6), 5) == dt.date(2026, 3, 13)
    assert process.add_business_days(dt.date(2026, 3, 7), 1) == dt.date(2026, 3, 9)  # Saturday → Monday
    assert process.add_business_days(dt.date(2026, 3, 9), 0) == dt.date(2026, 3, 9)


def test_a_types_rule_asks_sections_and_questions_before_review(
    admin_user, commander, responder, security, team
):
    process_rule_save(
        actor=admin_user, incident_type=security, severity=Severity.SEV3, postmortem_required=True,
        postmortem_due_days=10, required_sections=["summary", "lessons"], questions_required=True,
    )  # fmt: skip
    incident = IncidentFactory(commander=commander, severity=Severity.SEV3, incident_type=security)
    incident.teams.add(team)
    _resolved(incident, commander)
    pm = postmortems.postmortem_start(incident=incident, actor=commander)
    with pytest.raises(ValidationError, match=r"write the required sections first \(Summary, Lessons\)"):
        reviews.postmortem_request_review(postmortem=pm, actor=commander, reviewers=[responder])
    pm = postmortems.postmortem_save(
        postmortem=pm, actor=commander, sections={"summary": "Keys leaked.", "lessons": "Rotate."},
        expected_version=pm.version,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="answer the detection and change questions first"):
        reviews.postmortem_request_review(postmortem=pm, actor=commander, reviewers=[responder])
    pm = postmortems.postmortem_answer_questions(
        postmortem=pm, actor=commander, detection_method="alert", unnoticed_seconds=600,
        should_have_caught="A secret scanner.", behind_feature_flag=False, staging_matched=True,
        single_person_change=False,
    )  # fmt: skip
    pm, _ = reviews.postmortem_request_review(postmortem=pm, actor=commander, reviewers=[responder])
    assert pm.status == "in_review"
    steps = process.incident_checklist(incident)
    assert [(s.key, s.state) for s in steps] == [
        ("postmortem", "open"), ("sections", "done"), ("questions", "done"), ("close", "blocked"),
    ]  # fmt: skip
    assert steps[0].due_date == process.add_business_days(incident.resolved_at.date(), 10)


def test_the_any_type_rule_applies_where_a_type_has_none(admin_user, commander, security):
    process_rule_save(
        actor=admin_user,
        incident_type=None,
        severity=Severity.SEV2,
        postmortem_required=False,
        postmortem_due_days=5,
    )
    plain = IncidentFactory(commander=commander, incident_type=security)
    assert not process.rule_for(plain).postmortem_required
    process_rule_save(
        actor=admin_user,
        incident_type=security,
        severity=Severity.SEV2,
        postmortem_required=True,
        postmortem_due_days=3,
    )
    assert process.rule_for(plain).postmortem_due_days == 3
    assert ProcessRule.objects.count() == 2


def test_admins_set_rules_on_the_settings_pages_and_leads_may_not(client_for, admin_user, lead, security):
    listing = client_for(admin_user).get(reverse("incidents:process_rule_list"))
    assert listing.status_code == 200
    assert "Any type (without its own rule)" in listing.content.decode()
    url = reverse("incidents:process_rule_edit", args=["security", "SEV3"])
    response = client_for(admin_user).post(
        url, {"postmortem_required": "on", "postmortem_due_days": "7", "required_sections": ["impact"]}
    )
    assert response.status_code == 302
    rule = ProcessRule.objects.get(incident_type=security, severity="SEV3")
    assert (rule.postmortem_due_days, rule.required_sections, rule.questions_required) == (
        7,
        ["impact"],
        False,
    )
    assert client_for(admin_user).post(url, {"postmortem_due_days": "400"}).status_code == 400
    assert client_for(lead).get(url).status_code == 403
    assert (
        client_for(admin_user).get(reverse("incidents:process_rule_edit", args=["nope", "SEV3"])).status_code
        == 404
    )


def test_the_api_gives_the_checklist_and_takes_a_waiver(api_for, commander, lead, incident):
    _resolved(incident, commander)
    url = f"/api/v1/incidents/{incident.number}/process/"
    body = api_for(commander).get(url).json()
    assert body["postmortem_required"] is True
    assert [(s["key"], s["state"]) for s in body["steps"]] == [("postmortem", "open"), ("close", "blocked")]
    assert body["steps"][0]["owner"]["email"] == commander.email
    assert body["steps"][0]["due"] == process.postmortem_due(incident, process.rule_for(incident)).isoformat()
    assert api_for(commander).post(url + "waiver/", {"reason": "No."}, format="json").status_code == 403
    assert api_for(lead).post(url + "waiver/", {}, format="json").status_code == 400
    waived = api_for(lead).post(url + "waiver/", {"reason": "Reviewed with INC-3."}, format="json")
    assert waived.status_code == 200
    assert waived.json()["steps"][0]["state"] == "waived"
    assert waived.json()["waived_by"]["email"] == lead.email
    closed = api_for(commander).post(
        f"/api/v1/incidents/{incident.number}/status/", {"status": "closed"}, format="json"
    )
    assert closed.status_code == 200


def test_the_incident_page_takes_the_same_queries_with_a_rule_and_a_postmortem(
    client_for, admin_user, commander, incident, django_assert_max_num_queries
):
    url = reverse("incidents:detail", args=[incident.number])
    client = client_for(commander)
    with CaptureQueriesContext(connection) as plain:
        client.get(url)
    process_rule_save(
        actor=admin_user, incident_type=None, severity=Severity.SEV2, postmortem_required=True,
        postmortem_due_days=5, required_sections=["summary"], questions_required=True,
    )  # fmt: skip
    _resolved(incident, commander)
    postmortems.postmortem_start(incident=incident, actor=commander)
    with django_assert_max_num_queries(len(plain.captured_queries) + 2):
        assert "Sections written before review" in client.get(url).content.decode()
