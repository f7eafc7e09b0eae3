"""No reference of a restricted incident reaches someone outside it: counts, recurrence links, similar
incidents, exports, search and API fields are counted and listed only within the caller's scope."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from incidents.models import Visibility
from incidents.review.services import postmortems as review_services
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    IncidentFactory,
    PolicyFindingFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SECRETS = ("INC-4242", "Secret merger outage", "seen in 2 incidents")


@pytest.fixture
def secret(db):
    """A restricted incident whose only participant is its commander."""
    insider = UserFactory(email="insider@example.com")
    inc = IncidentFactory(
        number=4242, title="Secret merger outage", visibility=Visibility.RESTRICTED, commander=insider
    )
    inc.participants.add(insider)
    return inc


@pytest.fixture
def recurring(incident, secret, responder):
    """`incident` (internal) has a postmortem and a factor marked as a recurrence of the secret one's."""
    first = ContributingFactorFactory(incident=secret, title="Config drift between regions")
    ContributingFactorFactory(incident=incident, title="Config drift again", recurrence_of=first)
    return review_services.postmortem_start(incident=incident, actor=responder)


def _assert_clean(text: str, where: str) -> None:
    for s in SECRETS:
        assert s not in text, f"{s!r} leaks on {where}"


@pytest.mark.parametrize(
    "page",
    ["detail", "postmortem", "meeting", "postmortem_print", "postmortem_export_md", "postmortem_export_json"],
)
def test_a_recurrence_from_a_hidden_incident_is_neither_counted_nor_named(
    client_for, responder, incident, recurring, page
):
    text = client_for(responder).get(reverse(f"incidents:{page}", args=[incident.number])).getvalue().decode()
    _assert_clean(text, page)


def test_the_json_export_says_nothing_of_the_hidden_recurrence(client_for, responder, incident, recurring):
    data = json.loads(
        client_for(responder)
        .get(reverse("incidents:postmortem_export_json", args=[incident.number]))
        .getvalue()
    )
    (factor,) = data["contributing_factors"]
    assert factor["recurrence_of"] is None
    assert factor["seen_in_incidents"] == 1


def test_an_admin_sees_the_recurrence_counted_and_named(client_for, admin_user, incident, recurring):
    client = client_for(admin_user)
    assert (
        "seen in 2 incidents"
        in client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    )
    data = json.loads(
        client.get(reverse("incidents:postmortem_export_json", args=[incident.number])).getvalue()
    )
    assert data["contributing_factors"][0]["recurrence_of"]["incident"] == "INC-4242"
    assert data["contributing_factors"][0]["seen_in_incidents"] == 2


def test_findings_api_lists_only_the_incidents_the_caller_may_see(api_for, responder, incident, secret):
    finding = PolicyFindingFactory(title="Shared admin password")
    finding.incidents.add(incident, secret)
    client = api_for(responder)
    listed = client.get("/api/v1/policy-findings/").json()["results"]
    assert [f["incidents"] for f in listed] == [[incident.number]]
    assert client.get(f"/api/v1/policy-findings/{finding.pk}/").json()["incidents"] == [incident.number]


def test_an_item_owner_outside_the_incident_gets_no_number_in_api_or_search(
    api_for, client_for, viewer, secret
):
    item = ActionItemFactory(incident=secret, owner=viewer, title="Rotate the merger keys")
    client = api_for(viewer)
    detail = client.get(f"/api/v1/action-items/{item.pk}/").json()
    assert detail["title"] == "Rotate the merger keys"
    assert detail["incident"] is None
    assert detail["factor"] is None
    assert [r["incident"] for r in client.get("/api/v1/action-items/").json()["results"]] == [None]
    assert client.get("/api/v1/action-items/", {"incident": 4242}).json()["results"] == []
    page = client_for(viewer).get(reverse("incidents:search"), {"q": "merger keys"}).content.decode()
    assert "Rotate the merger keys" in page
    assert reverse("incidents:action_item_detail", args=[item.pk]) in page
    _assert_clean(page, "search")
    assert f"/incidents/{secret.number}/" not in page


