"""OpenAPI post-processing: every operation documents the error answers the API can give.

drf-spectacular documents what each view declares; the error mapping (`incidents/api/errors.py`), the
authentication classes and the throttle add answers to every operation. This hook adds them where an
operation does not declare its own, so clients (and the schemathesis run in CI) see every status.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "description": "`detail` for most errors; for 400, field names mapped to lists of messages.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
CONFLICT_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "current": {"type": "object", "additionalProperties": True}},
    "required": ["detail", "current"],
}
COMMON = {
    "400": "Invalid input: field names mapped to lists of messages (`non_field_errors` for the rest).",
    "401": "No credentials, or an unknown or revoked token.",
    "403": "Not allowed (or a read-only token tried to write).",
    "404": "Not found, or not visible to you.",
    "405": "Method not allowed.",
    "406": "The requested format is not available.",
    "415": "Unsupported request body type.",
    "429": "Throttled: retry after `Retry-After` seconds.",
}
# Answers only a request with a body can get (incidents.inputs.InputGuardMiddleware).
WITH_BODY = {"413": "The request body is larger than the upload limit (`DATA_UPLOAD_MAX_MEMORY_SIZE`)."}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOK: add COMMON error answers (and 409/412 bodies) to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    result["components"]["schemas"]["Conflict"] = CONFLICT_SCHEMA
    error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    conflict_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Conflict"}}}
    for path, methods in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            answers = {**COMMON, **WITH_BODY} if method in {"post", "put", "patch"} else COMMON
            for code, description in answers.items():
                entry = responses.setdefault(code, {"description": description})
                entry.setdefault("content", error_ref)
            for code in ("409", "412"):
                if code in responses:
                    responses[code].setdefault("content", conflict_ref)
    return result


def patch_bodies_like_put(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOK: a PATCH documented with its PUT's body (an endpoint whose PATCH
    requires what PUT does, `PATCH /postmortems/{id}/`) has that body required as PUT's is."""
    for methods in result.get("paths", {}).values():
        put, patch = methods.get("put", {}).get("requestBody"), methods.get("patch", {}).get("requestBody")
        if put and patch and put.get("content") == patch.get("content") and put.get("required"):
            patch["required"] = True
    return result
