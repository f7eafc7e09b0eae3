"""The one interface every tracker adapter implements, and the guarded JSON request they share.

An adapter (`github.GitHubTracker`, `jira.JiraTracker`, `redmine.RedmineTracker`) knows its tracker's REST shapes and webhook
format and nothing of Hindsight's rules: `create_issue` sends one request and returns the new issue,
`fetch_state` reads an issue's state, `verify` checks a webhook's signature over the raw body, and
`parse_webhook` turns a payload into the issue's state plus the fields the event changed. The services
(`services.py`) compare that state with what Hindsight has and decide what moves. Every adapter is
made the same way (`configuration.adapter_for`: the tracker's address, project and decrypted token) and
sends through `Tracker.send` with `Tracker.headers`; it says only which `credentials` headers it adds.
"""

from __future__ import annotations

import hmac
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from incidents.outbound import OutboundRefused, open_guarded
from incidents.timeparse import offset_refusal

TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 1_000_000


class TrackerError(Exception):
    """The tracker refused or could not be reached; the message says so for the person who asked.
    `status` is the tracker's HTTP status when it answered with an error (404: no such issue).
    `uncertain` when the request was sent but no whole answer came back (a timeout or a connection reset
    while waiting for it): the tracker may have done what was asked."""

    def __init__(self, message: str, *, status: int | None = None, uncertain: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.uncertain = uncertain


class SignatureInvalid(Exception):
    """A webhook without a valid signature (nothing is stored)."""


@dataclass(frozen=True)
class NewIssue:
    """What an item's issue is called in its tracker (`key`: `owner/repo#12`, `OPS-7`)."""

    key: str
    external_id: str
    url: str


@dataclass(frozen=True)
class IssueDraft:
    """What Hindsight asks the tracker to open: title, Markdown description (with the link back),
    the owner's tracker identity (or ''), and the due date (a date, or None)."""

    title: str
    description: str
    link: str
    assignee: str = ""
    due_date: date | None = None


def link_line(link: str) -> str:
    """The line of an issue's description that links back to its action item (`link`, absolute)."""
    return f"Action item in Hindsight: {link}"


LOOK_BACK_SECONDS = 120  # the tracker's clock may run behind Hindsight's


CLOSE_REASONS = frozenset({"not_planned", "duplicate"})


@dataclass(frozen=True)
class IssueState:
    """An issue as the tracker's answer describes it, read by the adapter's typed reader.

    Every field the answer did not carry, or carried with the wrong type, is "no information", never a
    value: `closed` is True/False only when the tracker's state said so (GitHub's `state` "open" or
    "closed"; Jira's status category `new`/`indeterminate`/`done`), else None; `assignee` is the
    tracker identity, '' for nobody (an explicit null), None when not known; `due_date` counts only when
    `due_date_known` (Jira sent `duedate`: a date, or null for none). `status` is the status name ('' when
    not known), `assignee_email` the assignee's email ('' when not sent).

    `close_reason` is '' for an open issue or one closed as completed, else `not_planned` or `duplicate`
    (GitHub's `state_reason`; Jira's resolution "Won't Do", "Duplicate", ...): the work was not done.
    `due_date_invalid` is the tracker's due date as sent when it is not a date (`2026-02-30`, a number),
    else ''. `updated_at` is when the tracker last changed the issue (UTC-aware; None when the answer has
    no such time): a state older than one already applied is ignored. `title` is the issue's title,
    None when the answer had none as text."""

    key: str
    closed: bool | None
    status: str = ""
    assignee: str | None = None
    assignee_email: str = ""
    due_date: date | None = None
    close_reason: str = ""
    due_date_invalid: str = ""
    updated_at: datetime | None = None
    due_date_known: bool = False
    title: str | None = None  # the issue's title (GitHub `title`, Jira `summary`); None when not sent


@dataclass(frozen=True)
class IssueChange:
    """One field to set on a tracker issue: `status` (`closed` True/False), `owner` (`assignee`, the
    tracker identity; '' for nobody), `due_date` (`due_date`, a date or None) or `title` (`title`).
    `not_planned` with `closed`: the item will not be done (Hindsight's "Won't do")."""

    field: str
    title: str = ""
    closed: bool = False
    assignee: str = ""
    due_date: date | None = None
    not_planned: bool = False  # closed because the work will not be done (GitHub: `not_planned`)


@dataclass(frozen=True)
class WebhookUpdate:
    """One webhook event: the issue's state after it, and which of `status`, `owner`, `due_date` it changed."""

    state: IssueState
    changed: frozenset[str] = field(default_factory=frozenset)


class Tracker:
    """Base of the adapters. `kind` matches `TrackerKind`; subclasses implement the four methods."""

    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""
    delivery_header: ClassVar[str] = ""
    has_due_date: ClassVar[bool] = False  # the issue has a due date field of its own (Jira, Redmine)
    accept: ClassVar[str] = "application/json"  # the media type asked for (GitHub: its own)

    def __init__(self, *, site_url: str, project: str, token: str, username: str = "", issue_type: str = ""):
        self.site_url = site_url.rstrip("/")
        self.project = project
        self.token = token
        self.username = username
        self.issue_type = issue_type or "Task"

    def create_issue(self, draft: IssueDraft) -> NewIssue:
        raise NotImplementedError

    def fetch_state(self, key: str, external_id: str) -> IssueState:
        raise NotImplementedError

    def find_issue(self, link: str, since: datetime) -> NewIssue | None:
        """The issue carrying `link_line(link)` (the item's link back) that was opened at or after
        `since` (UTC-aware), the oldest if several; None when there is none. It is how an earlier create
        that got no answer (TrackerError `uncertain`) is found, so a retry adopts the issue it may have
        opened instead of opening a second. TrackerError when the tracker cannot be asked."""
        raise NotImplementedError

    def update_issue(self, key: str, external_id: str, change: IssueChange) -> None:
        """Set one field of the issue in the tracker (pushing Hindsight's value back). TrackerError when
        the tracker refuses, cannot be reached, or has no such field (GitHub: no due date)."""
        raise NotImplementedError

    @staticmethod
    def verify(secret: str, headers: Mapping[str, str], body: bytes) -> None:
        raise NotImplementedError

    def parse_webhook(self, headers: Mapping[str, str], payload: Any) -> list[WebhookUpdate]:
        raise NotImplementedError

    def delivery_id(self, headers: Mapping[str, str]) -> str:
        return str(headers.get(self.delivery_header, "") or "")[:200]

    # --- shared helpers ---------------------------------------------------------------------------
    def credentials(self) -> dict[str, str]:
        """The headers that authenticate (and version) a request to this tracker."""
        raise NotImplementedError

    def headers(self) -> dict[str, str]:
        """Every request's headers: `Accept`, `User-Agent: Hindsight` and the tracker's `credentials`."""
        return {"Accept": self.accept, "User-Agent": "Hindsight", **self.credentials()}

    def get_object(self, url: str) -> dict[str, Any]:
        """GET `url` and return the JSON object it answers; TrackerError when it is not an object."""
        answer = self.send("GET", url)
        if not isinstance(answer, dict):
            raise TrackerError(f"{self.label}'s answer is not an issue.")
        return answer

    def send(self, method: str, url: str, body: Any = None) -> Any:
        """Send one JSON request through the outbound guard; return the decoded JSON answer.

        Raises TrackerError for a refused target, an error status (with the tracker's own message) or an
        unreachable tracker; never follows redirects.
        """
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - sent through open_guarded: http(s) only
            url, data=data, method=method, headers=self.headers()
        )
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with open_guarded(request, timeout=TIMEOUT_SECONDS) as response:
                raw = response.read(MAX_RESPONSE_BYTES)
        except OutboundRefused as exc:
            raise TrackerError(str(exc)) from exc
        except urllib.error.HTTPError as exc:
            raise TrackerError(
                f"{self.label} answered {exc.code}: {_error_text(exc)}", status=exc.code
            ) from exc
        except urllib.error.URLError as exc:  # urllib wraps what fails while connecting or sending
            raise TrackerError(f"{self.label} could not be reached: {exc}") from exc
        except (OSError, http.client.HTTPException) as exc:  # sent; the answer timed out, was cut or garbled
            raise TrackerError(
                f"{self.label} did not answer in time ({exc or type(exc).__name__})", uncertain=True
            ) from exc
        try:
            return json.loads(raw or b"null")
        except ValueError as exc:
            raise TrackerError(f"{self.label} answered something that is not JSON.") from exc


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        data = json.loads(exc.read(20_000) or b"{}")
    except (ValueError, OSError):
        return exc.reason or "error"
    if isinstance(data, dict):
        messages = [str(data.get("message") or "")] + [str(m) for m in data.get("errorMessages") or []]
        messages += (
            [str(m) for m in data["errors"]] if isinstance(data.get("errors"), list) else []
        )  # Redmine
        messages += (
            [f"{k}: {v}" for k, v in (data.get("errors") or {}).items()]
            if isinstance(data.get("errors"), dict)
            else []
        )
        text = "; ".join(m for m in messages if m)
        if text:
            return text[:300]
    return str(exc.reason or "error")


