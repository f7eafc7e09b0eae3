"""What the third attack on issue 14 (an outside tester with only the README and the running app) got
through, each as a test.

The setting: `secret` is a restricted incident INC-4343 whose participants are `insider` (its commander)
and `partner`; `responder` (Platform, outside it) owns `item`, an action item on it.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership
from incidents.models import Visibility
from tests.factories import ActionItemFactory, IncidentFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def insider(team):
    user = UserFactory(email="insider@example.com", display_name="Ines Insider")
    MembershipFactory(user=user, team=team, role=Membership.Role.RESPONDER)
    return user


@pytest.fixture
def partner(team):
    user = UserFactory(email="partner@example.com", display_name="Pia Partner")
    MembershipFactory(user=user, team=team, role=Membership.Role.RESPONDER)
    return user


@pytest.fixture
def secret(insider, partner, team):
    inc = IncidentFactory(
        number=4343, title="Secret merger outage", visibility=Visibility.RESTRICTED, commander=insider
    )
    inc.participants.add(insider, partner)
    inc.teams.add(team)
    return inc


@pytest.fixture
def item(secret, responder):
    return ActionItemFactory(incident=secret, owner=responder, title="Rotate the vault keys")


# --- 1. The owner of an item on an incident they cannot see: its edit form and owner changes -------------
def test_the_edit_form_of_an_item_on_a_hidden_incident_names_neither_it_nor_its_people(
    client_for, responder, item, secret
):
    page = client_for(responder).get(reverse("incidents:action_item_edit", args=[item.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert secret.reference not in html
    for person in ("Ines Insider", "insider@example.com", "Pia Partner", "partner@example.com"):
        assert person not in html, f"the owner picker lists {person}, who takes part in the hidden incident"
    assert "Rory Responder" in html  # the owner they are stays shown


@pytest.mark.parametrize("to", ["partner", "viewer", "nobody"])
def test_the_owner_outside_the_incident_cannot_hand_the_item_on_and_learns_nothing_from_trying(
    request, api_for, responder, item, secret, to
):
    """Accepting a participant but refusing anyone else would tell who takes part; every try is refused
    alike, naming the field and no one."""
    person = None if to == "nobody" else request.getfixturevalue(to)
    body = {"owner": person.pk if person else None, "version": item.version}
    r = api_for(responder).patch(f"/api/v1/action-items/{item.pk}/", body, format="json")
    assert r.status_code == 400, r.content
    assert "owner" in r.json()
    assert secret.reference not in r.content.decode()
    item.refresh_from_db()
    assert item.owner == responder


def test_the_refusal_is_the_same_for_a_participant_and_anyone_else(api_for, responder, item, partner, viewer):
    def answer(person):
        r = api_for(responder).patch(f"/api/v1/action-items/{item.pk}/", {"owner": person.pk}, format="json")
        return r.status_code, r.json()

    assert answer(partner) == answer(viewer)


def test_the_form_keeps_the_owner_when_one_outside_the_incident_posts_another(
    client_for, responder, item, partner
):
    url = reverse("incidents:action_item_edit", args=[item.pk])
    data = {
        "title": "Rotate the vault keys now", "owner": partner.pk, "priority": "P2", "type": "prevent",
        "due_date": item.due_date.isoformat(), "version": item.version,
    }  # fmt: skip
    client_for(responder).post(url, data)
    item.refresh_from_db()
    assert item.owner == responder


def test_the_owner_outside_still_edits_the_rest_of_the_item(api_for, responder, item):
    r = api_for(responder).patch(
        f"/api/v1/action-items/{item.pk}/", {"title": "Rotate the vault keys now"}, format="json"
    )
    assert r.status_code == 200, r.content
    item.refresh_from_db()
    assert (item.title, item.owner) == ("Rotate the vault keys now", item.owner)


def test_someone_who_sees_the_incident_still_picks_among_its_participants(
    client_for, api_for, insider, partner, item, secret
):
    html = client_for(insider).get(reverse("incidents:action_item_edit", args=[item.pk])).content.decode()
    assert "Pia Partner" in html
    assert f"Someone who may record on {secret.reference}." in html
    r = api_for(insider).patch(f"/api/v1/action-items/{item.pk}/", {"owner": partner.pk}, format="json")
    assert r.status_code == 200, r.content
    item.refresh_from_db()
    assert item.owner == partner


# --- 2. Whoever owns or verifies a finding linked to a restricted incident may see that incident ---------
@pytest.fixture
def secret_finding(secret, partner, insider):
    """Owned by `partner`, verified by `insider` (who so may choose its people: whoever may move it)."""
    from tests.factories import PolicyFindingFactory

    f = PolicyFindingFactory(title="Vault keys shared across tenants", owner=partner, verifier=insider)
    f.incidents.add(secret)
    return f


def _option(person) -> str:
    return f">{person.display_name}</option>"


@pytest.mark.parametrize("field", ["owner", "verifier"])
def test_a_finding_on_a_restricted_incident_cannot_be_opened_for_someone_outside_it(
    api_for, insider, partner, responder, secret, field
):
    from incidents.models import PolicyFinding

    body = {
        "area": "access_control",
        "title": "Keys shared",
        "incidents": [secret.number],
        field: responder.pk,
    }
    if field == "verifier":
        body["owner"] = partner.pk
    r = api_for(insider).post("/api/v1/policy-findings/", body, format="json")
    assert r.status_code == 400, r.content
    assert list(r.json()) == [field]
    assert not PolicyFinding.objects.exists()
    body[field] = insider.pk
    assert api_for(insider).post("/api/v1/policy-findings/", body, format="json").status_code == 201


@pytest.mark.parametrize("field", ["owner", "verifier"])
def test_a_finding_on_a_restricted_incident_cannot_be_handed_to_someone_outside_it(
    api_for, client_for, insider, responder, secret_finding, field
):
    r = api_for(insider).patch(
        f"/api/v1/policy-findings/{secret_finding.pk}/", {field: responder.pk}, format="json"
    )
    assert r.status_code == 400, r.content
    assert list(r.json()) == [field]
    secret_finding.refresh_from_db()
    assert getattr(secret_finding, f"{field}_id") != responder.pk
    assert api_for(responder).get(f"/api/v1/policy-findings/{secret_finding.pk}/").status_code == 404


def test_the_finding_form_offers_and_takes_only_people_who_see_its_incident(
    client_for, insider, partner, responder, secret_finding
):
    url = reverse("incidents:finding_edit", args=[secret_finding.pk])
    client = client_for(insider)
    html = client.get(url).content.decode()
    assert _option(partner) in html
    assert _option(responder) not in html
    data = {
        "area": secret_finding.area, "title": secret_finding.title, "risk": secret_finding.risk,
        "owner": responder.pk, "version": secret_finding.version,
    }  # fmt: skip
    answer = client.post(url, data)
    assert answer.status_code == 200
    assert "owner" in answer.context["form"].errors
    secret_finding.refresh_from_db()
    assert secret_finding.owner == partner


def test_the_new_finding_form_of_a_restricted_incident_offers_only_its_people(
    client_for, insider, partner, responder, secret
):
    html = client_for(insider).get(reverse("incidents:finding_new"), {"incident": secret.number})
    assert _option(partner) in html.content.decode()
    assert _option(responder) not in html.content.decode()


def test_an_editor_who_cannot_see_every_incident_of_a_finding_cannot_hand_it_on(
    api_for, responder, insider, viewer, secret_finding, incident
):
    """The finding is seen in an internal incident too, so `responder` sees and edits it: accepting a
    participant of the hidden one but refusing anyone else would tell who takes part. `responder` leads
    the finding's team, so may move it and would otherwise choose its people."""
    secret_finding.incidents.add(incident)
    Membership.objects.filter(user=responder).update(role=Membership.Role.LEAD)
    secret_finding.team = Membership.objects.get(user=responder).team
    secret_finding.save()

    def answer(person):
        r = api_for(responder).patch(
            f"/api/v1/policy-findings/{secret_finding.pk}/", {"owner": person.pk}, format="json"
        )
        return r.status_code, r.json()

    assert answer(insider) == answer(viewer)
    assert answer(insider)[0] == 400
    assert "owner" in answer(insider)[1]
    assert str(secret_finding.incidents.get(visibility="restricted").number) not in str(answer(viewer))


