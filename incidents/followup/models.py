"""Follow-through: action items and policy findings, tracked to verified closure."""

from __future__ import annotations

from datetime import UTC, date, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


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


class RecheckOutcome(models.TextChoices):
    WORKED = "worked", "It worked"
    DID_NOT_WORK = "did_not_work", "It did not work"


class ActionItem(models.Model):
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
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.")
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
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["status", "due_date"]), models.Index(fields=["owner", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ITEM_STATUSES

    def owner_today(self) -> date:
        """Today's date in the owner's time zone (UTC when there is no owner)."""
        now = timezone.now()
        if self.owner_id and self.owner:
            return now.astimezone(self.owner.tzinfo).date()
        return now.date()

    @property
    def is_overdue(self) -> bool:
        """True when open and the owner's local date is after `due_date`."""
        return bool(self.is_open and self.due_date and self.owner_today() > self.due_date)

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


class PolicyFinding(models.Model):
    """A policy gap (for example one person could change production alone), tracked to verified closure.

    Verification and risk acceptance must be done by someone other than `owner`. A risk acceptance
    lasts until `risk_accepted_until` (a date); on expiry the finding reopens.
    """

    area = models.CharField(max_length=20, choices=FindingArea.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.")
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
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_FINDING_STATUSES

    def owner_today(self) -> date:
        """Today's date in the owner's time zone (UTC when there is no owner)."""
        now = timezone.now()
        if self.owner_id and self.owner:
            return now.astimezone(self.owner.tzinfo).date()
        return now.date()

    @property
    def is_overdue(self) -> bool:
        """True when still open (draft to remediated) and the owner's local date is after `due_date`."""
        return bool(self.is_open and self.due_date and self.owner_today() > self.due_date)


class ActionItemEvent(models.Model):
    """One change in an action item's life (created, assigned, status, re-check, recurrence), with its note.

    Kept for ever: the item page shows them as the item's history, newest last.
    """

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        EDITED = "edited", "Edited"
        ASSIGNED = "assigned", "Assigned"
        STATUS = "status", "Status changed"
        RECHECK = "recheck", "Effect re-checked"
        RECURRENCE = "recurrence", "Did not prevent recurrence"
        RECURRENCE_REVIEWED = "recurrence_reviewed", "Recurrence reviewed"

    item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.item_id} {self.kind}"


class PolicyFindingEvent(models.Model):
    """One change in a policy finding's life, with the evidence or reason given at the time.

    This is the finding's evidence history: remediation evidence, verification evidence, risk
    acceptances and their expiry, and the incidents in which the finding was seen again.
    """

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        EDITED = "edited", "Edited"
        ASSIGNED = "assigned", "Assigned"
        STATUS = "status", "Status changed"
        VERIFIED = "verified", "Verified"
        RISK_ACCEPTED = "risk_accepted", "Risk accepted"
        RISK_EXPIRED = "risk_expired", "Risk acceptance expired"
        SEEN_AGAIN = "seen_again", "Seen again"

    finding = models.ForeignKey(PolicyFinding, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_status = models.CharField(max_length=15, blank=True)
    to_status = models.CharField(max_length=15, blank=True)
    note = models.TextField(blank=True)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.finding_id} {self.kind}"
