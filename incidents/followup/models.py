"""Follow-through: action items and policy findings, tracked to verified closure.

Both are follow-up work (`FollowupWork`): a titled row with an owner, a due date on the owner's calendar,
a status and a `version` that grows on every save. Their one audit trail is simple-history
(`history = HistoricalRecords()`): every save writes a snapshot with the actor and, where the changed
fields do not say it all, a reason ("Status changed: the alert now pages the on-call").
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from incidents.markdown import StoredHtml


class Priority(models.TextChoices):
    P1 = "P1", "P1 (urgent)"
    P2 = "P2", "P2 (soon)"
    P3 = "P3", "P3 (later)"


class ActionItemType(models.TextChoices):
    PREVENT = "prevent", "Prevent"
    DETECT = "detect", "Detect"
    MITIGATE = "mitigate", "Mitigate"
    PROCESS = "process", "Process"


class ActionItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    BLOCKED = "blocked", "Blocked"
    DONE = "done", "Done"
    WONT_DO = "wont_do", "Won't do"


OPEN_ITEM_STATUSES = (ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS, ActionItemStatus.BLOCKED)


class FollowupWork(StoredHtml, models.Model):
    """What an action item and a policy finding have in common (abstract).

    A subclass defines `owner` (a User or None), `due_date` (a date on the owner's calendar, or None),
    `status`, and `OPEN_STATUSES` (the statuses in which the work still waits on someone).
    """

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.")
    description_html = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    OPEN_STATUSES: tuple[str, ...] = ()
    MARKDOWN_HTML = {"description": "description_html"}
    owner: Any
    owner_id: int | None
    due_date: Any
    status: Any

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def owner_today(self) -> date:
        """Today's date in the owner's time zone (UTC when there is no owner)."""
        now = timezone.now()
        if self.owner_id and self.owner:
            return now.astimezone(self.owner.tzinfo).date()
        return now.date()

    @property
    def is_overdue(self) -> bool:
        """True when open (for a finding: draft to remediated) and the owner's local date is after `due_date`."""
        return bool(self.is_open and self.due_date and self.owner_today() > self.due_date)


class RecheckOutcome(models.TextChoices):
    WORKED = "worked", "It worked"
    DID_NOT_WORK = "did_not_work", "It did not work"


class ActionItem(FollowupWork):
    """A follow-up with an owner and a due date.

    `due_date` is a calendar date in the owner's time zone; an item is overdue once the owner's local
    date is after it. `version` increases on every edit (optimistic locking).
    """

    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.PROTECT, related_name="action_items"
    )
    factor = models.ForeignKey(
        "incidents.ContributingFactor",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
    )
    finding = models.ForeignKey(
        "incidents.PolicyFinding",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="action_items"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    due_date = models.DateField(null=True, blank=True, db_index=True)
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.P2)
    type = models.CharField(max_length=10, choices=ActionItemType.choices, default=ActionItemType.PREVENT)
    status = models.CharField(
        max_length=12, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN, db_index=True
    )
    completion_note = models.TextField(blank=True)
    wont_do_reason = models.TextField(blank=True)
    blocked_on = models.TextField(blank=True)
    tracker_url = models.URLField(blank=True)
    success_criteria = models.TextField(blank=True, help_text="How we will know it worked.")
    recheck_date = models.DateField(null=True, blank=True)
    recheck_confirmed_at = models.DateTimeField(null=True, blank=True)
    recheck_outcome = models.CharField(max_length=12, choices=RecheckOutcome.choices, blank=True)
    recheck_note = models.TextField(blank=True)
    did_not_prevent_recurrence = models.BooleanField(default=False)
    recurrence_incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recurrence_flagged_at = models.DateTimeField(null=True, blank=True)
    recurrence_reviewed_at = models.DateTimeField(null=True, blank=True)
    recurrence_review_note = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["description_html"])

    OPEN_STATUSES = OPEN_ITEM_STATUSES

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["status", "due_date"]), models.Index(fields=["owner", "status"])]

    @property
    def target_due_date(self) -> date:
        """The latest due date the priority's target allows: the creation date on the owner's calendar (as
        due dates are) plus the priority's days (`ACTION_ITEM_DUE_TARGET_DAYS`)."""
        days = settings.ACTION_ITEM_DUE_TARGET_DAYS.get(self.priority, 30)
        zone = self.owner.tzinfo if self.owner_id and self.owner else UTC
        return self.created_at.astimezone(zone).date() + timedelta(days=days)

    @property
    def breaches_target(self) -> bool:
        """True when the due date (or, still open, today) is past the priority's target."""
        if self.due_date and self.due_date > self.target_due_date:
            return True
        return bool(self.is_open and self.owner_today() > self.target_due_date)

    @property
    def recheck_due(self) -> bool:
        """True when the item is done, has a re-check date the owner has reached, and no answer yet."""
        return bool(
            self.status == ActionItemStatus.DONE
            and self.recheck_date
            and not self.recheck_outcome
            and self.owner_today() >= self.recheck_date
        )

    @property
    def needs_recurrence_review(self) -> bool:
        """True when flagged "did not prevent recurrence" and nobody has reviewed the flag yet."""
        return self.did_not_prevent_recurrence and self.recurrence_reviewed_at is None


