"""Custom field values: the one parser of a value of each kind, and the one reader pages, the API and exports
share.

A value arrives as a web form or JSON sends it (text, a number or its text, an option, a list of options, a
person's id, a URL, an ISO date) and leaves `clean_value` typed: `str`, `Decimal`, `date`, `list[str]` or a
`User`; None means empty. `field_values` reads an incident's values from what its selector prefetched (no
query per incident), so a list of incidents costs the same queries for one row as for a hundred.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from incidents.models import OPTION_KINDS, CustomField, CustomFieldKind, CustomFieldValue, Incident
from incidents.permissions.people import NOT_CHOOSABLE

MAX_TEXT = 2000
# Twenty-four digits with six after the point, as stored: eighteen before it.
NUMBER_LIMIT = Decimal("1e18")
_url = URLValidator(schemes=["http", "https"])


def form_key(key: str) -> str:
    """The name of a custom field in web forms and in a service's ValidationError (`cf_<key>`)."""
    return f"cf_{key}"


def _empty(raw: Any) -> bool:
    return (
        raw is None
        or (isinstance(raw, str) and not raw.strip())
        or (isinstance(raw, list | tuple) and not raw)
    )


def _option(field: CustomField, raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValidationError("Send an option as text.")
    by_lower = {o.lower(): o for o in field.options}
    found = by_lower.get(raw.strip().lower())
    if found is None:
        raise ValidationError(f"Choose one of: {', '.join(field.options)}.")
    return found


def _number(raw: Any) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise ValidationError("Enter a number, e.g. 42 or 3.5.")
    try:
        value = Decimal(str(raw).strip().replace(",", "")) if isinstance(raw, str) else Decimal(str(raw))
    except InvalidOperation:
        raise ValidationError("Enter a number, e.g. 42 or 3.5.") from None
    if not value.is_finite() or abs(value) >= NUMBER_LIMIT:
        raise ValidationError("Enter a number below a billion billion.")
    if value != value.quantize(Decimal("0.000001")):
        raise ValidationError("Use at most six digits after the point.")
    return value


def _date(raw: Any) -> date:
    if isinstance(raw, date):
        value = raw
    elif isinstance(raw, str):
        try:
            value = date.fromisoformat(raw.strip())
        except ValueError:
            raise ValidationError("Enter a date as YYYY-MM-DD.") from None
    else:
        raise ValidationError("Enter a date as YYYY-MM-DD.")
    if value.year < 1970:
        raise ValidationError("Dates before 1970 are not accepted; check the year.")
    return value


def _person(raw: Any, people: QuerySet[User]) -> User:
    if isinstance(raw, User):
        raw = raw.pk
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValidationError("Give the person's user id as a whole number (e.g. 7).")
    person = people.filter(pk=raw).first() if 0 < raw < 2**63 else None
    if person is None:
        raise ValidationError(NOT_CHOOSABLE)
    return person


def clean_value(field: CustomField, raw: Any, *, people: QuerySet[User]) -> Any:
    """`raw` as a typed value of `field` (None when empty); ValidationError with a message a person can act
    on. `people` are those the writer may pick for a person field (`users_visible_to`)."""
    if _empty(raw):
        if field.required:
            raise ValidationError(f"{field.label} is required for {field.incident_type.name} incidents.")
        return None
    kind = field.kind
    if kind in (CustomFieldKind.TEXT, CustomFieldKind.LINK):
        if not isinstance(raw, str):
            raise ValidationError("Send text.")
        text = raw.strip()
        if len(text) > MAX_TEXT:
            raise ValidationError(f"Keep it under {MAX_TEXT} characters.")
        if kind == CustomFieldKind.LINK:
            _url(text)  # its own message: "Enter a valid URL."
        return text
    if kind == CustomFieldKind.NUMBER:
        return _number(raw)
    if kind == CustomFieldKind.SELECT:
        return _option(field, raw)
    if kind == CustomFieldKind.MULTI_SELECT:
        if not isinstance(raw, list | tuple):
            raise ValidationError("Send a list of options.")
        chosen = {_option(field, item) for item in raw}
        return [o for o in field.options if o in chosen]
    if kind == CustomFieldKind.DATE:
        return _date(raw)
    if kind == CustomFieldKind.USER:
        return _person(raw, people)
    raise ValidationError("This field's kind is unknown.")  # pragma: no cover - choices guard it


def value_rows(incident: Incident, field: CustomField, value: Any) -> list[CustomFieldValue]:
    """The rows that store typed `value` (from `clean_value`) of `field` on `incident`; none for None."""
    if value is None:
        return []
    kind = field.kind
    if kind == CustomFieldKind.MULTI_SELECT:
        return [CustomFieldValue(incident=incident, field=field, text=o) for o in value]
    if kind == CustomFieldKind.NUMBER:
        return [CustomFieldValue(incident=incident, field=field, number=value)]
    if kind == CustomFieldKind.DATE:
        return [CustomFieldValue(incident=incident, field=field, date=value)]
    if kind == CustomFieldKind.USER:
        return [CustomFieldValue(incident=incident, field=field, user=value)]
    return [CustomFieldValue(incident=incident, field=field, text=value)]


def option_renames(old: list[str], new: list[str]) -> dict[str, str]:
    """The options of `old` that `new` renames: an option edited on its own line. At a position both lists
    have, the old option is renamed when the new line is the same option in other letter case, or when
    neither list holds the other's option any more (the old one is gone, the new one is new). A removed,
    added or moved option renames nothing. Returns old label -> new label."""
    old_lower, new_lower = {o.lower() for o in old}, {o.lower() for o in new}
    return {
        before: after
        for before, after in zip(old, new, strict=False)
        if before != after
        and (
            before.lower() == after.lower()
            or (before.lower() not in new_lower and after.lower() not in old_lower)
        )
    }


def plain_number(value: Decimal) -> int | float:
    """A stored number as JSON writes it: a whole number without a point, else a float."""
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass(frozen=True)
class FieldValue:
    """One custom field of an incident's type with its typed value (None: empty)."""

    field: CustomField
    value: Any

    @property
    def text(self) -> str:
        """The value as pages, Markdown and CSV write it ("" when empty; options joined with ", ")."""
        value = self.value
        if value is None:
            return ""
        if isinstance(value, list):
            return ", ".join(value)
        if isinstance(value, Decimal):
            return str(plain_number(value))
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, User):
            return value.display_name or value.email
        return str(value)

    def json(self) -> Any:
        """The value as the API and the JSON export give it: text, a number, `YYYY-MM-DD`, a list of
        options, `{"id", "email", "display_name"}` for a person, or null."""
        value = self.value
        if isinstance(value, Decimal):
            return plain_number(value)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, User):
            return {"id": value.pk, "email": value.email, "display_name": value.display_name}
        return value


