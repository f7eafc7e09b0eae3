"""The rule "an action item is about a restricted incident" is written twice in `permissions/followup.py`:
as a database filter (`restricted_action_items_q`, used by the P1 sweep and the webhook filter) and in
Python (`action_item_is_restricted`, used by the item page and the tracker push-back). This walks every
combination of what an item can hang on and requires both forms to give the same answer, so a change to
one that forgets the other is a failing test."""

from __future__ import annotations

import itertools

import pytest

from incidents.models import ActionItem, Visibility
from incidents.permissions.followup import action_item_is_restricted, restricted_action_items_q
from tests.factories import ActionItemFactory, IncidentFactory, PolicyFindingFactory

pytestmark = pytest.mark.django_db

HANGS_ON = [None, Visibility.INTERNAL, Visibility.RESTRICTED]  # no incident / internal / restricted
FINDING_SEEN_IN = [
    None,
    (),
    (Visibility.INTERNAL,),
    (Visibility.RESTRICTED,),
    (Visibility.INTERNAL, Visibility.RESTRICTED),
]


@pytest.mark.parametrize(("incident", "finding"), list(itertools.product(HANGS_ON, FINDING_SEEN_IN)))
def test_the_database_filter_and_the_python_rule_agree(incident, finding):
    linked = None
    if finding is not None:
        linked = PolicyFindingFactory()
        linked.incidents.set([IncidentFactory(visibility=v) for v in finding])
    item = ActionItemFactory(
        incident=IncidentFactory(visibility=incident) if incident is not None else None, finding=linked
    )
    expected = incident == Visibility.RESTRICTED or (finding is not None and Visibility.RESTRICTED in finding)
    in_database = ActionItem.objects.filter(pk=item.pk).filter(restricted_action_items_q()).exists()
    assert action_item_is_restricted(item) is expected
    assert in_database is expected
