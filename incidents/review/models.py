"""The blameless review: contributing factors and the postmortem document."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from incidents.markdown import StoredHtml


class FactorCategory(models.TextChoices):
    CODE_CHANGE = "code_change", "Code change"
    CONFIGURATION = "configuration", "Configuration"
    ENVIRONMENT = "environment", "Environment"
    INFRASTRUCTURE = "infrastructure", "Infrastructure"
    DEPENDENCY = "dependency", "Third-party dependency"
    PROCESS = "process", "Process"
    ACCESS_CONTROL = "access_control", "Access control"
    TESTING_GAP = "testing_gap", "Testing gap"
    MONITORING_GAP = "monitoring_gap", "Monitoring / detection gap"
    COMMUNICATION = "communication", "Communication"


class TestType(models.TextChoices):
    UNIT = "unit", "Unit"
    INTEGRATION = "integration", "Integration"
    PERFORMANCE = "performance", "Performance / load"
    REGRESSION = "regression", "Regression"
    FUNCTIONAL = "functional", "Functional"
    LINT = "lint", "Lint"
    USABILITY = "usability", "Usability"


class ContributingFactor(StoredHtml, models.Model):
    """A condition in the system that made the failure possible. There is no root-cause or fault field.

    `missing_test_types` is a list of `TestType` values, used for testing gaps.
    `recurrence_of` points at the same factor seen in an earlier incident.
    """

    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="factors")
    category = models.CharField(max_length=20, choices=FactorCategory.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.")
    description_html = models.TextField(blank=True, editable=False)
    evidence_entries = models.ManyToManyField("incidents.TimelineEntry", blank=True, related_name="factors")
    missing_test_types = models.JSONField(default=list, blank=True)
    recurrence_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="recurrences"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords(excluded_fields=["description_html"])
    MARKDOWN_HTML = {"description": "description_html"}

    class Meta:
        ordering = ["category", "id"]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.title}"


class PostmortemTemplate(models.Model):
    """A starting point for a postmortem: Markdown text per section key."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=255, blank=True)
    sections = models.JSONField(default=dict, help_text="Section key to starting Markdown.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def section_prompt(template: PostmortemTemplate | None, key: str) -> str:
    """The prompt `template` gives section `key`, as plain text for a placeholder: its starting Markdown
    without the italic underscores ("" without a template, or when it starts the section with only a
    bare list marker such as "- ")."""
    raw = str(((template.sections if template is not None else None) or {}).get(key) or "").strip()
    if len(raw) > 1 and raw[0] == raw[-1] and raw[0] in "_*":
        raw = raw[1:-1].strip()
    return "" if raw in {"", "-", "*"} else raw


def section_is_empty(text: Any, template: PostmortemTemplate | None, key: str) -> bool:
    """True when section `key`'s `text` says nothing: blank, or exactly what `template` started it with
    (its prompt, with or without the underscores; drafts started before prompts became placeholders
    hold it as text). The one test of an empty section: required sections, publishing, exports."""
    stripped = str(text or "").strip()
    if not stripped:
        return True
    starter = str(((template.sections if template is not None else None) or {}).get(key) or "").strip()
    return stripped == starter or stripped == section_prompt(template, key)


POSTMORTEM_SECTIONS: list[tuple[str, str]] = [
    ("summary", "Summary"),
    ("impact", "Impact"),
    ("trigger", "Trigger"),
    ("detection", "Detection"),
    ("response", "Response"),
    ("recovery", "Recovery"),
    ("went_well", "What went well"),
    ("went_wrong", "What went wrong"),
    ("got_lucky", "Where we got lucky"),
    ("surprised", "Why it surprised us"),
    ("lessons", "Lessons"),
]


class PostmortemStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"


class Postmortem(StoredHtml, models.Model):
    """One postmortem document per incident. `sections` maps section keys (POSTMORTEM_SECTIONS) to Markdown.

    `version` increases on every saved edit; a save based on an older version is refused.
    The detection and change questions are stored as fields so the review asks them every time.
    """

    incident = models.OneToOneField("incidents.Incident", on_delete=models.PROTECT, related_name="postmortem")
    template = models.ForeignKey(PostmortemTemplate, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=12, choices=PostmortemStatus.choices, default=PostmortemStatus.DRAFT)
    sections = models.JSONField(default=dict)
    sections_html = models.JSONField(default=dict, editable=False)  # section key -> sanitised HTML
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    # Detection and change questions.
    unnoticed_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="How long it went unnoticed."
    )
    should_have_caught = models.TextField(blank=True, help_text="Which test or alert should have caught it.")
    behind_feature_flag = models.BooleanField(null=True, blank=True)
    flag_off_seconds = models.PositiveIntegerField(null=True, blank=True)
    staging_matched = models.BooleanField(null=True, blank=True)
    staging_notes = models.TextField(blank=True)
    single_person_change = models.BooleanField(
        null=True, blank=True, help_text="Could one person make this change alone?"
    )
    detection_method = models.CharField(
        max_length=20,
        blank=True,
        choices=[
            ("alert", "Alert"),
            ("customer", "Customer report"),
            ("employee", "Employee"),
            ("chance", "By chance"),
        ],
        help_text="How it was detected (the same choices as the incident's).",
    )
    access_finding = models.ForeignKey(
        "incidents.PolicyFinding",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The access-control finding opened by answering yes to the single-person question.",
    )
    open_questions = models.TextField(blank=True, help_text="Markdown: questions for the meeting agenda.")

    # Meeting.
    meeting_at = models.DateTimeField(null=True, blank=True)
    meeting_attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    meeting_notes = models.TextField(blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["sections_html"])
    MARKDOWN_HTML = {"sections": "sections_html"}

    def __str__(self) -> str:
        return f"Postmortem for {self.incident.reference}"

    def written(self, key: str) -> str:
        """Section `key`'s Markdown, or "" when it is empty by `section_is_empty` (so a prompt left in a
        draft is never published, exported or counted as written)."""
        text = str((self.sections or {}).get(key) or "")
        template = self.template if self.template_id else None
        return "" if section_is_empty(text, template, key) else text