def typed_value(field: CustomField, rows: list[CustomFieldValue]) -> Any:
    """The typed value of `field` from its stored `rows` (None when there are none)."""
    if not rows:
        return None
    if field.kind == CustomFieldKind.MULTI_SELECT:
        stored = {r.text for r in rows}
        return [o for o in field.options if o in stored] + sorted(stored - set(field.options))
    row = rows[0]
    if field.kind == CustomFieldKind.NUMBER:
        return row.number
    if field.kind == CustomFieldKind.DATE:
        return row.date
    if field.kind == CustomFieldKind.USER:
        return row.user
    return row.text


def field_values(incident: Incident) -> list[FieldValue]:
    """Every custom field of the incident's type, in order, with its value; empty without a type.

    Reads `incident.incident_type.fields` and `incident.custom_values` as `incident_list_for` prefetches
    them (no query); otherwise two queries, and none for an incident without a type."""
    kind = incident.incident_type
    if kind is None:
        return []
    prefetched = getattr(incident, "_prefetched_objects_cache", {})
    rows = (
        incident.custom_values.all()
        if "custom_values" in prefetched
        else CustomFieldValue.objects.filter(incident=incident).select_related("user")
    )
    by_field: dict[int, list[CustomFieldValue]] = {}
    for row in rows:
        by_field.setdefault(row.field_id, []).append(row)
    return [FieldValue(f, typed_value(f, by_field.get(f.pk, []))) for f in kind.fields.all()]


def _match(field: CustomField, raw: str) -> Q:
    """The stored rows of `field` that a filter for `raw` finds (text and links: contains, any case;
    options: equal, any case; numbers, dates: equal; a person: by id or email)."""
    kind = field.kind
    if kind in (CustomFieldKind.TEXT, CustomFieldKind.LINK):
        return Q(text__icontains=raw)
    if kind in OPTION_KINDS:
        return Q(text__iexact=raw)
    if kind == CustomFieldKind.NUMBER:
        return Q(number=_number(raw))
    if kind == CustomFieldKind.DATE:
        return Q(date=_date(raw))
    if raw.isascii() and raw.isdigit():
        return Q(user_id=int(raw)) if int(raw) < 2**63 else Q(pk__in=[])
    return Q(user__email__iexact=raw)


def custom_filter_q(key: str, raw: str, *, incident_type: str | None = None) -> Q:
    """A filter on incidents whose custom field `key` (of any type, or of the type with slug
    `incident_type`) holds `raw`. It names no incident: the caller applies it to a visibility-scoped
    queryset. ValidationError keyed `cf_<key>` for a key no type has, or a value no such field can hold."""
    fields = CustomField.objects.filter(key=key)
    if incident_type:
        fields = fields.filter(incident_type__slug=incident_type)
    raw = raw.strip()
    match = Q(pk__in=[])
    reasons: list[str] = []
    found = False
    for field in fields:
        found = True
        try:
            match |= Q(field=field) & _match(field, raw)
        except ValidationError as exc:
            reasons.extend(exc.messages)
    if not found:
        raise ValidationError({form_key(key): f"No incident type has a field “{key}”."})
    if reasons and match == Q(pk__in=[]):
        raise ValidationError({form_key(key): reasons[0]})
    return Q(Exists(CustomFieldValue.objects.filter(match, incident=OuterRef("pk"))))


def custom_fields_json(incident: Incident) -> list[dict[str, Any]]:
    """The incident's custom fields as the API and the JSON export give them: `key`, `label`, `kind` and
    the typed `value` (`FieldValue.json`), in the type's order."""
    return [
        {"key": fv.field.key, "label": fv.field.label, "kind": fv.field.kind, "value": fv.json()}
        for fv in field_values(incident)
    ]
