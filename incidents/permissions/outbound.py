"""What may leave Hindsight for readers it does not know: outbound webhooks, issue trackers, chat channels.

A restricted incident is seen by its participants and admins only; a receiver outside Hindsight (a
webhook endpoint, a tracker, a chat channel) has readers Hindsight cannot check. So nothing about a
restricted incident goes out, unless an admin chose it for one webhook endpoint (`include_restricted`).
"About a restricted incident" means: the incident itself, an action item on it, a policy finding linked to
it, or an action item made from such a finding (`followup.action_item_is_restricted`).
"""

from __future__ import annotations

from collections.abc import Iterable

from incidents.models import ActionItem, Incident, PolicyFinding, Visibility
from incidents.permissions.followup import restricted_action_items_q


def any_restricted(
    *,
    incident_numbers: Iterable[int] = (),
    action_item_ids: Iterable[int] = (),
    finding_ids: Iterable[int] = (),
) -> bool:
    """True when any of the incidents (by number), action items or policy findings (by id) is about a
    restricted incident, as the database has it now. At most three queries; none for empty arguments."""
    numbers, items, findings = list(incident_numbers), list(action_item_ids), list(finding_ids)
    restricted = Visibility.RESTRICTED
    if numbers and Incident.objects.filter(number__in=numbers, visibility=restricted).exists():
        return True
    if items and ActionItem.objects.filter(pk__in=items).filter(restricted_action_items_q()).exists():
        return True
    return bool(
        findings and PolicyFinding.objects.filter(pk__in=findings, incidents__visibility=restricted).exists()
    )


def webhook_may_carry(*, include_restricted: bool, restricted: bool) -> bool:
    """An endpoint receives an event about a restricted incident only when an admin ticked "Include
    restricted incidents" for it; every other event goes to every subscribed endpoint."""
    return include_restricted or not restricted
