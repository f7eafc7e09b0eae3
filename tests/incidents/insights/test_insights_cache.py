"""Insights figures are kept a short time per viewer and filters, and any counted write drops them."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.insights.metrics.cache import data_version
from incidents.models import Visibility
from incidents.permissions.followup import counted_scope_signature
from tests.factories import ActionItemFactory, IncidentFactory, PolicyFindingFactory

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


def _incident_total(html: str) -> int:
    """The number of incidents the 'Incidents per week' figure counts (the sum of its Total column)."""
    section = html[html.index('id="incidents"') :]
    body = section[section.index("<tbody>") : section.index("</tbody>")]
    total = 0
    for row in body.split("<tr>")[1:]:
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
        if cells and cells[-1].strip().isdigit():
            total += int(cells[-1])
    return total


def test_two_viewers_with_different_scopes_never_see_each_others_cached_figures(
    client_for, viewer, commander
):
    secret = IncidentFactory(title="Secret", visibility=Visibility.RESTRICTED, commander=commander)
    secret.participants.add(commander)
    IncidentFactory(title="Open")
    assert counted_scope_signature(viewer) != counted_scope_signature(commander)

    as_commander, _ = _get(client_for(commander))  # computed and kept for the commander's scope
    as_viewer, _ = _get(client_for(viewer))
    assert (_incident_total(as_commander), _incident_total(as_viewer)) == (2, 1)

    cache.clear()
    as_viewer, _ = _get(client_for(viewer))  # now kept for the viewer's scope first
    as_commander, _ = _get(client_for(commander))
    assert (_incident_total(as_commander), _incident_total(as_viewer)) == (2, 1)


def test_viewers_who_see_the_same_incidents_share_one_copy(client_for, viewer, responder):
    IncidentFactory(title="Open")
    assert counted_scope_signature(viewer) == counted_scope_signature(responder)
    first, first_queries = _get(client_for(viewer))
    second, second_queries = _get(client_for(responder))
    assert second_queries < first_queries - 5
    assert _incident_total(second) == _incident_total(first) == 1


def test_joining_a_restricted_incident_counts_it_at_the_next_request(client_for, viewer, commander):
    secret = IncidentFactory(title="Secret", visibility=Visibility.RESTRICTED, commander=commander)
    IncidentFactory(title="Open")
    client = client_for(viewer)
    before, _ = _get(client)
    secret.participants.add(viewer)
    after, _ = _get(client)
    assert (_incident_total(before), _incident_total(after)) == (1, 2)


def test_a_write_committed_by_another_process_shows_in_the_next_request(client_for, viewer):
    """The data version lives in the shared cache: a write elsewhere replaces it, and the page reads it."""
    client = client_for(viewer)
    IncidentFactory(title="One")
    before, _ = _get(client)
    version = data_version()
    IncidentFactory(title="Two")
    assert data_version() != version
    after, _ = _get(client)
    assert (_incident_total(before), _incident_total(after)) == (1, 2)


def test_the_scope_signature_follows_what_a_person_may_see(
    viewer, responder, commander, outsider, admin_user
):
    assert counted_scope_signature(admin_user) == "admin"
    assert counted_scope_signature(None) == "none"
    assert counted_scope_signature(viewer) == counted_scope_signature(responder)
    assert counted_scope_signature(outsider) != counted_scope_signature(viewer)
    hidden = IncidentFactory(visibility=Visibility.RESTRICTED, commander=commander)
    assert counted_scope_signature(commander) != counted_scope_signature(viewer)
    # Owning a finding linked only to an incident hidden from you shows it to you alone.
    finding = PolicyFindingFactory(owner=responder)
    finding.incidents.add(hidden)
    assert counted_scope_signature(responder) != counted_scope_signature(viewer)


def test_the_incidents_a_member_sees_by_taking_part_are_those_the_scope_adds(viewer, commander, outsider):
    from incidents.models import Incident
    from incidents.permissions.incident import incident_ids_taken_part_in, incidents_visible_to

    mine = IncidentFactory(visibility=Visibility.RESTRICTED, scribe=viewer)
    joined = IncidentFactory(visibility=Visibility.RESTRICTED, commander=commander)
    joined.participants.add(viewer, outsider)
    IncidentFactory(visibility=Visibility.RESTRICTED, commander=commander)
    IncidentFactory(declared_by=outsider)
    for person in (viewer, commander, outsider):
        visible = set(incidents_visible_to(person).values_list("id", flat=True))
        internal = set(Incident.objects.filter(visibility=Visibility.INTERNAL).values_list("id", flat=True))
        member = person is not outsider
        beyond = visible - internal if member else visible
        assert incident_ids_taken_part_in(person, beyond_internal=member) == beyond
    assert incident_ids_taken_part_in(viewer, beyond_internal=True) == {mine.pk, joined.pk}
