"""Pages ask permission before they read a form: a reader who may not act gets 403 (404 for what they may
not see), never the form's errors, a redirect with a message about their input, or a change.

Postmortem pages load what they change through `_get_to_change(check)`, action item and finding pages
through `versioned_view(check=)` (or check first, as "seen again" and the item's re-check do); incident
status, severity and reopen, and quick add, check the command's permission first. The postmortem page
and its version view only read (POST is 405). The Mattermost dialog refuses what Hindsight did not sign
(401). A restricted postmortem's review is asked only of `users_who_may_review`.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse

from incidents.incident.person_fields import PeopleField
from incidents.permissions.people import users_who_may_review
from incidents.review.forms import RequestReviewForm
from incidents.review.services.reviews import postmortem_request_review
from tests.security.test_permission_matrix import World
from tests.security.test_permission_matrix import world as world  # noqa: F401  (the shared module fixture)

pytestmark = pytest.mark.django_db

# (route, URL keyword, world object, attribute)
INCIDENT_FORMS = [
    "incidents:status",
    "incidents:severity",
    "incidents:reopen",
    "incidents:timeline_quick_add",
]
POSTMORTEM_FORMS = [
    "incidents:postmortem_edit",
    "incidents:postmortem_preview",
    "incidents:postmortem_questions",
    "incidents:postmortem_request_review",
    "incidents:postmortem_decide",
    "incidents:postmortem_publish",
    "incidents:postmortem_reopen",
    "incidents:blameless_dismiss",
]
ITEM_FORMS = [
    "incidents:action_item_status",
    "incidents:action_item_recheck",
    "incidents:action_item_recurrence",
]
FINDING_FORMS = [
    "incidents:finding_transition",
    "incidents:finding_verify",
    "incidents:finding_accept_risk",
    "incidents:finding_seen_again",
]


def _url(world: World, route: str, variant: str) -> str:
    objects = world.objects[variant]
    if route in ITEM_FORMS:
        return reverse(route, kwargs={"item_id": objects["item"].pk})
    if route in FINDING_FORMS:
        return reverse(route, kwargs={"finding_id": objects["finding"].pk})
    return reverse(route, kwargs={"number": objects["incident"].number})


def _post(world: World, persona: str, url: str, data: dict | None = None) -> tuple[int, str]:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[persona]
    with transaction.atomic():
        response = client.post(url, data or {})
        transaction.set_rollback(True)
    return response.status_code, response.get("Location", "")


@pytest.mark.parametrize("route", INCIDENT_FORMS + POSTMORTEM_FORMS + ITEM_FORMS + FINDING_FORMS)
@pytest.mark.parametrize(("variant", "expected"), [("internal", 403), ("restricted", 404)])
def test_a_viewer_posting_an_empty_form_is_refused_before_it_is_read(world: World, route, variant, expected):
    url = _url(world, route, variant)
    status, location = _post(world, "viewer", url)
    assert status == expected, f"POST {url} as a viewer, empty form: {status} {location}"


@pytest.mark.parametrize("route", ["incidents:postmortem", "incidents:postmortem_version"])
def test_the_postmortem_page_and_its_versions_only_read(world: World, route):
    url = reverse(route, kwargs={"number": world.objects["internal"]["incident"].number})
    assert _post(world, "commander", url)[0] == 405


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("not json", "text/plain"), ('{"cancelled": true}', "application/json"), ("[1, 2]", "application/json")],
)
def test_a_mattermost_dialog_body_hindsight_did_not_sign_is_401(client, body, content_type):
    response = client.post(reverse("incidents:mattermost_dialog"), data=body, content_type=content_type)
    assert response.status_code == 401


def test_a_restricted_postmortem_is_reviewed_only_by_people_taking_part(world: World):
    pm = world.objects["restricted"]["postmortem"]
    offered = set(users_who_may_review(pm))
    users = world.users
    assert users["responder"] not in offered  # a Platform responder, not taking part
    assert users["commander"] not in offered  # the author
    assert users["admin"] in offered
    form = RequestReviewForm(data={"reviewers": [users["responder"].pk]}, postmortem=pm, user=users["admin"])
    reviewers = form.fields["reviewers"]
    assert isinstance(reviewers, PeopleField)
    assert users["responder"] not in set(reviewers.offered)  # not listed; the service refuses them by name
    with transaction.atomic():
        with pytest.raises(ValidationError) as refused:
            postmortem_request_review(postmortem=pm, actor=users["admin"], reviewers=[users["responder"]])
        transaction.set_rollback(True)
    message = " ".join(refused.value.messages)
    assert f"{users['responder']} cannot see this incident" in message
    assert "authors cannot review" not in message