def test_a_finding_is_not_linked_to_a_restricted_incident_its_owner_cannot_see(
    client_for, insider, responder, secret
):
    from tests.factories import PolicyFindingFactory

    finding = PolicyFindingFactory(title="Shared admin password", owner=responder)
    url = reverse("incidents:finding_seen_again", args=[finding.pk])
    page = client_for(insider).post(url, {"incident": secret.number}, follow=True)
    assert page.status_code == 200
    assert "Rory Responder" in page.content.decode()
    assert not finding.incidents.exists()


# --- 3. An outbound webhook's secret is shown once: at creation and on rotation --------------------------
WEBHOOK = {"url": "https://hooks.example.com/h", "events": ["incident.declared"]}


def test_a_webhook_secret_is_shown_once_then_never_listed(api_for, admin_user):
    created = api_for(admin_user).post("/api/v1/webhooks/", WEBHOOK, format="json")
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    assert len(secret) >= 32
    hook = created.json()["id"]
    for api in (api_for(admin_user), api_for(admin_user, read_only=True)):
        for url in ("/api/v1/webhooks/", f"/api/v1/webhooks/{hook}/"):
            r = api.get(url)
            assert r.status_code == 200
            assert secret not in r.content.decode()
            assert "secret" not in (r.json()["results"][0] if "results" in r.json() else r.json())
    edited = api_for(admin_user).patch(f"/api/v1/webhooks/{hook}/", {"is_active": False}, format="json")
    assert edited.status_code == 200
    assert secret not in edited.content.decode()


