"""factory_boy factories. Sequences, no module-level randomness."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from accounts.models import Membership, Team, User
from incidents import models as m


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Sequence(lambda n: f"User {n}")
    time_zone = "UTC"

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy's hook signature
        obj.set_password(extracted or "pw-for-tests-123")
        if create:
            obj.save(update_fields=["password"])


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Membership.Role.RESPONDER


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Service

    name = factory.Sequence(lambda n: f"Service {n}")
    slug = factory.Sequence(lambda n: f"service-{n}")


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Incident

    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Incident {n}")
    severity = m.Severity.SEV2
    started_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=2))


class TimelineEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.TimelineEntry

    incident = factory.SubFactory(IncidentFactory)
    occurred_at = factory.LazyAttribute(lambda o: o.incident.started_at + dt.timedelta(minutes=5))
    body = factory.Sequence(lambda n: f"Entry number {n}")


class ContributingFactorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ContributingFactor

    incident = factory.SubFactory(IncidentFactory)
    category = m.FactorCategory.PROCESS
    title = factory.Sequence(lambda n: f"Factor {n}")


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.ActionItem

    incident = factory.SubFactory(IncidentFactory)
    title = factory.Sequence(lambda n: f"Action item {n}")
    due_date = factory.LazyFunction(lambda: timezone.now().date() + dt.timedelta(days=10))


class PolicyFindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.PolicyFinding

    area = m.FindingArea.ACCESS_CONTROL
    title = factory.Sequence(lambda n: f"Finding {n}")
