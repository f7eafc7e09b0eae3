"""An active incident (investigating, identified, monitoring) has no resolution time.

Before the milestone/status rule (issue 16) an edit could give an open incident a `resolved_at`; such
values stay until someone edits the incident, and a page shows "Investigating" beside a resolution time.
Each one is cleared here and nothing is lost: the incident gets a "Milestones edited" timeline row whose
`milestone_changes` keep the old value (`resolved removed (was …)`), and a history record saying why.
A mitigation time marked as filled in by that resolution stays, as an ordinary mitigation time.
"""

from datetime import UTC

from django.db import migrations
from django.utils import timezone

ACTIVE = ("investigating", "identified", "monitoring")
NOTE = " (cleared: the incident is not resolved; Resolve records its resolution)"
REASON = "Resolution time cleared: the incident is not resolved (kept in its timeline)"


def clear(apps, schema_editor):
    from incidents.markdown import render_markdown
    from incidents.timeline.models import milestone_changes_text

    incident_model = apps.get_model("incidents", "Incident")
    entry_model = apps.get_model("incidents", "TimelineEntry")
    history_model = apps.get_model("incidents", "HistoricalIncident")
    tracked = [f.attname for f in history_model._meta.fields if f.attname in {
        g.attname for g in incident_model._meta.fields
    }]  # fmt: skip
    stale = incident_model.objects.filter(status__in=ACTIVE, resolved_at__isnull=False)
    for incident in stale.order_by("id").iterator():
        now = timezone.now()
        changes = [
            {
                "milestone": "resolved_at",
                "label": "resolved",
                "old": incident.resolved_at.astimezone(UTC).isoformat(),
                "new": None,
                "note": NOTE,
            }
        ]
        body = milestone_changes_text(changes, UTC)
        entry_model.objects.create(
            incident_id=incident.pk,
            occurred_at=now,
            recorded_at=now,
            updated_at=now,
            kind="status_change",
            source="system",
            body=body,
            body_html=str(render_markdown(body)),
            milestone_changes=changes,
        )
        incident.resolved_at = None
        incident.mitigated_at_auto = False
        incident.version += 1
        incident.updated_at = now
        incident.save(update_fields=["resolved_at", "mitigated_at_auto", "version", "updated_at"])
        history_model.objects.create(
            **{name: getattr(incident, name) for name in tracked},
            history_date=now,
            history_type="~",
            history_change_reason=REASON,
            history_user_id=None,
        )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0020_postmortem_reminder_per_resolution")]

    operations = [migrations.RunPython(clear, migrations.RunPython.noop)]
