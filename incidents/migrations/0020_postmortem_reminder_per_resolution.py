"""The "postmortem not published" reminder is claimed once per resolution, not per resolution time.

Reminders claimed before this were keyed on the exact `resolved_at` (`20260605T150000`); the sweep now keys
them on the resolution's timeline row (`resolution:<row id>`). Each old claim is re-keyed to the resolution
it was sent for (the incident's latest "Incident resolved" row recorded before the claim), so an incident
already reminded is not reminded again. A claim with no such row keeps its key, as the sweep still uses the
time for an incident resolved without a row.
"""

import re

from django.db import migrations

_STAMP = re.compile(r"^\d{8}T\d{6}$")


def rekey(apps, schema_editor):
    Notification = apps.get_model("incidents", "Notification")
    TimelineEntry = apps.get_model("incidents", "TimelineEntry")
    claims = Notification.objects.filter(kind="postmortem.unpublished", object_key__startswith="incident:")
    for claim in claims.order_by("id"):
        if not _STAMP.match(claim.period):
            continue
        incident_id = claim.object_key.removeprefix("incident:")
        if not incident_id.isdigit():
            continue
        row = (
            TimelineEntry.objects.filter(
                incident_id=int(incident_id),
                source="system",
                body__startswith="Incident resolved",
                removed_at__isnull=True,
                recorded_at__lte=claim.created_at,
            )
            .order_by("-recorded_at", "-id")
            .first()
        )
        if row is None:
            continue
        period = f"resolution:{row.id}"
        taken = Notification.objects.filter(
            recipient=claim.recipient, kind=claim.kind, object_key=claim.object_key, period=period
        ).exists()
        if not taken:
            claim.period = period
            claim.save(update_fields=["period"])


class Migration(migrations.Migration):
    dependencies = [("incidents", "0019_webhook_include_restricted")]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
