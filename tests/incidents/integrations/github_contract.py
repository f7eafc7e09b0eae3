"""GitHub's published API descriptions as a check on the tracker tests: every request the GitHub adapter
sends, and every `issues` webhook payload the tests send it, against the parts of GitHub's own
descriptions vendored in contracts/ (package, version and how to refresh: contracts/README.md).

- Requests: GitHub's OpenAPI 3.0 description of api.github.com (`@octokit/openapi`): the operation (method
  and path template), its path parameters (`issue_number` an integer), no query parameter it does not
  take, the request body's media type and its schema, validated by `jsonschema` (OpenAPI 3.0's
  `nullable` read as JSON Schema's null type). One check is stricter than the description, which lets a
  body carry unknown fields: every top-level field sent must be one the operation names, so a misspelt
  field (`asignees`, silently ignored by GitHub) fails.
- Webhook payloads: the JSON Schemas of the `issues` events (`@octokit/webhooks-schemas`, draft-07, with
  `additionalProperties: false` throughout). A test's trimmed fixture (tracker_setup.github_hook) is held
  to every type, enum and field name but not to `required` (`strict=False`); the documented example
  payloads are held to all of it.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import urllib.parse
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # its stubs (types-jsonschema) are not installed

CONTRACTS = Path(__file__).resolve().parent / "contracts"


@functools.cache
def _load(name: str) -> dict[str, Any]:
    return json.loads((CONTRACTS / name).read_text())


def rest() -> dict[str, Any]:
    """The vendored part of GitHub's OpenAPI description (github_rest.json)."""
    return _load("github_rest.json")


def webhooks() -> dict[str, Any]:
    """The vendored `issues` event schemas (github_webhooks.json)."""
    return _load("github_webhooks.json")


def examples(action: str) -> list[dict[str, Any]]:
    """GitHub's documented example payloads of the `issues` event `action`, each a fresh copy."""
    found = [x for x in _load("github_webhook_examples.json")["examples"] if x["action"] == action]
    return copy.deepcopy(found)


def _json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema 2020-12: `nullable: true` becomes "or null"."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    converted = {k: _json_schema(v) for k, v in node.items() if k not in ("nullable", "example")}
    if node.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _without_required(node: Any) -> Any:
    if isinstance(node, list):
        return [_without_required(n) for n in node]
    if not isinstance(node, dict):
        return node
    return {k: _without_required(v) for k, v in node.items() if not (k == "required" and isinstance(v, list))}


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def _operation(method: str, path: str) -> tuple[str, dict[str, Any], dict[str, str]] | None:
    """(path template, operation, path parameters) of the described operation `method path`, or None."""
    for template, methods in rest()["paths"].items():
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        matched = re.match(pattern, path)
        if matched and method.lower() in methods:
            return (
                template,
                methods[method.lower()],
                {k: urllib.parse.unquote(v) for k, v in matched.groupdict().items()},
            )
    return None


def _errors(validator_class: Any, schema: dict[str, Any], value: Any) -> list[str]:
    validator = validator_class(schema)
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(body)'}: {e.message[:200]}"
        for e in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    ]


def request_violations(method: str, path_and_query: str, headers: Any, body: bytes) -> list[str]:
    """What GitHub's description does not allow in one request, a line each ([] when it conforms)."""
    parsed = urllib.parse.urlsplit(path_and_query)
    found = _operation(method, parsed.path)
    said = f"{method} {parsed.path}"
    if found is None:
        return [f"{said}: no operation of GitHub's REST API that the adapter should call"]
    template, operation, path_values = found
    document = rest()
    problems = []
    parameters = [_resolve(document, p) for p in operation.get("parameters", [])]
    for parameter in parameters:
        if parameter["in"] == "path":
            value = path_values.get(parameter["name"], "")
            typed: Any = (
                int(value) if parameter["schema"].get("type") == "integer" and value.isdigit() else value
            )
            problems += [f"{said}: path parameter {parameter['name']}: {e}"
                         for e in _errors(jsonschema.Draft202012Validator, _json_schema(parameter["schema"]), typed)]  # fmt: skip
    allowed_query = {p["name"] for p in parameters if p["in"] == "query"}
    for name in urllib.parse.parse_qs(parsed.query, keep_blank_values=True):
        if name not in allowed_query:
            problems.append(f"{said}: query parameter {name!r} is not one {operation['operationId']} takes")
    request_body = operation.get("requestBody")
    if not body:
        if request_body and request_body.get("required"):
            problems.append(f"{said}: {operation['operationId']} needs a body")
        return problems
    if not request_body:
        return [*problems, f"{said}: {operation['operationId']} takes no body"]
    media = (headers.get("Content-Type") or "").split(";")[0].strip()
    if media not in request_body["content"]:
        return [*problems, f"{said}: a body of type {media!r}, not one of {sorted(request_body['content'])}"]
    schema = _json_schema(_resolve(document, request_body["content"][media]["schema"]))
    sent = json.loads(body)
    problems += [f"{said}: {e}" for e in _errors(
        jsonschema.Draft202012Validator, {"components": _json_schema(document.get("components", {})), **schema}, sent
    )]  # fmt: skip
    if isinstance(sent, dict):
        named = set(schema.get("properties", {}))
        problems += [
            f"{said}: field {k!r} is not one {operation['operationId']} names" for k in sent if k not in named
        ]
    return problems


def payload_violations(payload: Any, *, strict: bool = True) -> list[str]:
    """What the `issues` event schema of the payload's `action` does not allow ([] when it conforms);
    `strict=False` forgives fields left out (a trimmed fixture), nothing else."""
    action = payload.get("action") if isinstance(payload, dict) else None
    document = webhooks()
    if f"issues${action}" not in document["definitions"]:
        return [f"no vendored schema for an issues event with action {action!r}"]
    root = {**document, "$ref": f"#/definitions/issues${action}"}
    if not strict:
        root = _without_required(root)
    return _errors(jsonschema.Draft7Validator, root, payload)


def recorded_request_violations(server: Any) -> list[str]:
    """The GitHub requests (paths under /repos/) a recording tracker server received that GitHub's
    description does not allow."""
    problems = []
    for r in server.requests:
        if urllib.parse.urlsplit(r.path).path.startswith("/repos/"):
            problems += request_violations(r.method, r.path, r.headers, r.body)
    return problems
