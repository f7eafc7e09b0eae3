"""One audit trail for action items and policy findings: their hand-written events move into their history.

Before this, an item's or finding's life was written twice: a simple-history snapshot per save, and an
`ActionItemEvent` / `PolicyFindingEvent` row per change (kind, from and to status, note, incident, actor).
From now on the snapshot is the one record; its reason says what the changed fields do not. First every
history reason becomes text (it quotes notes of any length), then each old event becomes a reason, so
nothing is lost:

- An event is written onto the snapshot its change saved: the object's latest history record from
  MATCH_WINDOW before the event up to the event's own time (the service saved the row, then wrote the
  event, in the same transaction), provided that record has no user or the event's actor. Several events of
  one save (an edit that also assigned an owner) are joined with " · ".
- Otherwise a record is added at the event's time, with the event's actor: a copy of the state the object
  was in then (the latest earlier snapshot, else the earliest later one, else the row itself), so it shows
  no field change, only the reason.

A reason reads "<kind> (<from status> → <to status>): <note>", naming the event's incident when the note
does not. Reversing keeps the reasons and leaves the recreated event tables empty. Tested in
tests/incidents/followup/test_migrations.py.
"""

from datetime import timedelta

from django.db import migrations, models

HISTORICAL_MODELS = [
    "historicalactionitem",
    "historicalalertintegration",
    "historicalcontributingfactor",
    "historicalincident",
    "historicalpolicyfinding",
    "historicalpostmortem",
    "historicalpostmortemreview",
    "historicalpostmortemtemplate",
    "historicalservice",
    "historicaltimelineentry",
]
MATCH_WINDOW = timedelta(seconds=2)
HISTORY_ONLY = {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}


def _labels(model, field):
    return {str(k): str(v) for k, v in model._meta.get_field(field).flatchoices}


def _reason(event, kinds, statuses, references):
    text = kinds.get(event.kind, event.kind)
    if event.to_status:
        to = statuses.get(event.to_status, event.to_status)
        moved = f"{statuses.get(event.from_status, event.from_status)} → {to}" if event.from_status else to
        if event.from_status != event.to_status:
            text += f" ({moved})"
    if event.note:
        text += f": {event.note}"
    reference = references.get(getattr(event, "incident_id", None))
    if reference and reference not in event.note:
        text += f" ({reference})"
    return text


def _copy(historical, source, event, reason):
    """A history record at the event's time with the tracked fields of `source` (a record or the row)."""
    names = [f.attname for f in historical._meta.concrete_fields if f.name not in HISTORY_ONLY]
    return historical(
        **{name: getattr(source, name) for name in names},
        history_date=event.created_at,
        history_type="~",
        history_change_reason=reason,
        history_user_id=event.actor_id,
    )


def _move(apps, model_name, event_name, owner_field):
    model = apps.get_model("incidents", model_name)
    historical = apps.get_model("incidents", f"Historical{model_name}")
    events = apps.get_model("incidents", event_name)
    incident = apps.get_model("incidents", "Incident")
    kinds = _labels(events, "kind")
    statuses = _labels(model, "status")
    incident_ids = set()
    if any(f.name == "incident" for f in events._meta.concrete_fields):
        incident_ids = set(events.objects.exclude(incident=None).values_list("incident_id", flat=True))
    references = {pk: f"INC-{n}" for pk, n in incident.objects.filter(pk__in=incident_ids).values_list("pk", "number")}
    object_ids = events.objects.values_list(f"{owner_field}_id", flat=True).distinct().order_by()
    for object_id in sorted(set(object_ids)):
        records = list(historical.objects.filter(id=object_id).order_by("history_date", "history_id"))
        for event in events.objects.filter(**{f"{owner_field}_id": object_id}).order_by("created_at", "id"):
            reason = _reason(event, kinds, statuses, references)
            saved = [
                r
                for r in records
                if event.created_at - MATCH_WINDOW <= r.history_date <= event.created_at
                and r.history_type != "-"
                and r.history_user_id in (None, event.actor_id)
            ]
            if saved:
                record = saved[-1]
                record.history_change_reason = " · ".join(filter(None, [record.history_change_reason, reason]))
                record.history_user_id = record.history_user_id or event.actor_id
                record.save(update_fields=["history_change_reason", "history_user"])
                continue
            earlier = [r for r in records if r.history_date <= event.created_at and r.history_type != "-"]
            source = earlier[-1] if earlier else (records[0] if records else model.objects.get(pk=object_id))
            record = _copy(historical, source, event, reason)
            record.save()
            records = sorted([*records, record], key=lambda r: (r.history_date, r.history_id))


def move_events_into_history(apps, schema_editor):
    _move(apps, "ActionItem", "ActionItemEvent", "item")
    _move(apps, "PolicyFinding", "PolicyFindingEvent", "finding")


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0008_blameless_records"),
        ("accounts", "0005_history_change_reason_text"),
    ]

    operations = [
        *[
            migrations.AlterField(
                model_name=name, name="history_change_reason", field=models.TextField(null=True)
            )
            for name in HISTORICAL_MODELS
        ],
        migrations.RunPython(move_events_into_history, migrations.RunPython.noop),
    ]
