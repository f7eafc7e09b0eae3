"""The API's JSON parser: refuses a lone surrogate (`"\\ud800"`) in any string of the body, key or value, as
a 400 naming the field, before any serializer sees it. Text fields already refused them, but a choice
field echoed the value in its error and the response could not be encoded (500); one check here covers
every field of every endpoint."""

from __future__ import annotations

import re
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ValidationError

SURROGATES = re.compile("[\ud800-\udfff]")
MESSAGE = "Surrogate characters are not allowed."


def _surrogate_at(value: Any, path: str) -> str | None:
    """The dotted path of the first string in `value` holding a surrogate ("" for the top level), or None."""
    if isinstance(value, str):
        return path if SURROGATES.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if SURROGATES.search(str(key)):
                return SURROGATES.sub("?", here)
            found = _surrogate_at(item, here)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _surrogate_at(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, then the surrogate check (`ValidationError` {field: [MESSAGE]} -> 400)."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        path = _surrogate_at(data, "")
        if path is not None:
            raise ValidationError({path or "non_field_errors": [MESSAGE]})
        return data