class FindingArea(models.TextChoices):
    ACCESS_CONTROL = "access_control", "Access control"
    CHANGE_MANAGEMENT = "change_management", "Change management"
    ENVIRONMENT_PARITY = "environment_parity", "Environment parity"
    FEATURE_FLAGS = "feature_flags", "Feature flags"
    ALERTING = "alerting", "Alerting"
    DATA_PROTECTION = "data_protection", "Data protection"
    TESTING = "testing", "Testing"


class Risk(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class FindingStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    REMEDIATING = "remediating", "Remediating"
    REMEDIATED = "remediated", "Remediated"
    VERIFIED = "verified", "Verified"
    CLOSED = "closed", "Closed"
    RISK_ACCEPTED = "risk_accepted", "Risk accepted"


OPEN_FINDING_STATUSES = (
    FindingStatus.DRAFT,
    FindingStatus.OPEN,
    FindingStatus.REMEDIATING,
    FindingStatus.REMEDIATED,
)


def acceptance_lapsed_q(now: datetime | None = None, prefix: str = "") -> models.Q:
    """Q for findings whose risk acceptance has ended: `risk_accepted` with `risk_accepted_until` before
    the owner's local today (ownerless: UTC), the database-side twin of `PolicyFinding.risk_acceptance_ended`.

    One query reads the time zones in use; the Q has one branch per zone, so the database decides per row
    on the owner's date, before the hourly task has recorded the reopening."""
    user_model = get_user_model()
    now = now or timezone.now()
    dates = {"": now.astimezone(UTC).date()}
    for name in set(user_model.objects.values_list("time_zone", flat=True).distinct()):
        dates[name] = now.astimezone(user_model(time_zone=name).tzinfo).date()
    accepted = models.Q(**{f"{prefix}status": FindingStatus.RISK_ACCEPTED})
    when = models.Q(**{f"{prefix}owner__isnull": True, f"{prefix}risk_accepted_until__lt": dates[""]})
    for name, today in dates.items():
        if name:
            when |= models.Q(**{f"{prefix}owner__time_zone": name, f"{prefix}risk_accepted_until__lt": today})
    return accepted & when


def status_now(now: datetime | None = None) -> models.Case:
    """The status as people read it, as a database expression: `open` for an ended risk acceptance
    (`acceptance_lapsed_q`), else the stored status. `PolicyFinding.objects.with_status_now()` annotates it
    as `status_now`; every status filter and count uses it (API `?status=`, the register's filters and
    counts, dashboards, Insights, reminders and digests)."""
    return models.Case(
        models.When(acceptance_lapsed_q(now), then=models.Value(FindingStatus.OPEN.value)),
        default=models.F("status"),
        output_field=models.CharField(),
    )


class PolicyFindingQuerySet(models.QuerySet["PolicyFinding"]):
    def with_status_now(self, now: datetime | None = None) -> PolicyFindingQuerySet:
        """Annotate `status_now` (`status_now()`): filter and count on it, never on `status`."""
        return self.annotate(status_now=status_now(now))


class SeenInMarker(models.Model):
    """The extra column of a policy finding's history rows: the incident a "Seen again" row is about.

    The row's reason never names it (the incident may be restricted); `incidents.history.history_for`
    shows "seen in INC-n" only to a reader who may see that incident, "an incident you cannot see" to others.
    """

    seen_in_incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )

    class Meta:
        abstract = True


class PolicyFinding(FollowupWork):
    """A policy gap (for example one person could change production alone), tracked to verified closure.

    Verification and risk acceptance must be done by someone other than `owner`. A risk acceptance
    lasts until `risk_accepted_until` (a date); on expiry the finding reopens.
    """

    area = models.CharField(max_length=20, choices=FindingArea.choices)
    risk = models.CharField(max_length=6, choices=Risk.choices, default=Risk.MEDIUM)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="policy_findings",
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="policy_findings"
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=15, choices=FindingStatus.choices, default=FindingStatus.OPEN, db_index=True
    )
    incidents = models.ManyToManyField("incidents.Incident", blank=True, related_name="policy_findings")
    evidence = models.TextField(blank=True, help_text="Markdown: what shows it is fixed.")
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="findings_to_verify",
        help_text="Who is asked to verify the remediation (never the owner).",
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_evidence = models.TextField(blank=True)
    risk_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    risk_accepted_until = models.DateField(null=True, blank=True)
    risk_acceptance_reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["description_html"], bases=[SeenInMarker])

    objects = PolicyFindingQuerySet.as_manager()
    OPEN_STATUSES = OPEN_FINDING_STATUSES

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def risk_acceptance_ended(self) -> bool:
        """True when the finding is risk accepted and the owner's local date is past `risk_accepted_until`:
        judged now, at read time, so pages, emails, digests and the API agree before the hourly task
        records the reopening."""
        return bool(
            self.status == FindingStatus.RISK_ACCEPTED
            and self.risk_accepted_until
            and self.owner_today() > self.risk_accepted_until
        )

    @property
    def effective_status(self) -> str:
        """`status`, except that an ended risk acceptance reads as open."""
        return str(FindingStatus.OPEN if self.risk_acceptance_ended else self.status)

    def get_status_display(self) -> str:  # type: ignore[no-redef]  # replaces the generated label
        """The status label wherever it is shown; an ended acceptance reads as open, with its end date."""
        if self.risk_acceptance_ended:
            return f"Open (risk acceptance ended {self.risk_accepted_until:%Y-%m-%d})"
        return str(FindingStatus(self.status).label)
