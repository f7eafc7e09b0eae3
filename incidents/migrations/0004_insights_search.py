"""Search support on PostgreSQL: the pg_trgm extension and GIN indexes on the full-text vectors.

Both steps do nothing on other databases. The indexed expressions must stay identical to
`incidents.search.vector_for` or PostgreSQL will not use the indexes.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = [
    # (model, index name, fields); "sections" is the postmortem's jsonb (string values only).
    ("Incident", "incident_search_gin", ("title", "summary", "customer_impact")),
    ("TimelineEntry", "timelineentry_search_gin", ("body",)),
    ("Postmortem", "postmortem_search_gin", None),
    ("ContributingFactor", "factor_search_gin", ("title", "description")),
    ("ActionItem", "actionitem_search_gin", ("title", "description")),
    ("PolicyFinding", "finding_search_gin", ("title", "description")),
]


def _index(name, fields):
    from django.contrib.postgres.indexes import GinIndex
    from django.contrib.postgres.search import SearchVector, SearchVectorField
    from django.db.models import F, Func

    if fields is None:

        class JsonValuesVector(Func):
            function = "to_tsvector"
            template = "%(function)s('english'::regconfig, %(expressions)s)"
            output_field = SearchVectorField()

        return GinIndex(JsonValuesVector(F("sections")), name=name)
    return GinIndex(SearchVector(*fields, config="english"), name=name)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, name, fields in INDEXES:
        schema_editor.add_index(apps.get_model("incidents", model_name), _index(name, fields))


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, name, fields in INDEXES:
        schema_editor.remove_index(apps.get_model("incidents", model_name), _index(name, fields))


class Migration(migrations.Migration):
    dependencies = [("incidents", "0003_notification_lease")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
