"""What an outside tester with only the README got through (issue 14, second attack), each as a test.

The setting: `secret` is a restricted incident whose only participant is its commander; `finding` is a
policy finding seen only in it, owned by `owner`, a responder outside it (the README lets a finding's owner
see and edit their finding, so they see it and what hangs on it, but never the incident).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership
from incidents.models import Visibility
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    MembershipFactory,
    PolicyFindingFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TITLE = "Rotate the merger vault keys"


@pytest.fixture
def insider(team):
    user = UserFactory(email="insider@example.com")
    MembershipFactory(user=user, team=team, role=Membership.Role.RESPONDER)
    return user


@pytest.fixture
def secret(insider, team):
    inc = IncidentFactory(
        number=4242, title="Secret merger outage", visibility=Visibility.RESTRICTED, commander=insider
    )
    inc.participants.add(insider)
    inc.teams.add(team)
    return inc


@pytest.fixture
def owner(team):
    user = UserFactory(email="finding-owner@example.com")
    MembershipFactory(user=user, team=team, role=Membership.Role.RESPONDER)
    return user


@pytest.fixture
def lead(team):
    user = UserFactory(email="lead@example.com")
    MembershipFactory(user=user, team=team, role=Membership.Role.LEAD)
    return user


@pytest.fixture
def finding(secret, owner):
    f = PolicyFindingFactory(title="Vault keys shared across tenants", owner=owner)
    f.incidents.add(secret)
    return f


@pytest.fixture
def item(finding, insider):
    """An item made from the finding, on no incident, as the tester made it."""
    return ActionItemFactory(incident=None, finding=finding, title=TITLE, owner=insider)


# --- 1. An item from a finding seen only in a restricted incident ----------------------------------------
def test_the_finding_owner_creates_an_item_on_their_finding_and_sees_it(api_for, owner, finding, secret):
    """The README: a finding's owner edits it, and whoever may edit a finding may create items for it."""
    api = api_for(owner)
    r = api.post("/api/v1/action-items/", {"finding": finding.pk, "title": TITLE}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["finding"] == finding.pk
    assert r.json()["incident"] is None
    assert api.get(f"/api/v1/action-items/{r.json()['id']}/").status_code == 200


@pytest.mark.parametrize("who", ["viewer", "responder", "lead", "outsider"])
def test_an_item_from_a_hidden_finding_is_seen_nowhere_by_others(
    request, client_for, api_for, item, who, django_assert_max_num_queries
):
    user = request.getfixturevalue(who)
    api = api_for(user)
    assert api.get(f"/api/v1/action-items/{item.pk}/").status_code == 404
    listed = api.get("/api/v1/action-items/", {"search": "merger"}).json()
    assert listed["count"] == 0
    web = client_for(user)
    assert web.get(reverse("incidents:action_item_detail", args=[item.pk])).status_code == 404
    with django_assert_max_num_queries(20):
        response = web.get(reverse("incidents:action_item_export"))
    export = b"".join(response.streaming_content).decode()
    assert TITLE not in export
    assert TITLE not in web.get(reverse("incidents:search"), {"q": "merger"}).content.decode()


@pytest.mark.parametrize("who", ["responder", "lead"])
def test_no_one_outside_can_edit_or_move_an_item_from_a_hidden_finding(request, api_for, item, who):
    api = api_for(request.getfixturevalue(who))
    r = api.patch(f"/api/v1/action-items/{item.pk}/", {"title": "pwned"}, format="json")
    assert r.status_code == 404
    r = api.post(f"/api/v1/action-items/{item.pk}/status/", {"status": "in_progress"}, format="json")
    assert r.status_code == 404
    item.refresh_from_db()
    assert (item.title, item.status) == (TITLE, "open")


def test_the_insider_and_the_finding_owner_see_the_item(api_for, insider, owner, item):
    for user in (insider, owner):
        r = api_for(user).get(f"/api/v1/action-items/{item.pk}/")
        assert r.status_code == 200
        assert r.json()["finding"] == item.finding_id


def test_an_item_owner_who_cannot_see_the_finding_gets_no_finding_id(api_for, responder, item):
    """The owner still sees and closes their item (README), but not the finding's id."""
    item.owner = responder
    item.save()
    api = api_for(responder)
    assert api.get(f"/api/v1/action-items/{item.pk}/").json()["finding"] is None
    assert api.get("/api/v1/action-items/").json()["results"][0]["finding"] is None


# --- 2. `?incident=N` of a hidden incident answers as a number that does not exist -----------------------
def _list_endpoints_filtering_by_incident():
    """(prefix, viewset) of every router list endpoint whose filters take `?incident=`."""
    from incidents.api.urls import router

    found = []
    for prefix, viewset, _ in router.registry:
        filterset = getattr(viewset, "filterset_class", None)
        if filterset is not None and "incident" in filterset.base_filters:
            found.append((prefix, viewset))
    return found


ENDPOINTS = _list_endpoints_filtering_by_incident()


def test_the_walk_finds_the_endpoints_that_filter_by_incident():
    prefixes = {p for p, _ in ENDPOINTS}
    assert {
        "timeline-entries",
        "contributing-factors",
        "postmortems",
        "action-items",
        "policy-findings",
    } <= prefixes


@pytest.mark.parametrize("prefix", [p for p, _ in ENDPOINTS])
def test_every_incident_filter_uses_the_callers_scope(prefix):
    from incidents.api.base import IncidentNumberFilter

    viewset = dict(ENDPOINTS)[prefix]
    assert isinstance(viewset.filterset_class.base_filters["incident"], IncidentNumberFilter), (
        f"/api/v1/{prefix}/?incident= must be an IncidentNumberFilter (the caller's incident scope first)"
    )


@pytest.fixture
def recorded_on_secret(secret, incident, insider, responder, finding):
    """Something of every kind on the secret incident; what `responder` (outside it) still sees of it: their
    own item on it, and a finding seen in it and in a visible incident."""
    from incidents.review.services import postmortems as review_services
    from tests.factories import ContributingFactorFactory, TimelineEntryFactory

    TimelineEntryFactory(incident=secret, body="secret entry")
    ContributingFactorFactory(incident=secret, title="secret factor")
    review_services.postmortem_start(incident=secret, actor=insider)
    ActionItemFactory(incident=secret, owner=responder, title="my item on the secret")
    shared = PolicyFindingFactory(title="Shared finding", owner=responder)
    shared.incidents.add(secret, incident)
    return shared


@pytest.mark.parametrize("prefix", [p for p, _ in ENDPOINTS])
@pytest.mark.parametrize("who", ["responder", "owner", "viewer"])
def test_a_hidden_incident_filters_like_one_that_does_not_exist(
    request, api_for, recorded_on_secret, secret, prefix, who
):
    api = api_for(request.getfixturevalue(who))
    hidden = api.get(f"/api/v1/{prefix}/", {"incident": secret.number})
    missing = api.get(f"/api/v1/{prefix}/", {"incident": 999})
    assert hidden.status_code == missing.status_code == 200
    assert hidden.json() == missing.json(), f"/api/v1/{prefix}/?incident={secret.number} tells it exists"


def test_a_finding_owner_outside_the_incident_is_not_told_its_number(api_for, owner, finding, secret):
    body = api_for(owner).get("/api/v1/policy-findings/").json()
    assert [r["incidents"] for r in body["results"]] == [[]]
    assert api_for(owner).get(f"/api/v1/policy-findings/{finding.pk}/").json()["incidents"] == []


def test_an_insider_still_filters_by_the_incident(api_for, insider, recorded_on_secret, secret, finding):
    body = api_for(insider).get("/api/v1/policy-findings/", {"incident": secret.number}).json()
    assert {r["id"] for r in body["results"]} == {finding.pk, recorded_on_secret.pk}


# --- 4. The severity mailing lists cover every team: admins only ------------------------------------------
def test_a_team_lead_cannot_change_the_global_mailing_lists(client_for, lead):
    from incidents.models import SeverityMailingList

    client = client_for(lead)
    url = reverse("incidents:mailing_lists")
    assert client.get(url).status_code == 403
    assert client.post(url, {"SEV1": "attacker@example.net"}).status_code == 403
    assert not SeverityMailingList.objects.filter(addresses__contains="attacker").exists()
    assert "Severity mailing lists" not in client.get(reverse("incidents:settings")).content.decode()


def test_the_mailing_list_service_refuses_a_lead(lead):
    from incidents.errors import AccessDenied
    from incidents.notify.services import severity_mailing_list_set

    with pytest.raises(AccessDenied):
        severity_mailing_list_set(actor=lead, severity="SEV1", addresses="attacker@example.net")


def test_an_admin_still_sees_the_mailing_lists_in_settings(client_for, admin_user):
    assert (
        "Severity mailing lists" in client_for(admin_user).get(reverse("incidents:settings")).content.decode()
    )


# --- 5. An alert whose key belongs to a hidden incident --------------------------------------------------
def test_an_alert_for_a_hidden_incidents_key_reveals_nothing_and_declares_no_duplicate(
    api_for, responder, secret
):
    from incidents.models import Incident

    secret.dedup_key = "prom:VaultDown"
    secret.save(update_fields=["dedup_key"])
    body = {"dedup_key": "prom:VaultDown", "title": "Vault down", "severity": "SEV2"}
    r = api_for(responder).post("/api/v1/alerts/", body, format="json")
    assert r.status_code == 202, r.content
    assert r.json() == {"accepted": True, "incident": None, "detail": "Alert accepted."}
    assert str(secret.number) not in r.content.decode()
    assert secret.title not in r.content.decode()
    assert Incident.objects.filter(dedup_key="prom:VaultDown").count() == 1
    assert Incident.objects.count() == 1


def test_an_alert_for_a_visible_incidents_key_returns_it(api_for, responder, insider, secret):
    secret.dedup_key = "prom:VaultDown"
    secret.save(update_fields=["dedup_key"])
    body = {"dedup_key": "prom:VaultDown", "title": "Vault down", "severity": "SEV2"}
    r = api_for(insider).post("/api/v1/alerts/", body, format="json")
    assert (r.status_code, r.json()["number"]) == (200, secret.number)


# --- 6. System timeline kinds, and fields an item's create drops in silence -----------------------------
def test_a_person_cannot_post_a_system_kind_of_entry(api_for, responder, incident):
    body = {"incident": incident.number, "body": "Status: resolved", "kind": "status_change"}
    r = api_for(responder).post("/api/v1/timeline-entries/", body, format="json")
    assert r.status_code == 400, r.content
    assert "kind" in r.json()
    assert not incident.timeline_entries.filter(kind="status_change", body="Status: resolved").exists()
    body["kind"] = "note"
    assert api_for(responder).post("/api/v1/timeline-entries/", body, format="json").status_code == 201


def test_a_person_cannot_turn_their_entry_into_a_system_kind(responder, incident):
    from django.core.exceptions import ValidationError

    from incidents.timeline import services as timeline

    entry = timeline.timeline_entry_add(incident=incident, actor=responder, body="checking")
    with pytest.raises(ValidationError) as caught:
        timeline.timeline_entry_edit(entry=entry, actor=responder, kind="status_change")
    assert "kind" in caught.value.message_dict
    entry.refresh_from_db()
    assert entry.kind == "note"


def test_creating_an_item_with_status_or_version_is_refused_naming_them(api_for, responder, incident):
    from incidents.models import ActionItem

    body = {"incident": incident.number, "title": "Add an alert", "status": "done", "version": 7}
    r = api_for(responder).post("/api/v1/action-items/", body, format="json")
    assert r.status_code == 400, r.content
    assert {"status", "version"} <= set(r.json())
    assert not ActionItem.objects.exists()


def test_editing_an_item_with_a_status_is_refused_naming_it(api_for, responder, incident):
    item = ActionItemFactory(incident=incident, title="Add an alert")
    r = api_for(responder).patch(f"/api/v1/action-items/{item.pk}/", {"status": "done"}, format="json")
    assert r.status_code == 400
    assert "status" in r.json()
    item.refresh_from_db()
    assert item.status == "open"