def hmac_sha256_matches(secret: str, body: bytes, sent: str) -> bool:
    """True when `sent` is `sha256=` + the hex HMAC-SHA256 of `body` keyed with `secret` (constant time)."""
    expected = "sha256=" + hmac.new(secret.encode(), body, "sha256").hexdigest()
    return bool(sent) and hmac.compare_digest(expected.encode(), str(sent).strip().encode())


ABSENT = object()  # a field the payload did not carry (unlike null, which says "nobody" or "none")


def whole_number(value: Any) -> int | None:
    """`value` when it is a JSON integer (never a boolean), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def text_or_none(value: Any) -> str | None:
    """`value` when it is a string, else None (absent or of the wrong type: no information)."""
    return value if isinstance(value, str) else None


def mapping(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one (so every field read from it is absent)."""
    return value if isinstance(value, dict) else {}


def identity(value: Any, key: str) -> str | None:
    """A person field of a payload (`{"login": ...}`, `{"accountId": ...}`): the identity under `key`;
    '' for an explicit null (nobody); None when the field is of the wrong type or has no such string."""
    if value is None:
        return ""
    if isinstance(value, dict) and isinstance(value.get(key), str):
        return str(value[key])
    return None


def parse_date(value: Any) -> date | None:
    """An ISO date (`2026-12-15`) from a payload, or None for anything else."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_due_date(value: Any) -> tuple[date | None, str]:
    """A payload's due date (`YYYY-MM-DD`) as (the date, ''); (None, '') when there is none (null or
    empty); (None, the value as sent, at most 40 characters) when it is not a date (`2026-02-30`)."""
    if value is None or value == "":
        return None, ""
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value), ""
        except ValueError:
            pass
    return None, str(value)[:40]


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time from a payload (`2026-12-01T10:00:00Z`, Jira's `2026-12-01T10:00:00.000+0000`)
    as a UTC-aware datetime; None for anything else (a time without a zone, or with an offset no place
    uses, `incidents.timeparse.offset_refusal`, is not trusted)."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None or offset_refusal(parsed.utcoffset()):
        return None
    return parsed.astimezone(UTC)
