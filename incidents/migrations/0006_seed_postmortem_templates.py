"""Seed the two postmortem templates (full, lightweight). Admins edit them afterwards in the admin."""

from django.db import migrations

FULL = {
    "summary": "_Two or three sentences: what happened, to whom, for how long._",
    "impact": "_Who was affected, how (errors, latency, data), how many, and for how long._",
    "trigger": "_The change or event that set things off. Describe the system, not a person._",
    "detection": "_How we found out, how long it went unnoticed, and which signal could have told us sooner._",
    "response": "_Who was paged, what we tried, what we knew at each point._",
    "recovery": "_What brought service back, and what made recovery slow or fast._",
    "went_well": "- ",
    "went_wrong": "- ",
    "got_lucky": "- ",
    "surprised": "_What did we believe about the system that turned out not to be true?_",
    "lessons": "- ",
}
LIGHTWEIGHT = {
    "summary": "_What happened, to whom, for how long._",
    "impact": "_Who was affected and how._",
    "trigger": "_The change or event that set things off._",
    "response": "_What we did to recover._",
    "lessons": "- ",
}


def seed(apps, schema_editor):
    Template = apps.get_model("incidents", "PostmortemTemplate")
    Template.objects.get_or_create(
        name="Full",
        defaults={"description": "Every section: for SEV1 and SEV2 incidents.", "sections": FULL},
    )
    Template.objects.get_or_create(
        name="Lightweight",
        defaults={"description": "Five sections: for SEV3 and SEV4 incidents.", "sections": LIGHTWEIGHT},
    )


def unseed(apps, schema_editor):
    apps.get_model("incidents", "PostmortemTemplate").objects.filter(name__in=["Full", "Lightweight"]).delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0005_postmortem_questions")]
    operations = [migrations.RunPython(seed, unseed)]
