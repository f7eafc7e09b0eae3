"""Insights figures are kept a short time per viewer and filters, and any counted write drops them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.models import Visibility
from tests.factories import ActionItemFactory, IncidentFactory

pytestmark = pytest.mark.django_db


def _get(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("incidents:insights"))
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index("<h1>Insights</h1>") :], len(ctx.captured_queries)  # no CSRF token


def test_the_second_view_computes_nothing_again(client_for, viewer):
    IncidentFactory(title="Disk full")
    client = client_for(viewer)
    first, first_queries = _get(client)
    second, second_queries = _get(client)
    assert second_queries < first_queries - 5  # only the session, the user and the form's choices
    assert second == first


def test_a_write_is_counted_at_once(client_for, viewer):
    client = client_for(viewer)
    IncidentFactory(title="One")
    before, _ = _get(client)
    IncidentFactory(title="Two")
    ActionItemFactory(incident=IncidentFactory(title="Three"))
    after, queries = _get(client)
    assert after != before
    assert queries > 10  # computed afresh


def test_a_viewer_never_gets_the_figures_of_someone_who_sees_more(client_for, viewer, commander):
    secret = IncidentFactory(title="Secret", visibility=Visibility.RESTRICTED, commander=commander)
    secret.participants.add(commander)
    IncidentFactory(title="Open")
    as_commander, _ = _get(client_for(commander))
    as_viewer, _ = _get(client_for(viewer))
    assert as_viewer != as_commander
    fresh_viewer = as_viewer
    as_viewer_again, _ = _get(client_for(viewer))
    assert as_viewer_again == fresh_viewer
