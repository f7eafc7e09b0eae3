"""Removing a tag, service, team or user never deletes an incident, timeline entry, factor or action item."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models
from django.db.models.deletion import ProtectedError

from accounts.models import User
from accounts.services import user_deactivate
from incidents import models as m
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    IncidentFactory,
    PolicyFindingFactory,
    ServiceFactory,
    TeamFactory,
    TimelineEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# The records of what happened. Nothing they point at may take them down with it.
KEPT = (m.Incident, m.TimelineEntry, m.ContributingFactor, m.ActionItem, m.PolicyFinding, m.Postmortem)
SAFE = {models.PROTECT, models.SET_NULL}


def test_every_foreign_key_of_a_kept_record_is_protect_or_set_null():
    wrong = [
        f"{model.__name__}.{f.name} on_delete={f.remote_field.on_delete.__name__}"
        for model in KEPT
        for f in model._meta.get_fields()
        if isinstance(f, models.ForeignKey | models.OneToOneField) and f.remote_field.on_delete not in SAFE
    ]
    assert wrong == []


def test_nothing_cascades_into_a_kept_record():
    """Models pointing at a kept record may cascade from it (a subscription dies with its incident) only
    because the kept record itself is never deleted; none of the kept records cascades from another."""
    wrong = []
    for model in apps.get_models():
        for f in model._meta.get_fields():
            if not isinstance(f, models.ForeignKey | models.OneToOneField):
                continue
            if model in KEPT and f.related_model in KEPT and f.remote_field.on_delete is models.CASCADE:
                wrong.append(f"{model.__name__}.{f.name}")
    assert wrong == []


def _world():
    owner = UserFactory(email="owner@example.com")
    team = TeamFactory(name="Database", slug="database")
    service = ServiceFactory(name="PostgreSQL", slug="postgresql", team=team)
    tag = m.Tag.objects.create(name="data-loss")
    incident = IncidentFactory(commander=owner, declared_by=owner, scribe=owner)
    incident.services.add(service)
    incident.tags.add(tag)
    incident.teams.add(team)
    incident.participants.add(owner)
    entry = TimelineEntryFactory(incident=incident, author=owner)
    factor = ContributingFactorFactory(incident=incident, created_by=owner)
    item = ActionItemFactory(incident=incident, owner=owner, team=team, factor=factor, created_by=owner)
    finding = PolicyFindingFactory(owner=owner, team=team)
    finding.incidents.add(incident)
    postmortem = m.Postmortem.objects.create(incident=incident, author=owner)
    return owner, team, service, tag, incident, entry, factor, item, finding, postmortem


def _all_there(incident, entry, factor, item, finding, postmortem) -> None:
    assert m.Incident.objects.filter(pk=incident.pk).exists()
    assert m.TimelineEntry.objects.filter(pk=entry.pk).exists()
    assert m.ContributingFactor.objects.filter(pk=factor.pk).exists()
    assert m.ActionItem.objects.filter(pk=item.pk).exists()
    assert m.PolicyFinding.objects.filter(pk=finding.pk).exists()
    assert m.Postmortem.objects.filter(pk=postmortem.pk).exists()


def test_deleting_a_service_tag_and_team_keeps_every_incident_and_item():
    owner, team, service, tag, incident, entry, factor, item, finding, postmortem = _world()
    service.delete()
    tag.delete()
    team.delete()
    _all_there(incident, entry, factor, item, finding, postmortem)
    item.refresh_from_db()
    assert item.team is None
    assert item.owner == owner
    assert list(incident.services.all()) == []
    assert list(incident.tags.all()) == []


def test_a_service_with_a_change_log_cannot_be_deleted():
    service = ServiceFactory()
    m.ChangeEvent.objects.create(service=service, summary="Deploy 42")
    with pytest.raises(ProtectedError):
        service.delete()


def test_deactivating_a_user_keeps_every_incident_and_item_they_touched(admin_user):
    owner, team, service, tag, incident, entry, factor, item, finding, postmortem = _world()
    user_deactivate(user=owner, actor=admin_user)
    owner.refresh_from_db()
    assert not owner.is_active
    _all_there(incident, entry, factor, item, finding, postmortem)
    incident.refresh_from_db()
    entry.refresh_from_db()
    item.refresh_from_db()
    assert (incident.commander, incident.scribe, entry.author, item.owner) == (owner, owner, owner, owner)


def test_a_user_cannot_be_deleted():
    user = UserFactory()
    with pytest.raises(RuntimeError, match="deactivated, never deleted"):
        user.delete()
    assert User.objects.filter(pk=user.pk).exists()


def test_even_a_bulk_delete_of_an_owner_is_refused_rather_than_losing_items():
    owner, *_rest, item, _finding, _pm = _world()
    with pytest.raises((ProtectedError, RuntimeError)):
        User.objects.filter(pk=owner.pk).delete()
    assert m.ActionItem.objects.filter(pk=item.pk, owner=owner).exists()
