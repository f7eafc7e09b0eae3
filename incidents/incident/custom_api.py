"""The API's custom field pieces: the `custom_field=key:value` filter and the error shape of custom fields."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError

from incidents.incident.custom_values import custom_filter_q
from incidents.models import Incident


def filter_custom_fields(queryset: QuerySet[Incident], data: Any) -> QuerySet[Incident]:
    """`queryset` narrowed by every `custom_field=key:value` of the query `data` (with `type`, only that
    type's fields); 400 on `custom_field` for a malformed pair, an unknown key or a value no such field holds."""
    items = data.getlist("custom_field") if hasattr(data, "getlist") else [data.get("custom_field", "")]
    for item in items:
        key, sep, raw = str(item).partition(":")
        if not sep or not key.strip():
            raise ValidationError({"custom_field": ["Send key:value, e.g. custom_field=ticket:ZD-12."]})
        try:
            queryset = queryset.filter(
                custom_filter_q(key.strip(), raw, incident_type=data.get("type") or None)
            )
        except DjangoValidationError as exc:
            raise ValidationError({"custom_field": exc.messages}) from None
    return queryset


@contextmanager
def custom_errors_keyed() -> Iterator[None]:
    """A service's custom field errors (`cf_<key>`) as the API names them: `{"custom_fields": {key: [...]}}`."""
    try:
        yield
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        errors = exc.message_dict
        custom = {k[3:]: v for k, v in errors.items() if k.startswith("cf_")}
        if not custom:
            raise
        rest = {k: v for k, v in errors.items() if not k.startswith("cf_")}
        raise ValidationError({**rest, "custom_fields": custom}) from None
