"""Services own every write: they validate, change rows, write timeline entries and schedule side effects."""

from incidents.services.incident import IncidentConflict, TransitionError, incident_assign_roles, incident_change_severity, incident_change_status, incident_declare, incident_reopen, incident_resolve, incident_update
from incidents.services.timeline import timeline_entry_add

__all__ = [
    "IncidentConflict",
    "TransitionError",
    "incident_assign_roles",
    "incident_change_severity",
    "incident_change_status",
    "incident_declare",
    "incident_reopen",
    "incident_resolve",
    "incident_update",
    "timeline_entry_add",
]
