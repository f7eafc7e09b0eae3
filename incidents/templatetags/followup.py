"""Template tags for the follow-through sections embedded in other pages (the incident page)."""

from __future__ import annotations

from django import template

from incidents.followup.selectors import incident_action_items_for
from incidents.models import ActionItem, Incident

register = template.Library()


@register.simple_tag(takes_context=True)
def incident_action_items(context: template.Context, incident: Incident) -> list[ActionItem]:
    """The incident's action items (one query). Only used on the incident page, which its viewer may see."""
    items = incident_action_items_for(context["request"].user, incident)
    for item in items:
        item.incident_visible = True  # type: ignore[attr-defined]
    return items
