"""factory_boy factories. Sequences, no module-level randomness."""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING, Any, TypeVar

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.utils import timezone
from PIL import Image

from accounts.models import Membership, Team, User
from incidents import models as m
from incidents.incident.services.attachments import attachment_add
from incidents.permissions.checks import SYSTEM

M = TypeVar("M", bound=models.Model)


class ModelFactory(factory.django.DjangoModelFactory[M]):
    """A factory whose call returns its model: `IncidentFactory()` is an `Incident` to mypy, as it is at run time."""

    if TYPE_CHECKING:
        # factory_boy's metaclass turns `XFactory(...)` into `XFactory.create(...)`; mypy reads __new__ instead.
        def __new__(cls, *args: Any, **kwargs: Any) -> M: ...  # type: ignore[misc]  # returns the model, not cls


class UserFactory(ModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Sequence(lambda n: f"User {n}")
    time_zone = "UTC"

    @factory.post_generation
    def password(obj: User, create: bool, extracted: str | None, **kwargs: Any) -> None:  # noqa: N805 - factory_boy's hook signature
        obj.set_password(extracted or "pw-for-tests-123")
        if create:
            obj.save(update_fields=["password"])


class TeamFactory(ModelFactory[Team]):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MembershipFactory(ModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Membership.Role.RESPONDER


class ServiceFactory(ModelFactory[m.Service]):
    class Meta:
        model = m.Service

    name = factory.Sequence(lambda n: f"Service {n}")
    slug = factory.Sequence(lambda n: f"service-{n}")


class IncidentFactory(ModelFactory[m.Incident]):
    class Meta:
        model = m.Incident

    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Incident {n}")
    severity = m.Severity.SEV2
    started_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=2))


class TimelineEntryFactory(ModelFactory[m.TimelineEntry]):
    class Meta:
        model = m.TimelineEntry

    incident = factory.SubFactory(IncidentFactory)
    occurred_at = factory.LazyAttribute(lambda o: o.incident.started_at + dt.timedelta(minutes=5))
    body = factory.Sequence(lambda n: f"Entry number {n}")


class ContributingFactorFactory(ModelFactory[m.ContributingFactor]):
    class Meta:
        model = m.ContributingFactor

    incident = factory.SubFactory(IncidentFactory)
    category = m.FactorCategory.PROCESS
    title = factory.Sequence(lambda n: f"Factor {n}")


class ActionItemFactory(ModelFactory[m.ActionItem]):
    class Meta:
        model = m.ActionItem

    incident = factory.SubFactory(IncidentFactory)
    title = factory.Sequence(lambda n: f"Action item {n}")
    due_date = factory.LazyFunction(lambda: timezone.now().date() + dt.timedelta(days=10))


class PolicyFindingFactory(ModelFactory[m.PolicyFinding]):
    class Meta:
        model = m.PolicyFinding

    area = m.FindingArea.ACCESS_CONTROL
    title = factory.Sequence(lambda n: f"Finding {n}")


class IncidentTypeFactory(ModelFactory[m.IncidentType]):
    class Meta:
        model = m.IncidentType
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Type {n}")
    slug = factory.Sequence(lambda n: f"type-{n}")


class CustomFieldFactory(ModelFactory[m.CustomField]):
    class Meta:
        model = m.CustomField

    incident_type = factory.SubFactory(IncidentTypeFactory)
    label = factory.Sequence(lambda n: f"Field {n}")
    key = factory.Sequence(lambda n: f"field_{n}")
    kind = m.CustomFieldKind.TEXT


def screenshot_attachment(incident: m.Incident, name: str = "screenshot.png") -> m.Attachment:
    """An image attachment of `incident` (a 40x30 PNG, so it has a thumbnail) named `name`, uploaded by
    Hindsight itself, through the service (stored under the test MEDIA_ROOT)."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 90, 200)).save(out, format="PNG")
    upload = SimpleUploadedFile(name, out.getvalue(), content_type="image/png")
    return attachment_add(incident=incident, actor=SYSTEM, upload=upload)
