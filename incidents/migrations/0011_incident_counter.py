"""Incident numbers come from a counter row (one UPDATE per declaration, so concurrent ones queue instead of
colliding); the row starts at the highest number given so far."""

from django.db import migrations, models
from django.db.models import Max


def seed(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    Counter = apps.get_model("incidents", "IncidentCounter")
    highest = Incident.objects.aggregate(n=Max("number"))["n"] or 0
    Counter.objects.update_or_create(name="incident", defaults={"value": highest})


class Migration(migrations.Migration):
    dependencies = [("incidents", "0010_drop_followup_event_tables")]

    operations = [
        migrations.CreateModel(
            name="IncidentCounter",
            fields=[
                ("name", models.CharField(max_length=20, primary_key=True, serialize=False)),
                ("value", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
