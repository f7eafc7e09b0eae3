"""Incidents and their derived durations; incident types and their custom fields (the catalog of services
and tags is in `catalog`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from incidents.incident.models.catalog import LINK_SCHEMES as LINK_SCHEMES
from incidents.incident.models.catalog import DashboardLink as DashboardLink
from incidents.incident.models.catalog import Service as Service
from incidents.incident.models.catalog import ServiceDependency as ServiceDependency
from incidents.incident.models.catalog import ServiceTier as ServiceTier
from incidents.incident.models.catalog import Tag as Tag
from incidents.incident.models.catalog import http_url as http_url
from incidents.incident.models.catalog import is_http_url as is_http_url
from incidents.markdown import StoredHtml
from incidents.timeparse import EARLIEST_TIME

#: What a person types for an incident: `INC-2`, `inc 2`, `#2` or `2` (group 1: the number).
REFERENCE = re.compile(r"^\s*(?:inc[-\s#]*)?#?(\d{1,9})\s*$", re.I)


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

#: Each derived duration as the pages state it: (property, label, from → to).
DURATION_DEFINITIONS: tuple[tuple[str, str, str], ...] = (
    ("time_to_detect", "Time to detect", "started → detected"),
    ("time_to_acknowledge", "Time to acknowledge", "detected → acknowledged"),
    ("time_to_mitigate", "Time to mitigate", "started → mitigated"),
    ("time_to_resolve", "Time to resolve", "detected → resolved (0 if resolved before detection)"),
    ("impact_duration", "Impact duration", "started → resolved"),
)
DURATION_NOTE = (
    "Unknown when either time is missing; never measured to now, never negative. "
    "Cut to whole minutes, never rounded up; every unit down to minutes is written (1 d 0 h 11 min)."
)


@dataclass(frozen=True)
class DurationRow:
    """One derived duration of an incident as a page shows it: label, seconds (None: unknown), its
    definition, and a note saying why it is unknown or zero (empty when there is nothing to say)."""

    name: str
    label: str
    seconds: int | None
    definition: str
    note: str


class Incident(StoredHtml, models.Model):
    """An incident: something broke and people responded.

    All milestone fields are UTC-aware datetimes. Durations are derived properties, in seconds,
    and `None` ("unknown") when a milestone they need is missing; they are never measured to now.
    """

    number = models.PositiveIntegerField(unique=True, editable=False)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, help_text="Markdown.")
    summary_html = models.TextField(blank=True, editable=False)
    severity = models.CharField(max_length=4, choices=Severity.choices, default=Severity.SEV3, db_index=True)
    status = models.CharField(
        max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.INVESTIGATING, db_index=True
    )
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.INTERNAL)
    incident_type = models.ForeignKey(
        "incidents.IncidentType", null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )

    started_at = models.DateTimeField(db_index=True)
    detected_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    # True while `mitigated_at` is the value resolving filled in (nobody gave one): it then moves with
    # `resolved_at` and is shown as automatic. Any mitigation time a person gives clears it.
    mitigated_at_auto = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)

    detection_method = models.CharField(max_length=20, choices=DetectionMethod.choices, blank=True)
    customer_impact = models.TextField(blank=True, help_text="Markdown.")
    customer_impact_html = models.TextField(blank=True, editable=False)

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
    # A postmortem the process rule requires, waived (so the incident may close without it).
    postmortem_waived_at = models.DateTimeField(null=True, blank=True)
    postmortem_waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    postmortem_waiver_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = IncidentQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at", "summary_html", "customer_impact_html"])
    MARKDOWN_HTML = {"summary": "summary_html", "customer_impact": "customer_impact_html"}

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
        """Whole seconds from `a` to `b`, cut toward zero; 0 when `b` is before `a` (never negative);
        None when either is unknown."""
        if a is None or b is None:
            return None
        return max(0, int((b - a).total_seconds()))

    @property
    def time_to_detect(self) -> int | None:
        """Seconds from `started_at` (impact began) to `detected_at` (MTTD term); None if either is unknown."""
        return self._seconds(self.started_at, self.detected_at)

    @property
    def time_to_acknowledge(self) -> int | None:
        """Seconds from `detected_at` to `acknowledged_at` (MTTA term); None if unknown."""
        return self._seconds(self.detected_at, self.acknowledged_at)

    @property
    def time_to_mitigate(self) -> int | None:
        """Seconds from `started_at` to `mitigated_at`; None if unknown."""
        return self._seconds(self.started_at, self.mitigated_at)

    @property
    def time_to_resolve(self) -> int | None:
        """Seconds from `detected_at` to `resolved_at` (MTTR term); None if either is unknown; 0 for an
        incident resolved before it was detected (`resolved_before_detection`)."""
        return self._seconds(self.detected_at, self.resolved_at)

    def duration_rows(self) -> list[DurationRow]:
        """Every derived duration with its definition and, when unknown or zero, why."""
        missing_label = {
            "started_at": "start", "detected_at": "detection", "acknowledged_at": "acknowledgement",
            "mitigated_at": "mitigation", "resolved_at": "resolution",
        }  # fmt: skip
        ends = {
            "time_to_detect": ("started_at", "detected_at"),
            "time_to_acknowledge": ("detected_at", "acknowledged_at"),
            "time_to_mitigate": ("started_at", "mitigated_at"),
            "time_to_resolve": ("detected_at", "resolved_at"),
            "impact_duration": ("started_at", "resolved_at"),
        }
        rows = []
        for name, label, definition in DURATION_DEFINITIONS:
            seconds = getattr(self, name)
            note = ""
            if seconds is None:
                gaps = [missing_label[f] for f in ends[name] if getattr(self, f) is None]
                note = f"no {' or '.join(gaps)} time recorded"
            elif name == "time_to_resolve" and self.resolved_before_detection:
                note = "resolved before detection"
            elif name == "time_to_mitigate" and self.mitigated_at_auto:
                note = "mitigation time set automatically at resolution"
            elif name == "time_to_mitigate" and self.mitigated_before_detection:
                note = "mitigated before detection"
            rows.append(DurationRow(name, label, seconds, definition, note))
        return rows

    @property
    def milestone_notes(self) -> list[str]:
        """What the milestones say that is out of the usual order (start, detection, acknowledgement,
        mitigation, resolution) but accepted: an incident may be mitigated or even over before anyone
        detected it (found later, in logs or an audit). Empty when the order is the usual one. The edit
        form shows these on save and the API returns them (`milestone_notes`), so it is never silent."""
        notes = []
        if self.resolved_before_detection:
            notes.append(
                "Detected after it was resolved: the impact ended before anyone noticed, so time to "
                "resolve counts 0 (resolved before detection)."
            )
        elif self.mitigated_before_detection:
            notes.append("Mitigated before it was detected: time to mitigate runs from the start, as always.")
        return notes

    @property
    def mitigated_before_detection(self) -> bool:
        """Whether the recorded mitigation is earlier than the recorded detection."""
        return bool(self.detected_at and self.mitigated_at and self.mitigated_at < self.detected_at)

    @property
    def resolved_before_detection(self) -> bool:
        """Whether the recorded resolution is earlier than the recorded detection (time to resolve is 0)."""
        return bool(self.detected_at and self.resolved_at and self.resolved_at < self.detected_at)

    @property
    def impact_duration(self) -> int | None:
        """Seconds from `started_at` to `resolved_at`: how long users were affected; None if unresolved."""
        return self._seconds(self.started_at, self.resolved_at)


# --- Incident types and their custom fields ---------------------------------------------------------------
# An `IncidentType` (outage, security, data ...) carries the defaults a declaration takes (severity, restricted
# or not, the postmortem template) and the `CustomField`s it asks for. A `CustomFieldValue` is one stored value
# of a field on an incident: one row per value (a multi select keeps one row per option), in the typed column
# of its kind, so the list filters with a plain indexed lookup on SQLite and PostgreSQL alike. Values are read
# only through the incident (its selectors apply the visibility scope).
class IncidentType(models.Model):
    """A kind of incident with its declaration defaults and its custom fields (`fields`)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    default_severity = models.CharField(max_length=4, choices=Severity.choices, default=Severity.SEV3)
    restricted_by_default = models.BooleanField(
        default=False, help_text="Declared restricted (participants and admins only) unless chosen otherwise."
    )
    postmortem_template = models.ForeignKey(
        "incidents.PostmortemTemplate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    archived = models.BooleanField(default=False, help_text="No longer offered when declaring.")
    runbook_tasks = models.TextField(
        blank=True, help_text="Tasks every incident of the type starts with, one a line."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomFieldKind(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    SELECT = "select", "Single select"
    MULTI_SELECT = "multi_select", "Multi select"
    USER = "user", "Person"
    LINK = "link", "Link"
    DATE = "date", "Date"


#: Kinds whose values are one of the field's options.
OPTION_KINDS = (CustomFieldKind.SELECT, CustomFieldKind.MULTI_SELECT)


class CustomField(models.Model):
    """A field an incident type asks for. `key` names it in the API and exports (unique within the type);
    `options` are the choices of a select (strings, in order)."""

    incident_type = models.ForeignKey(IncidentType, on_delete=models.CASCADE, related_name="fields")
    label = models.CharField(max_length=100)
    key = models.SlugField(max_length=50)
    kind = models.CharField(max_length=20, choices=CustomFieldKind.choices)
    options = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)
    help_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident_type", "key"], name="custom_field_key_per_type"),
        ]

    def __str__(self) -> str:
        return self.label


class CustomFieldValue(models.Model):
    """One value of `field` on `incident`, in the column of the field's kind (`text` holds text, a link
    or an option)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="custom_values")
    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="values")
    text = models.CharField(max_length=2000, blank=True)
    number = models.DecimalField(max_digits=24, decimal_places=6, null=True, blank=True)
    date = models.DateField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["field__position", "field_id", "id"]
        indexes = [
            models.Index(fields=["field", "text"]),
            models.Index(fields=["field", "number"]),
            models.Index(fields=["field", "date"]),
        ]

    def __str__(self) -> str:
        return f"{self.field_id}: {self.text or self.number or self.date or self.user_id}"


# --- Process rules ------------------------------------------------------------------------------------------
# What an incident must go through after it is resolved, per type and severity (`incidents/incident/process.py`
# reads them, with its defaults where no row applies): a postmortem required and due N days after the
# resolution, sections and the detection and change questions answered before review, and no closing until
# the postmortem is published or waived (who may waive: `permissions.review.can_waive_postmortem`).
class ProcessRule(models.Model):
    """The rule for incidents of `incident_type` (None: every incident whose type has no rule of its own,
    incidents without a type included) at `severity`."""

    incident_type = models.ForeignKey(
        IncidentType, null=True, blank=True, on_delete=models.CASCADE, related_name="rules"
    )
    severity = models.CharField(max_length=4, choices=Severity.choices)
    postmortem_required = models.BooleanField(default=True)
    postmortem_due_days = models.PositiveSmallIntegerField(
        default=5, help_text="Business days after the resolution the postmortem is due published."
    )
    required_sections = models.JSONField(default=list, blank=True, help_text="Section keys.")
    questions_required = models.BooleanField(
        default=False, help_text="The detection and change questions are answered before review."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["incident_type__name", "severity"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident_type", "severity"],
                condition=models.Q(incident_type__isnull=False),
                name="process_rule_per_type_and_severity",
            ),
            models.UniqueConstraint(
                fields=["severity"],
                condition=models.Q(incident_type__isnull=True),
                name="process_rule_default_per_severity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident_type or 'Any type'} {self.severity}"
