"""Someone outside a restricted incident (a responder or viewer of its team, or no team at all) finds
nothing of it: meeting mode and its quick captures answer 404 and capture nothing, and search shows none
of its incident, entries, postmortem, factors or action items under any kind filter or page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from incidents.followup.services import items as services_items
from incidents.models import ActionItem, ContributingFactor, Visibility
from incidents.review.services import factors as services_factors
from incidents.review.services import postmortems as services_postmortems
from tests.factories import TimelineEntryFactory

pytestmark = pytest.mark.django_db

TEXTS = ("Zebrafish vault leak", "zebrafish entry", "zebrafish item", "zebrafish factor", "zebrafish summary")


def _text(response) -> str:
    """The page with its tags taken out (a snippet marks the match: `<mark>zebrafish</mark> entry`)."""
    return re.sub(r"<[^>]+>", "", response.content.decode())


@pytest.fixture
def restricted(incident, commander):
    incident.visibility = Visibility.RESTRICTED
    incident.title = "Zebrafish vault leak"
    incident.save()
    pm = services_postmortems.postmortem_start(incident=incident, actor=commander)
    services_postmortems.postmortem_save(
        postmortem=pm,
        actor=commander,
        sections={"summary": "The zebrafish summary"},
        expected_version=pm.version,
    )
    services_factors.factor_create(
        incident=incident, actor=commander, category="testing_gap", title="zebrafish factor", description=""
    )
    services_items.action_item_quick_add(
        incident=incident, actor=commander, title="zebrafish item", factor=None, type="prevent", due_date=None
    )
    TimelineEntryFactory(incident=incident, body="zebrafish entry")
    return incident


@pytest.mark.parametrize("who", ["responder", "viewer", "outsider"])
def test_meeting_mode_of_a_restricted_incident_is_not_found_and_captures_nothing(
    client_for, personas, restricted, who
):
    client = client_for(personas[who])
    n = restricted.number
    assert client.get(reverse("incidents:meeting", args=[n])).status_code == 404
    for name in ("meeting_factor", "meeting_action"):
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.post(
                reverse(f"incidents:{name}", args=[n]),
                {"title": "planted", "category": "testing_gap"},
                **headers,
            )
            assert response.status_code == 404, (name, headers)
            assert not any(t in response.content.decode() for t in TEXTS)
    assert not ContributingFactor.objects.filter(title="planted").exists()
    assert not ActionItem.objects.filter(title="planted").exists()


@pytest.mark.parametrize("who", ["responder", "viewer", "outsider"])
def test_search_never_shows_a_restricted_incident_to_someone_outside_it(
    client_for, personas, restricted, who
):
    client = client_for(personas[who])
    kinds = ["", "incident", "timeline entry", "postmortem", "contributing factor", "action item"]
    for q in ("zebrafish", restricted.reference, str(restricted.number), "vault"):
        for kind in kinds:
            for page in ("", "2"):
                response = client.get(reverse("incidents:search"), {"q": q, "kind": kind, "page": page})
                assert response.status_code == 200, (q, kind, page)
                html = _text(response)
                assert not any(t in html for t in TEXTS), (q, kind, page)
                assert f'href="/incidents/{restricted.number}/' not in response.content.decode(), (
                    q,
                    kind,
                    page,
                )
    # Those inside find every kind of it.
    inside = _text(client_for(personas["commander"]).get(reverse("incidents:search"), {"q": "zebrafish"}))
    assert all(t in inside for t in ("zebrafish entry", "zebrafish item", "zebrafish factor")), inside
