"""Drop the hand-written action item and policy finding event tables: 0009 moved their rows into history."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("incidents", "0009_followup_events_into_history")]

    operations = [
        migrations.DeleteModel(name="ActionItemEvent"),
        migrations.DeleteModel(name="PolicyFindingEvent"),
    ]
