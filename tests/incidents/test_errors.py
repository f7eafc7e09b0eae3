"""The error family and its two mappings: pages (ErrorPageMiddleware) and the API (exception handler)."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from config.urls import urlpatterns as base_urlpatterns
from incidents.api.errors import VersionConflict
from incidents.errors import AccessDenied, ConflictError, HindsightError, TransitionError
from incidents.followup.services.common import FollowupConflict
from incidents.incident.services.common import IncidentConflict
from incidents.models import Incident
from incidents.review.services.postmortems import PostmortemConflict
from incidents.timeline.services import TimelineEntryConflict

pytestmark = pytest.mark.django_db


def _page(exc_factory):
    def view(request):
        raise exc_factory()

    return view


def _api(exc_factory):
    @api_view(["GET"])
    @permission_classes([AllowAny])
    def view(request):
        raise exc_factory()

    return view


def _conflict():
    return IncidentConflict(Incident.objects.get())


urlpatterns = [
    path("hidden/", _page(lambda: AccessDenied("Only admins may delete incidents.", visible=False))),
    path("missing/", _page(lambda: Http404("No such incident."))),
    path("refused/", _page(lambda: AccessDenied("Only the commander may do this.", visible=True))),
    path("conflict/", _page(_conflict)),
    path("transition/", _page(lambda: TransitionError({"status": "A closed incident cannot move."}))),
    path("api/hidden/", _api(lambda: AccessDenied("Only admins may delete incidents.", visible=False))),
    path("api/refused/", _api(lambda: AccessDenied("Only the commander may do this.", visible=True))),
    path("api/conflict/", _api(_conflict)),
    path("api/transition/", _api(lambda: TransitionError({"status": "A closed incident cannot move."}))),
    *base_urlpatterns,
]
handler404 = "incidents.api.errors.not_found"


@pytest.fixture
def client(client, settings, commander):
    settings.ROOT_URLCONF = __name__
    client.force_login(commander)
    return client


def test_every_conflict_is_a_conflict_error_and_every_error_a_hindsight_error():
    for kind in (
        IncidentConflict,
        TimelineEntryConflict,
        FollowupConflict,
        PostmortemConflict,
        VersionConflict,
    ):
        assert issubclass(kind, ConflictError)
    assert issubclass(ConflictError, HindsightError)
    # Forms and the API keep treating a refused transition as a field error, and Django code a refusal
    # as a PermissionDenied.
    assert issubclass(TransitionError, HindsightError)
    assert issubclass(TransitionError, ValidationError)
    assert issubclass(AccessDenied, HindsightError)
    assert issubclass(AccessDenied, PermissionDenied)


def _without_csrf(response) -> str:
    return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', "", response.content.decode())


def test_a_page_refusal_of_something_hidden_is_the_not_found_page(client):
    hidden = client.get("/hidden/")
    missing = client.get("/missing/")
    assert hidden.status_code == missing.status_code == 404
    assert _without_csrf(hidden) == _without_csrf(missing)
    assert "Only admins" not in hidden.content.decode()


def test_a_page_refusal_of_something_visible_is_403_with_the_reason(client):
    response = client.get("/refused/")
    assert response.status_code == 403
    assert "Only the commander may do this." in response.content.decode()


def test_a_conflict_no_view_handled_is_a_409_page(client, incident):
    response = client.get("/conflict/")
    assert response.status_code == 409
    assert f"{incident.reference} was changed by someone else" in response.content.decode()


def test_a_transition_no_view_handled_is_a_400_page_not_a_500(client):
    response = client.get("/transition/")
    assert response.status_code == 400
    assert "A closed incident cannot move." in response.content.decode()


def test_api_refusals_are_404_for_hidden_and_403_for_visible(client):
    hidden = client.get("/api/hidden/")
    assert hidden.status_code == 404
    assert hidden.json() == {"detail": "Not found."}
    refused = client.get("/api/refused/")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Only the commander may do this."}


def test_api_conflict_carries_the_stored_row_through_its_serializer(client, incident):
    response = client.get("/api/conflict/")
    assert response.status_code == 409
    body = response.json()
    assert body["current"]["number"] == incident.number
    assert body["current"]["version"] == incident.version
    assert "changed by someone else" in body["detail"]


def test_api_transition_is_a_400_keyed_by_field(client):
    response = client.get("/api/transition/")
    assert response.status_code == 400
    assert response.json() == {"status": ["A closed incident cannot move."]}