def test_rotating_a_webhook_secret_shows_the_new_one_once(api_for, admin_user):
    from incidents.models import WebhookEndpoint

    hook = WebhookEndpoint.objects.create(**WEBHOOK, secret="old-secret-" + "x" * 24)
    assert (
        api_for(admin_user, read_only=True).post(f"/api/v1/webhooks/{hook.pk}/rotate-secret/").status_code
        == 403
    )
    r = api_for(admin_user).post(f"/api/v1/webhooks/{hook.pk}/rotate-secret/")
    assert r.status_code == 200, r.content
    hook.refresh_from_db()
    assert r.json()["secret"] == hook.secret != "old-secret-" + "x" * 24
    assert hook.secret not in api_for(admin_user).get(f"/api/v1/webhooks/{hook.pk}/").content.decode()


def test_the_admin_site_does_not_show_a_webhook_secret(client_for, admin_user):
    from incidents.models import WebhookEndpoint

    hook = WebhookEndpoint.objects.create(**WEBHOOK, secret="admin-page-secret-" + "y" * 20)
    page = client_for(admin_user).get(reverse("admin:incidents_webhookendpoint_change", args=[hook.pk]))
    assert page.status_code == 200
    assert hook.secret not in page.content.decode()


# --- 4. The action-item CSV names no finding the viewer cannot see ---------------------------------------
def _export(client) -> list[dict[str, str]]:
    import csv
    import io

    response = client.get(reverse("incidents:action_item_export"))
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_item_export_gives_no_id_of_a_finding_the_viewer_cannot_see(
    client_for, responder, insider, secret_finding
):
    """`responder` owns an item made from a finding seen only in the hidden incident."""
    item = ActionItemFactory(incident=None, finding=secret_finding, owner=responder, title="Rotate keys")
    rows = _export(client_for(responder))
    assert [(r["id"], r["finding_id"]) for r in rows] == [(str(item.pk), "")]
    assert [(r["id"], r["finding_id"]) for r in _export(client_for(insider))] == [
        (str(item.pk), str(secret_finding.pk))
    ]
