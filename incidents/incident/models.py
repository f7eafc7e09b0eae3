"""Services, incidents and their derived durations."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from incidents.timeparse import EARLIEST_TIME


class Service(models.Model):
    """Something that can be affected by an incident, owned by a team."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Severity(models.TextChoices):
    SEV1 = "SEV1", "SEV1 (critical)"
    SEV2 = "SEV2", "SEV2 (major)"
    SEV3 = "SEV3", "SEV3 (minor)"
    SEV4 = "SEV4", "SEV4 (low)"


class IncidentStatus(models.TextChoices):
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"
    POSTMORTEM = "postmortem", "Postmortem"
    CLOSED = "closed", "Closed"


ACTIVE_STATUSES = (IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING)


class DetectionMethod(models.TextChoices):
    ALERT = "alert", "Alert"
    CUSTOMER = "customer", "Customer report"
    EMPLOYEE = "employee", "Employee"
    CHANCE = "chance", "By chance"


class Visibility(models.TextChoices):
    INTERNAL = "internal", "Internal (every signed-in member)"
    RESTRICTED = "restricted", "Restricted (participants and admins only)"


class IncidentQuerySet(models.QuerySet["Incident"]):
    def alive(self) -> IncidentQuerySet:
        return self.filter(deleted_at__isnull=True)

    def active(self) -> IncidentQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)


# Times outside [1970-01-01 UTC, now + 5 min] are refused everywhere (forms, API, imports, alerts): far-off
# values are typing mistakes, and the earliest ones cannot even be shown in zones west of UTC.
FUTURE_SKEW = timedelta(minutes=5)


def implausible_time(value: datetime | None) -> str | None:
    """A user-facing reason when aware `value` is before 1970 or more than 5 minutes ahead; else None."""
    if value is None:
        return None
    if value < EARLIEST_TIME:
        return "Times before 1970 are not accepted; check the year."
    if value > timezone.now() + FUTURE_SKEW:
        return "This time is in the future."
    return None


class IncidentCounter(models.Model):
    """The last incident number given out: one row, updated (and so row-locked) by each declaration.

    Declarations queue on this row until the one ahead commits, so two can never take the same number,
    on PostgreSQL or SQLite; a rolled-back declaration rolls its number back too (no gaps).
    """

    name = models.CharField(max_length=20, primary_key=True)
    value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"


MILESTONES = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")


class Incident(models.Model):
    """An incident: something broke and people responded.

    All milestone fields are UTC-aware datetimes. Durations are derived properties, in seconds,
    and `None` ("unknown") when a milestone they need is missing; they are never measured to now.
    """

    number = models.PositiveIntegerField(unique=True, editable=False)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, help_text="Markdown.")
    severity = models.CharField(max_length=4, choices=Severity.choices, default=Severity.SEV3, db_index=True)
    status = models.CharField(
        max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.INVESTIGATING, db_index=True
    )
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.INTERNAL)

    started_at = models.DateTimeField(db_index=True)
    detected_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    detection_method = models.CharField(max_length=20, choices=DetectionMethod.choices, blank=True)
    customer_impact = models.TextField(blank=True, help_text="Markdown.")

    services = models.ManyToManyField(Service, blank=True, related_name="incidents")
    teams = models.ManyToManyField("accounts.Team", blank=True, related_name="incidents")
    tags = models.ManyToManyField(Tag, blank=True, related_name="incidents")

    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commanded_incidents",
    )
    communications_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scribe = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="participated_incidents"
    )

    chat_channel_url = models.URLField(blank=True)
    dashboard_url = models.URLField(blank=True)
    change_url = models.URLField(blank=True, help_text="Change, commit range or diff URL.")
    feature_flag = models.CharField(max_length=200, blank=True)
    dedup_key = models.CharField(max_length=200, null=True, blank=True, unique=True)

    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="declared_incidents",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = IncidentQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["status", "started_at"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        """Human reference such as `INC-42`."""
        return f"INC-{self.number}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_restricted(self) -> bool:
        return self.visibility == Visibility.RESTRICTED

    def clean(self) -> None:
        """Validate milestones against each other; errors are keyed by field."""
        errors: dict[str, str] = {}
        start = self.started_at
        order = [
            ("detected_at", "detection"),
            ("acknowledged_at", "acknowledgement"),
            ("mitigated_at", "mitigation"),
            ("resolved_at", "resolution"),
        ]
        if start:
            for field, label in order:
                value = getattr(self, field)
                if value and value < start:
                    errors[field] = f"The {label} time cannot be before the start time."
        if self.acknowledged_at and self.detected_at and self.acknowledged_at < self.detected_at:
            errors.setdefault("acknowledged_at", "Acknowledgement cannot be before detection.")
        if self.resolved_at and self.mitigated_at and self.mitigated_at > self.resolved_at:
            errors.setdefault("mitigated_at", "Mitigation cannot be after resolution.")
        for field in MILESTONES:
            reason = implausible_time(getattr(self, field))
            if reason:
                errors[field] = reason
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _seconds(a: datetime | None, b: datetime | None) -> int | None:
        if a is None or b is None:
            return None
        return int((b - a).total_seconds())

    @property
    def time_to_detect(self) -> int | None:
        """Seconds from `started_at` (impact began) to `detected_at`; None if either is unknown."""
        return self._seconds(self.started_at, self.detected_at)

    @property
    def time_to_acknowledge(self) -> int | None:
        """Seconds from `detected_at` to `acknowledged_at` (MTTA's per-incident term); None if unknown."""
        return self._seconds(self.detected_at, self.acknowledged_at)

    @property
    def time_to_mitigate(self) -> int | None:
        """Seconds from `started_at` to `mitigated_at`; None if unknown."""
        return self._seconds(self.started_at, self.mitigated_at)

    @property
    def time_to_resolve(self) -> int | None:
        """Seconds from `detected_at` to `resolved_at` (MTTR's per-incident term); None if unknown."""
        return self._seconds(self.detected_at, self.resolved_at)

    @property
    def impact_duration(self) -> int | None:
        """Seconds from `started_at` to `resolved_at`: how long users were affected; None if unresolved."""
        return self._seconds(self.started_at, self.resolved_at)
