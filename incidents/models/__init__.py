"""Incident domain models; one module per area."""

from incidents.models.followup import OPEN_FINDING_STATUSES, OPEN_ITEM_STATUSES, ActionItem, ActionItemEvent, ActionItemStatus, ActionItemType, FindingArea, FindingStatus, PolicyFinding, PolicyFindingEvent, Priority, RecheckOutcome, Risk
from incidents.models.incident import ACTIVE_STATUSES, MILESTONES, DetectionMethod, Incident, IncidentStatus, Service, Severity, Tag, Visibility
from incidents.models.notification import ChangeEvent, Notification, SeverityMailingList, Subscription, WebhookDelivery, WebhookEndpoint
from incidents.models.review import POSTMORTEM_SECTIONS, BlamelessDismissal, ContributingFactor, FactorCategory, Postmortem, PostmortemReview, PostmortemStatus, PostmortemTemplate, PostmortemVersion, ReviewDecision, TestType
from incidents.models.timeline import EntryKind, EntrySource, EvidenceMarker, TimelineEntry

__all__ = [
    "ACTIVE_STATUSES",
    "MILESTONES",
    "OPEN_FINDING_STATUSES",
    "OPEN_ITEM_STATUSES",
    "POSTMORTEM_SECTIONS",
    "ActionItem",
    "ActionItemEvent",
    "ActionItemStatus",
    "ActionItemType",
    "BlamelessDismissal",
    "ChangeEvent",
    "ContributingFactor",
    "DetectionMethod",
    "EntryKind",
    "EntrySource",
    "EvidenceMarker",
    "FactorCategory",
    "FindingArea",
    "FindingStatus",
    "Incident",
    "IncidentStatus",
    "Notification",
    "PolicyFinding",
    "PolicyFindingEvent",
    "Postmortem",
    "PostmortemReview",
    "PostmortemStatus",
    "PostmortemTemplate",
    "PostmortemVersion",
    "Priority",
    "RecheckOutcome",
    "ReviewDecision",
    "Risk",
    "Service",
    "Severity",
    "SeverityMailingList",
    "Subscription",
    "Tag",
    "TestType",
    "TimelineEntry",
    "Visibility",
    "WebhookDelivery",
    "WebhookEndpoint",
]
