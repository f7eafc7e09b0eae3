"""Jira Cloud's REST API v3 as a check on the tracker tests: the shapes of Atlassian's published OpenAPI
document ("The Jira Cloud platform REST API", version 1001.0.0-SNAPSHOT) for the operations Hindsight
calls (createIssue, getIssue, editIssue, assignIssue, getTransitions, doTransition, the JQL search) and of the documented
`jira:issue_updated` webhook, written out by hand: Atlassian publishes the document on its developer site
only, in no npm or PyPI package (contracts/README.md). A request outside them (an unknown operation, query
parameter or body field, a value of the wrong type) is a violation. conftest.py checks every Jira request
a recording tracker server received; test_tracker_jira_contract.py shows the check can fail.
"""

from __future__ import annotations

import base64
import re
import urllib.parse
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # its stubs (types-jsonschema) are not installed

DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
ADF = {  # Atlassian Document Format: a doc of block nodes
    "type": "object", "required": ["type", "version", "content"],
    "properties": {"type": {"const": "doc"}, "version": {"const": 1}, "content": {"type": "array"}},
}  # fmt: skip
# IssueUpdateDetails: the body of createIssue, editIssue and doTransition.
ISSUE_UPDATE_DETAILS: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "fields": {"type": "object"}, "update": {"type": "object"}, "historyMetadata": {"type": "object"},
        "properties": {"type": "array"},
        "transition": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
    },
}  # fmt: skip
FIELDS = {  # the system fields Hindsight sets, as the create and edit screens type them
    "project": {"type": "object", "minProperties": 1, "properties": {"key": {"type": "string"}, "id": {"type": "string"}}},
    "issuetype": {"type": "object", "minProperties": 1, "properties": {"name": {"type": "string"}, "id": {"type": "string"}}},
    "summary": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": ADF,
    "duedate": {"anyOf": [DATE, {"type": "null"}]},
    "assignee": {"type": "object", "required": ["accountId"], "properties": {"accountId": {"type": "string"}}},
}  # fmt: skip
CREATE: dict[str, Any] = {**ISSUE_UPDATE_DETAILS, "required": ["fields"], "properties": {
    **ISSUE_UPDATE_DETAILS["properties"],
    "fields": {"type": "object", "required": ["project", "summary", "issuetype"], "properties": FIELDS,
               "additionalProperties": False},
}}  # fmt: skip
EDIT: dict[str, Any] = {**ISSUE_UPDATE_DETAILS, "properties": {
    **ISSUE_UPDATE_DETAILS["properties"],
    "fields": {"type": "object", "minProperties": 1, "properties": FIELDS, "additionalProperties": False},
}}  # fmt: skip
TRANSITION = {**ISSUE_UPDATE_DETAILS, "required": ["transition"]}
USER = {  # assignIssue's body, a User: accountId, or null for unassigned
    "type": "object", "required": ["accountId"],
    "properties": {"accountId": {"type": ["string", "null"]}},
}  # fmt: skip
# (method, path template) -> (the query parameters the operation takes, its body schema or None).
OPERATIONS: dict[tuple[str, str], tuple[set[str], dict[str, Any] | None]] = {
    ("POST", "/rest/api/3/issue"): ({"updateHistory"}, CREATE),
    ("GET", "/rest/api/3/issue/{issueIdOrKey}"): (
        {"fields", "fieldsByKeys", "expand", "properties", "updateHistory", "failFast"}, None,
    ),
    ("PUT", "/rest/api/3/issue/{issueIdOrKey}"): (
        {"notifyUsers", "overrideScreenSecurity", "overrideEditableFlag", "returnIssue", "expand"}, EDIT,
    ),
    ("PUT", "/rest/api/3/issue/{issueIdOrKey}/assignee"): (set(), USER),
    ("GET", "/rest/api/3/issue/{issueIdOrKey}/transitions"): (
        {"expand", "transitionId", "skipRemoteOnlyCondition", "includeUnavailableTransitions",
         "sortByOpsBarAndStatus"}, None,
    ),
    ("POST", "/rest/api/3/issue/{issueIdOrKey}/transitions"): (set(), TRANSITION),
    ("GET", "/rest/api/3/search/jql"): (  # searchAndReconsileIssuesUsingJql ("enhanced search")
        {"jql", "nextPageToken", "maxResults", "fields", "expand", "properties", "fieldsByKeys", "failFast",
         "reconcileIssues"}, None,
    ),
}  # fmt: skip
ISSUE_FIELDS = {"status", "assignee", "duedate", "resolution", "updated", "summary"}  # getIssue's `fields`
SEARCH_FIELDS = {"description"}  # what the JQL search asks for (the link back is in the description)
# The documented jira:issue_updated payload, in the parts Hindsight reads.
WEBHOOK = {
    "type": "object", "required": ["timestamp", "webhookEvent", "issue", "changelog"],
    "properties": {
        "timestamp": {"type": "integer"}, "webhookEvent": {"const": "jira:issue_updated"},
        "issue_event_type_name": {"type": "string"}, "user": {"type": "object"},
        "issue": {"type": "object", "required": ["id", "self", "key", "fields"]},
        "changelog": {"type": "object", "required": ["id", "items"], "properties": {"items": {"type": "array", "items": {
            "type": "object", "required": ["field", "fieldtype", "from", "fromString", "to", "toString"],
            "properties": {"field": {"type": "string"}, "fieldtype": {"type": "string"}, "fieldId": {"type": "string"},
                           "from": {"type": ["string", "null"]}, "fromString": {"type": ["string", "null"]},
                           "to": {"type": ["string", "null"]}, "toString": {"type": ["string", "null"]}},
        }}}},
    },
}  # fmt: skip


