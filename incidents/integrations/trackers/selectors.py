"""Reads of the tracker sync shared by the action item page and the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from incidents.integrations.trackers.conflicts import conflict_token
from incidents.integrations.trackers.inbound import FIELD_LABELS, hindsight_label
from incidents.integrations.trackers.models import TrackerConnection, TrackerIssue
from incidents.integrations.trackers.services import ADAPTERS, claim_state, connection_for
from incidents.models import ActionItem
from incidents.permissions.followup import (
    action_item_is_restricted,
    can_edit_action_item,
    can_send_action_item_to_tracker,
)


@dataclass
class TrackerPanel:
    """What the item page shows about its tracker issue.

    `issue` (or None), `tracker` (the label: GitHub, Jira), `conflicts` as (field, label, Hindsight's
    value, the tracker's value, that value as the settle form carries it: `conflict_token`), `version`
    (the item's, which the settle form carries too), `can_create` (a "Create in tracker" button), `can_settle` (the choice
    buttons), `why_not` (why there is no button, for those who may edit the item), `warnings` (what the
    tracker sent that Hindsight did not take, as sentences), `opening_by` (who is opening the issue right
    now, before it exists: the panel then reloads itself until it does), `unanswered` (the last "Create in
    tracker" got no answer: the issue may be open, and creating again looks for it first)."""

    issue: TrackerIssue | None = None
    tracker: str = ""
    conflicts: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    version: int = 0
    can_create: bool = False
    can_settle: bool = False
    why_not: str = ""
    warnings: list[str] = field(default_factory=list)
    opening_by: str = ""
    unanswered: bool = False


def tracker_panel_for(user: Any, item: ActionItem) -> TrackerPanel:
    """The tracker panel of `item` for `user` (who can see the item: the caller checked)."""
    issue = TrackerIssue.objects.select_related("connection").filter(action_item=item).first()
    can_edit = can_edit_action_item(user, item)
    if issue is not None:
        return TrackerPanel(
            issue=issue,
            tracker=ADAPTERS[issue.connection.kind].label,
            conflicts=[
                (
                    name,
                    FIELD_LABELS.get(name, name),
                    hindsight_label(item, name),
                    str(c.get("label", "")),
                    conflict_token(c),
                )
                for name, c in sorted((issue.conflicts or {}).items())
            ],  # fmt: skip
            version=item.version,
            can_settle=can_edit,
            warnings=[str(text) for _, text in sorted((issue.warnings or {}).items())],
        )
    if not can_edit:
        return TrackerPanel()
    connection: TrackerConnection | None = connection_for(item)
    if connection is None:
        return TrackerPanel(why_not="No team of this item has an issue tracker (Settings → Issue trackers).")
    who, unanswered = claim_state(item.pk)
    if who is not None:
        return TrackerPanel(tracker=ADAPTERS[connection.kind].label, opening_by=who)
    if action_item_is_restricted(item):
        return TrackerPanel(
            tracker=ADAPTERS[connection.kind].label,
            why_not="Items of a restricted incident (or of a policy finding on one) are not sent to a tracker: "
            "its readers are not the incident's.",
        )
    return TrackerPanel(
        tracker=ADAPTERS[connection.kind].label,
        can_create=can_send_action_item_to_tracker(user, item),
        unanswered=unanswered,
    )
