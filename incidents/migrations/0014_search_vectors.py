"""Search on PostgreSQL reads a stored `search_vector` column instead of computing vectors per row.

Each searched table gets a generated column `search_vector tsvector GENERATED ALWAYS AS (...) STORED`
(title weighted A over the body's B) and a GIN index on it; the expression indexes of 0004 go (a search
walking the primary key recomputed `to_tsvector` per row, and ranking recomputed it again). The column is
not a model field: PostgreSQL keeps it current on every insert and update (bulk_create too), the ORM never
reads or writes it, and `incidents.insights.search_kinds.StoredVector` is the one place that names it. Nothing
happens on other databases (SQLite searches with LIKE).
"""

import importlib

from django.db import migrations

TABLES = {
    # table: (index name, vector expression)
    "incidents_incident": (
        "incident_search_gin",
        "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
        "setweight(to_tsvector('english'::regconfig, coalesce(summary, '') || ' ' || "
        "coalesce(customer_impact, '')), 'B')",
    ),
    "incidents_timelineentry": (
        "timelineentry_search_gin",
        "setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'B')",
    ),
    "incidents_postmortem": (
        "postmortem_search_gin",
        "setweight(to_tsvector('english'::regconfig, coalesce(sections, '{}'::jsonb)), 'B')",
    ),
    "incidents_contributingfactor": ("factor_search_gin", None),
    "incidents_actionitem": ("actionitem_search_gin", None),
    "incidents_policyfinding": ("finding_search_gin", None),
}
TITLE_AND_DESCRIPTION = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')"
)


def add_columns(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, (index, expression) in TABLES.items():
        schema_editor.execute(f'DROP INDEX IF EXISTS "{index}"')
        schema_editor.execute(
            f'ALTER TABLE "{table}" ADD COLUMN search_vector tsvector '
            f"GENERATED ALWAYS AS ({expression or TITLE_AND_DESCRIPTION}) STORED"
        )
        schema_editor.execute(f'CREATE INDEX "{index}" ON "{table}" USING gin (search_vector)')


def drop_columns(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, (index, _expression) in TABLES.items():
        schema_editor.execute(f'DROP INDEX IF EXISTS "{index}"')
        schema_editor.execute(f'ALTER TABLE "{table}" DROP COLUMN IF EXISTS search_vector')
    # Back to 0004's expression indexes, which the code of that time searches with.
    old = importlib.import_module("incidents.migrations.0004_insights_search")
    old.create_indexes(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0013_delivery_records")]

    operations = [migrations.RunPython(add_columns, drop_columns, elidable=False)]