class PostmortemVersion(models.Model):
    """A frozen copy of the sections at a version number (kept for every saved edit and on publish)."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    sections = models.JSONField(default=dict)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    is_published = models.BooleanField(default=False)
    note = models.CharField(
        max_length=200, blank=True, help_text="Why this version exists (edit, import, publish)."
    )

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "number"], name="unique_postmortem_version")
        ]

    def __str__(self) -> str:
        return f"{self.postmortem} v{self.number}"


class ReviewDecision(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"


class PostmortemReview(models.Model):
    """A requested reviewer and their decision on a version of the postmortem."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="postmortem_reviews"
    )
    decision = models.CharField(max_length=20, choices=ReviewDecision.choices, default=ReviewDecision.PENDING)
    comment = models.TextField(blank=True)
    version_reviewed = models.PositiveIntegerField(null=True, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "reviewer"], name="unique_postmortem_reviewer")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.postmortem}: {self.decision}"


class BlamelessDismissal(models.Model):
    """A blameless-language finding that a person dismissed, with their reason.

    `overridden` marks the commander publishing over an open finding (the reason says why).
    """

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="blameless_dismissals")
    section = models.CharField(max_length=30)
    rule = models.CharField(max_length=50)
    text = models.CharField(max_length=255)
    reason = models.TextField()
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    overridden = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.rule}: {self.text}"


class FindingResolution(models.TextChoices):
    REWORDED = "reworded", "Reworded"
    DISMISSED = "dismissed", "Dismissed"
    OVERRIDDEN = "overridden", "Published over"


class BlamelessRecord(models.Model):
    """One blameless finding as it lived in a postmortem: raised, then reworded, dismissed or published over.

    Written by `incidents.review.services.blameless.sync` whenever the text is checked by the workflow, so
    Insights can count findings raised, reworded and dismissed per month. `text` is the flagged words,
    lower-cased (the same key as `BlamelessDismissal`).
    """

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="blameless_records")
    section = models.CharField(max_length=30)
    rule = models.CharField(max_length=50)
    text = models.CharField(max_length=255)
    raised_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=20, choices=FindingResolution.choices, blank=True)

    class Meta:
        indexes = [models.Index(fields=["raised_at"]), models.Index(fields=["resolved_at"])]

    def __str__(self) -> str:
        return f"{self.rule}: {self.text} ({self.resolution or 'open'})"


class PostmortemRead(models.Model):
    """A read receipt: `user` opened the published postmortem (first at `read_at`). One row per person and
    postmortem (a unique constraint); written once, never updated, so a team can see whether lessons travel."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["postmortem", "user"], name="unique_postmortem_read")]

    def __str__(self) -> str:
        return f"{self.user} read {self.postmortem}"


def _meeting_uid() -> str:
    return f"{uuid.uuid4()}@hindsight"


class ReviewMeeting(models.Model):
    """The postmortem review meeting its facilitator scheduled: `starts_at` (UTC) for `duration_minutes`,
    with `attendees` (people of the incident), each sent an iCalendar invitation.

    `uid` names the meeting to calendars and never changes; `sequence` goes up by one with every change
    sent (moved, attendees changed, cancelled), so a calendar replaces what it had. A cancelled meeting
    keeps its row (`cancelled_at`); scheduling again makes a new meeting with a new `uid`.
    """

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="review_meetings")
    uid = models.CharField(max_length=100, unique=True, default=_meeting_uid, editable=False)
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(default=60)
    sequence = models.PositiveIntegerField(default=0)
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Review meeting {self.uid}"

    @property
    def ends_at(self) -> datetime:
        """When the meeting ends (UTC): its start plus its duration."""
        return self.starts_at + timedelta(minutes=self.duration_minutes)
