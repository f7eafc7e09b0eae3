"""Tracker connections (per team, credentials encrypted), the issues linked to action items (and the claim
taken before one is opened), deliveries seen."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from incidents.notify.models import DeliveryRecord


class TrackerKind(models.TextChoices):
    GITHUB = "github", "GitHub Issues"
    JIRA = "jira", "Jira Cloud"
    REDMINE = "redmine", "Redmine"


class TrackerConnection(models.Model):
    """One team's issue tracker: where "Create in tracker" opens issues and whose webhooks move items.

    `site_url` is the API root (`https://api.github.com`) or the Jira site (`https://acme.atlassian.net`);
    `project` is `owner/repo` (GitHub) or a project key (`OPS`, Jira). `token_encrypted` and
    `webhook_secret_encrypted` are Fernet tokens (`credentials.py`), never shown again once saved.
    `user_map` maps a tracker identity (GitHub login, Jira accountId) to a Hindsight email address.
    With `auto_create_p1`, the reconcile sweep opens an issue for every open P1 item of the team.
    """

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="tracker")
    kind = models.CharField(max_length=10, choices=TrackerKind.choices)
    site_url = models.URLField(max_length=300)
    project = models.CharField(max_length=200)
    username = models.CharField(max_length=200, blank=True, help_text="Jira: the account's email.")
    issue_type = models.CharField(max_length=100, default="Task", blank=True)
    token_encrypted = models.TextField(blank=True)
    webhook_secret_encrypted = models.TextField(blank=True)
    user_map = models.JSONField(default=dict, blank=True)
    auto_create_p1 = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords(excluded_fields=["token_encrypted", "webhook_secret_encrypted"])

    class Meta:
        ordering = ["team__name"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.project}"


class TrackerIssue(models.Model):
    """The tracker issue of one action item, and what the two sides last agreed on.

    `seen` holds the tracker's values as last observed, `agreed` Hindsight's values at the last sync
    (keys `status` "open"/"closed"/"wont_do", `owner` a user id or None, `due_date` ISO date or None). A field
    changed on both sides since then lands in `conflicts` ({field: {"tracker": value, "label": text}})
    and is shown on the item until someone chooses; nothing is applied silently. `warnings` ({field:
    text}) says what the tracker sent that Hindsight did not take (a due date that is not a date), until
    the tracker sends a value it can take. `remote_updated_at` is the tracker's own time of the last
    state applied (its `updated_at`): a webhook or a read of an older state is ignored.
    """

    action_item = models.OneToOneField(
        "incidents.ActionItem", on_delete=models.CASCADE, related_name="tracker_issue"
    )
    connection = models.ForeignKey(TrackerConnection, on_delete=models.PROTECT, related_name="issues")
    key = models.CharField(max_length=200)
    external_id = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    remote_status = models.CharField(max_length=100, blank=True)
    remote_closed = models.BooleanField(default=False)
    remote_assignee = models.CharField(max_length=200, blank=True)
    remote_due_date = models.DateField(null=True, blank=True)
    seen = models.JSONField(default=dict, blank=True)
    agreed = models.JSONField(default=dict, blank=True)
    conflicts = models.JSONField(default=dict, blank=True)
    warnings = models.JSONField(default=dict, blank=True)
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "key"], name="one_item_per_tracker_issue")
        ]

    def __str__(self) -> str:
        return self.key


class TrackerIssueClaim(models.Model):
    """The claim to open the one tracker issue of an action item, taken (and committed) before the tracker
    is called, so two "Create in tracker" at once (two people, a double click, the P1 sweep) open one issue.
    Kept once the issue exists; dropped when the tracker refused, so it can be tried again. `uncertain`
    when the create was sent but got no answer (a timeout, a connection reset): the tracker may have
    opened the issue, so the next "Create in tracker" (or the P1 sweep) takes the claim over and first
    looks for an issue carrying the item's link back, and adopts it, before opening one. A claim older
    than `CLAIM_SECONDS` with no issue (the process died while calling the tracker) is taken over the
    same way."""

    action_item = models.OneToOneField(
        "incidents.ActionItem", on_delete=models.CASCADE, related_name="tracker_claim"
    )
    connection = models.ForeignKey(TrackerConnection, on_delete=models.CASCADE, related_name="+")
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(default=timezone.now)
    uncertain = models.BooleanField(default=False)

    CLAIM_SECONDS = 300  # well over the tracker client's timeouts

    def __str__(self) -> str:
        return f"claim on item {self.action_item_id}"


class TrackerPush(DeliveryRecord):
    """Hindsight's own change of an action item (title, status, owner, due date) to be set on its tracker
    issue: one per issue and saved item version (`item_version`), recorded by the save and sent once by
    the `push_to_tracker` task (outbound.py), which reads the issue first. `fields` are the item's
    fields that changed; `pushed` what was set on the issue, `conflicts` the fields found changed in the
    tracker too (shown on the item, never overwritten)."""

    issue = models.ForeignKey(TrackerIssue, on_delete=models.CASCADE, related_name="pushes")
    item_version = models.PositiveIntegerField()
    fields = models.JSONField(default=list)
    pushed = models.JSONField(default=list, blank=True)
    conflicts = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "item_version"], name="one_push_per_item_version")
        ]

    def __str__(self) -> str:
        return f"{self.issue} v{self.item_version}: {', '.join(self.fields)}"


class TrackerDelivery(models.Model):
    """A webhook delivery already applied (GitHub's X-GitHub-Delivery, Jira's webhook identifier)."""

    connection = models.ForeignKey(TrackerConnection, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.CharField(max_length=200)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "delivery_id"], name="one_tracker_delivery")
        ]

    def __str__(self) -> str:
        return self.delivery_id