def _operation(method: str, path: str) -> tuple[str, str]:
    for op_method, template in OPERATIONS:
        pattern = "^" + re.escape(template).replace(re.escape("{issueIdOrKey}"), "[^/]+") + "$"
        if op_method == method and re.match(pattern, path):
            return op_method, template
    raise AssertionError(f"{method} {path} is no operation of Jira's REST API v3 that Hindsight should call")


def contract_violations(server) -> list[str]:
    """Every recorded Jira request (a path under /rest/api/) that the published shapes do not allow, said
    in a line each; requests to the other trackers are not looked at."""
    found = []
    expected_auth = "Basic " + base64.b64encode(b"bot@example.com:jira-api-token").decode()
    for r in server.requests:
        parsed = urllib.parse.urlsplit(r.path)
        if not parsed.path.startswith("/rest/api/"):
            continue
        label = f"{r.method} {parsed.path}"
        try:
            key = _operation(r.method, parsed.path)
        except AssertionError as exc:
            found.append(str(exc))
            continue
        allowed, schema = OPERATIONS[key]
        query = urllib.parse.parse_qs(parsed.query)
        if unknown := set(query) - allowed:
            found.append(f"{label}: query parameters {sorted(unknown)} are not the operation's")
        asked = SEARCH_FIELDS if key[1] == "/rest/api/3/search/jql" else ISSUE_FIELDS
        if "fields" in query and (extra := set(query["fields"][0].split(",")) - asked):
            found.append(f"{label}: asks for fields {sorted(extra)}")
        if r.headers.get("Authorization") != expected_auth:
            found.append(f"{label}: not basic authentication with the account's email and API token")
        if r.headers.get("Accept") != "application/json":
            found.append(f"{label}: Accept is {r.headers.get('Accept')!r}")
        if schema is None:
            if r.body:
                found.append(f"{label}: a body on an operation that takes none")
            continue
        if r.headers.get("Content-Type") != "application/json":
            found.append(f"{label}: Content-Type is {r.headers.get('Content-Type')!r}")
        try:
            jsonschema.validate(r.json, schema)
        except jsonschema.ValidationError as exc:
            found.append(f"{label}: {exc.message} at {'/'.join(map(str, exc.absolute_path))}")
    return found