def test_a_written_item_answers_without_the_hidden_incident(api_for, viewer, secret):
    item = ActionItemFactory(incident=secret, owner=viewer, title="Rotate the merger keys")
    answer = api_for(viewer).patch(
        f"/api/v1/action-items/{item.pk}/", {"title": "Rotate keys"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["incident"] is None


def test_similar_incidents_never_suggest_a_hidden_one(client_for, responder, incident, secret):
    text = client_for(responder).get(reverse("incidents:similar_preview"), {"title": "Secret merger outage"})
    _assert_clean(text.content.decode(), "similar preview")


def test_history_never_names_the_hidden_incident_a_finding_or_factor_was_seen_again_in(
    client_for, responder, incident, secret, team
):
    from accounts.models import Membership
    from incidents.followup.services.findings import policy_finding_seen_again
    from incidents.followup.services.recurrence import action_items_flag_recurrence
    from incidents.models import ActionItemStatus
    from tests.factories import MembershipFactory

    insider = secret.commander
    MembershipFactory(user=insider, team=team, role=Membership.Role.RESPONDER)
    finding = PolicyFindingFactory(title="Shared admin password")
    finding.incidents.add(incident)
    policy_finding_seen_again(finding=finding, incident=secret, actor=insider)
    addressed = ContributingFactorFactory(incident=incident, title="Config drift")
    item = ActionItemFactory(incident=incident, factor=addressed, status=ActionItemStatus.DONE)
    again = ContributingFactorFactory(incident=secret, title="Config drift", recurrence_of=addressed)
    assert action_items_flag_recurrence(factor=again, actor=insider) == [item]
    client = client_for(responder)
    for name, arg in [
        ("finding_detail", finding.pk),
        ("finding_history", finding.pk),
        ("action_item_detail", item.pk),
        ("action_item_history", item.pk),
    ]:
        page = client.get(reverse(f"incidents:{name}", args=[arg]))
        assert page.status_code == 200
        _assert_clean(page.content.decode(), name)


def test_insights_never_show_the_title_of_a_hidden_factor_that_recurs(client_for, responder, secret):
    first = ContributingFactorFactory(incident=secret, title="Merger data room left open")
    for n in (1, 2):
        ContributingFactorFactory(incident=IncidentFactory(), title=f"Open share {n}", recurrence_of=first)
    csv_text = client_for(responder).get(reverse("incidents:insights_csv", args=["recurring-factors"]))
    assert csv_text.status_code == 200
    assert "Merger data room" not in csv_text.getvalue().decode()


def test_the_factor_api_omits_a_recurrence_from_a_hidden_incident(api_for, responder, incident, secret):
    first = ContributingFactorFactory(incident=secret, title="Config drift between regions")
    again = ContributingFactorFactory(incident=incident, title="Config drift again", recurrence_of=first)
    client = api_for(responder)
    detail = client.get(f"/api/v1/contributing-factors/{again.pk}/").json()
    assert detail["recurrence_of"] is None
    (listed,) = client.get(f"/api/v1/contributing-factors/?incident={incident.number}").json()["results"]
    assert listed["recurrence_of"] is None
    # Editing the factor keeps the recurrence the editor cannot see (no "no such factor" error).
    edited = client.patch(f"/api/v1/contributing-factors/{again.pk}/", {"title": "Drift"}, format="json")
    assert edited.status_code == 200, edited.content
    assert edited.json()["recurrence_of"] is None
    again.refresh_from_db()
    assert again.recurrence_of_id == first.pk


def test_the_factor_api_names_a_visible_recurrence(api_for, admin_user, incident, secret):
    first = ContributingFactorFactory(incident=secret)
    again = ContributingFactorFactory(incident=incident, recurrence_of=first)
    assert (
        api_for(admin_user).get(f"/api/v1/contributing-factors/{again.pk}/").json()["recurrence_of"]
        == first.pk
    )
