"""A policy finding's history rows carry the incident a "Seen again" row is about (`seen_in_incident`), so
that the page names it only to those who may see it (incidents.history.history_for).

Rows migrated from the old event table (0009) named the incident in their reason, "Seen again (INC-77)":
the reference moves into the marker and out of the text, which everyone who may see the finding reads.
"""

import re

import django.db.models.deletion
from django.db import migrations, models

NAMED = re.compile(r"^(?P<text>.*) \(INC-(?P<number>\d+)\)$", re.S)


def mark_named_incidents(apps, schema_editor):
    historical = apps.get_model("incidents", "HistoricalPolicyFinding")
    incident = apps.get_model("incidents", "Incident")
    rows = historical.objects.filter(history_change_reason__regex=r" \(INC-[0-9]+\)$", seen_in_incident=None)
    for row in rows.iterator():
        match = NAMED.match(row.history_change_reason or "")
        if match is None:
            continue
        pk = incident.objects.filter(number=int(match["number"])).values_list("pk", flat=True).first()
        if pk is None:
            continue
        historical.objects.filter(pk=row.pk).update(
            seen_in_incident_id=pk, history_change_reason=match["text"]
        )


def name_marked_incidents(apps, schema_editor):
    historical = apps.get_model("incidents", "HistoricalPolicyFinding")
    rows = historical.objects.exclude(seen_in_incident=None).select_related("seen_in_incident")
    for row in rows.iterator():
        reason = f"{row.history_change_reason or ''} (INC-{row.seen_in_incident.number})".strip()
        historical.objects.filter(pk=row.pk).update(history_change_reason=reason)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0022_chat_request_seen"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalpolicyfinding",
            name="seen_in_incident",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="incidents.incident",
            ),
        ),
        migrations.RunPython(mark_named_incidents, name_marked_incidents),
    ]
