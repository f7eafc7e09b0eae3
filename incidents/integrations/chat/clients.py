"""The few chat API calls Hindsight makes, through the outbound guard (`incidents.outbound.open_guarded`).

Slack's Web API (`SLACK_API_URL`, default https://slack.com/api): `users.info` (a person's email, and
whether Slack confirmed it), `chat.getPermalink`, `chat.postMessage`, `chat.postEphemeral`, form-encoded
with the bot token as `Authorization: Bearer`. Mattermost's API v4 (`MATTERMOST_URL`): `GET
/api/v4/users/{id}`, `POST /api/v4/posts` and `POST /api/v4/actions/dialogs/open`. A test points either at a recording server on loopback and
allows it with `OUTBOUND_ALLOWED_TARGETS`; nothing local is reachable otherwise.
"""

from __future__ import annotations

import json
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

from incidents.outbound import OutboundRefused, open_guarded

SLACK_TS = re.compile(r"[0-9]{1,12}\.[0-9]{1,9}")  # a Slack message time: Unix seconds . sequence

TIMEOUT_SECONDS = 5.0
# Slack wants an answer within 3 s: every API call made while answering one request shares this budget
# (`answer_deadline`), so the answer goes out in time even when Slack's API is slow; a lookup that would
# pass it fails (ChatError) and the person is told it failed.
ANSWER_BUDGET_SECONDS = 2.0
DECLARE_CALLBACK = "declare"
DIALOG_SALT = "hindsight.chat.mattermost-dialog"
DIALOG_MAX_AGE_SECONDS = 3600


MENTION = re.compile(r"@(channel|all|here)\b", re.I)


def chat_escape(provider: str, text: str) -> str:
    """Text people typed, safe to post into a channel as is. Slack: `&`, `<`, `>` escaped as Slack asks,
    so `<!channel>`, `<@U123>` or `<http://evil|click>` stay text. Mattermost: `@channel`, `@all`,
    `@here` defused and Markdown link brackets escaped, so nothing pings the channel or disguises a link."""
    if provider == "slack":
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = MENTION.sub(lambda m: "@\u200b" + m.group(1), text)
    return text.replace("[", "\\[").replace("]", "\\]")


def dialog_state(
    *, user_id: str, team_id: str, channel_id: str, channel_name: str, team_name: str = ""
) -> str:
    """The `state` of a Mattermost dialog: who opened it in which team and channel, signed with
    `SECRET_KEY` (Mattermost does not sign dialog submissions; this state is what proves one came from a
    dialog Hindsight opened, for that person, there). It is also Slack's declare modal's
    `private_metadata`. A random `x` makes each opening's state its own: a submission is claimed on it
    (one declare per dialog opened)."""
    data = {"u": user_id, "t": team_id, "c": channel_id, "n": channel_name, "d": team_name,
            "x": secrets.token_urlsafe(8)}  # fmt: skip
    return signing.dumps(data, salt=DIALOG_SALT, compress=True)


def dialog_state_read(state: str) -> dict[str, str] | None:
    """The data of a `dialog_state` signed here less than `DIALOG_MAX_AGE_SECONDS` ago, else None."""
    try:
        data = signing.loads(state, salt=DIALOG_SALT, max_age=DIALOG_MAX_AGE_SECONDS)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    if not isinstance(data, dict):
        return None
    return {k: str(data.get(k) or "") for k in ("u", "t", "c", "n", "d")}


class ChatError(Exception):
    """The chat API refused or could not be reached; `transient` when trying again later may work (no
    answer, HTTP 429 or 5xx, Slack's `ratelimited`)."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class ChatPerson:
    """A chat user with the email their chat server confirmed ('' when it has none confirmed)."""

    user_id: str
    email: str
    name: str


def answer_deadline() -> float:
    """The `time.monotonic()` by which the API calls of one chat request must be done
    (`ANSWER_BUDGET_SECONDS` from now)."""
    return time.monotonic() + ANSWER_BUDGET_SECONDS


def _timeout(deadline: float | None) -> float:
    """Seconds left for one call: `TIMEOUT_SECONDS`, or less when a `deadline` (monotonic) is near.
    ChatError (transient) when it has passed."""
    if deadline is None:
        return TIMEOUT_SECONDS
    left = deadline - time.monotonic()
    if left < 0.05:
        raise ChatError("did not answer in time", transient=True)
    return min(TIMEOUT_SECONDS, left)


def _send(request: urllib.request.Request, deadline: float | None = None) -> Any:
    timeout = _timeout(deadline)
    try:
        with open_guarded(request, timeout=timeout) as response:
            return json.loads(response.read(1_000_000) or b"null")
    except OutboundRefused as exc:
        raise ChatError(str(exc)) from exc
    except urllib.error.HTTPError as exc:
        raise ChatError(f"answered {exc.code}", transient=exc.code == 429 or exc.code >= 500) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise ChatError(f"could not be reached: {exc}", transient=True) from exc
    except ValueError as exc:
        raise ChatError(f"answered something that is not JSON: {exc}") from exc


NOT_FOUND = ": user_not_found"


class SlackClient:
    """Slack's Web API with the bot token (`SLACK_BOT_TOKEN`). With a `deadline` (`time.monotonic()`, see
    `answer_deadline`) every call ends by then: while answering a request Slack waits 3 s for."""

    label = "Slack"

    def __init__(self, workspace: str = "", *, deadline: float | None = None) -> None:
        self.base = str(getattr(settings, "SLACK_API_URL", "https://slack.com/api")).rstrip("/")
        self.token = str(getattr(settings, "SLACK_BOT_TOKEN", "") or "")
        self.workspace = workspace
        self.deadline = deadline

    def call(self, method: str, **params: str) -> dict[str, Any]:
        """POST `method` with form-encoded `params`; the answer's JSON. ChatError unless `ok` is true."""
        request = urllib.request.Request(  # noqa: S310 - sent through open_guarded: http(s) only
            f"{self.base}/{method}",
            data=urllib.parse.urlencode(params).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        answer = _send(request, self.deadline)
        if not isinstance(answer, dict) or not answer.get("ok"):
            error = answer.get("error") if isinstance(answer, dict) else "not JSON"
            raise ChatError(f"Slack {method}: {error}", transient=error == "ratelimited")
        return answer

    def person(self, user_id: str) -> ChatPerson | None:
        """The Slack user `user_id` with their email if Slack confirmed it; None for bots, deleted users
        and users Slack does not know (`user_not_found`). ChatError when the lookup itself failed (Slack
        unreachable, slow past the deadline, or any other error): nobody was found or not found."""
        try:
            user = self.call("users.info", user=user_id).get("user") or {}
        except ChatError as exc:
            if str(exc).endswith(NOT_FOUND):
                return None
            raise
        if not isinstance(user, dict) or user.get("deleted") or user.get("is_bot"):
            return None
        profile: dict[str, Any] = user["profile"] if isinstance(user.get("profile"), dict) else {}
        confirmed = user.get("is_email_confirmed", True) is not False
        email = str(profile.get("email") or "") if confirmed else ""
        name = str(profile.get("real_name") or user.get("real_name") or user.get("name") or user_id)
        return ChatPerson(user_id=user_id, email=email, name=name)

    def permalink(self, channel: str, ts: str) -> str:
        """The message's link (chat.getPermalink); '' when Slack has none, and without asking for a `ts`
        that is not one of Slack's message times (`1764581000.000200`): no link is ever made of it."""
        if not SLACK_TS.fullmatch(ts):
            return ""
        try:
            link = str(self.call("chat.getPermalink", channel=channel, message_ts=ts).get("permalink") or "")
        except ChatError:
            return ""
        return link if link.startswith("https://") else ""

    def post(self, channel: str, text: str) -> None:
        self.call("chat.postMessage", channel=channel, text=text)

    def tell(self, channel: str, user_id: str, text: str) -> None:
        """A message only `user_id` sees (chat.postEphemeral)."""
        self.call("chat.postEphemeral", channel=channel, user=user_id, text=text)

    def respond(self, response_url: str, text: str) -> None:
        """A message only the person who acted sees, through the interaction's `response_url` (what Slack
        offers for a shortcut where the bot cannot post, e.g. a channel it is not in). Only Slack's own
        `https://hooks.slack.com/` (or the `SLACK_API_URL` server, in tests); ChatError otherwise."""
        origin = urllib.parse.urlsplit(self.base)
        allowed = ("https://hooks.slack.com/", f"{origin.scheme}://{origin.netloc}/")
        if not response_url.startswith(allowed):
            raise ChatError("The response_url is not Slack's.")
        body = json.dumps({"response_type": "ephemeral", "replace_original": False, "text": text})
        request = urllib.request.Request(  # noqa: S310 - sent through open_guarded: http(s) only
            response_url, data=body.encode(), method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with open_guarded(request, timeout=_timeout(self.deadline)) as response:
                response.read(10_000)
        except OutboundRefused as exc:
            raise ChatError(str(exc)) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ChatError(f"Slack's response_url: {exc}", transient=True) from exc

    def channel_url(self, channel: str, channel_name: str = "", team_name: str = "") -> str:
        query = urllib.parse.urlencode({"team": self.workspace, "channel": channel})
        return f"https://slack.com/app_redirect?{query}"

    def open_declare_dialog(
        self, trigger_id: str, channel_id: str, channel_name: str, user_id: str = "", team_name: str = ""
    ) -> bool:
        """Open the declare modal (`views.open`, callback `declare`); its `private_metadata` is the signed
        `dialog_state` of who opened it in which workspace and channel, checked on submission."""
        severities = [
            {"text": {"type": "plain_text", "text": s}, "value": s} for s in ("SEV1", "SEV2", "SEV3", "SEV4")
        ]
        view = {
            "type": "modal",
            "callback_id": DECLARE_CALLBACK,
            "private_metadata": dialog_state(
                user_id=user_id,
                team_id=self.workspace,
                channel_id=channel_id,
                channel_name=channel_name,
                team_name=team_name,
            ),
            "title": {"type": "plain_text", "text": "Declare an incident"},
            "submit": {"type": "plain_text", "text": "Declare"},
            "blocks": [
                {
                    "type": "input",
                    "block_id": "title",
                    "label": {"type": "plain_text", "text": "What is happening?"},
                    "element": {"type": "plain_text_input", "action_id": "title", "max_length": 200},
                },
                {
                    "type": "input",
                    "block_id": "severity",
                    "label": {"type": "plain_text", "text": "Severity"},
                    "element": {
                        "type": "static_select",
                        "action_id": "severity",
                        "options": severities,
                        "initial_option": severities[2],
                    },
                },
            ],
        }
        try:
            self.call("views.open", trigger_id=trigger_id, view=json.dumps(view))
        except ChatError:
            return False
        return True


class MattermostClient:
    """Mattermost's API v4 with a bot's personal access token (`MATTERMOST_BOT_TOKEN`)."""

    label = "Mattermost"

    def __init__(self, workspace: str = "", *, deadline: float | None = None) -> None:
        self.base = str(getattr(settings, "MATTERMOST_URL", "") or "").rstrip("/")
        self.token = str(getattr(settings, "MATTERMOST_BOT_TOKEN", "") or "")
        self.workspace = workspace
        self.deadline = deadline

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        if not self.base:
            raise ChatError("MATTERMOST_URL is not set.")
        request = urllib.request.Request(  # noqa: S310 - sent through open_guarded: http(s) only
            f"{self.base}{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        return _send(request, self.deadline)

    def person(self, user_id: str) -> ChatPerson | None:
        """The Mattermost user `user_id` with their email if verified; None for bots, deactivated users
        and users Mattermost does not know (404). ChatError when the lookup itself failed."""
        try:
            user = self._request("GET", f"/api/v4/users/{urllib.parse.quote(user_id)}")
        except ChatError as exc:
            if str(exc) == "answered 404":
                return None
            raise
        if not isinstance(user, dict) or user.get("delete_at") or user.get("is_bot"):
            return None
        email = str(user.get("email") or "") if user.get("email_verified") else ""
        name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p) or str(
            user.get("username") or user_id
        )
        return ChatPerson(user_id=user_id, email=email, name=name)

    def permalink(self, channel: str, ts: str) -> str:
        return ""

    def post(self, channel: str, text: str) -> None:
        self._request("POST", "/api/v4/posts", {"channel_id": channel, "message": text})

    def tell(self, channel: str, user_id: str, text: str) -> None:
        self._request(
            "POST",
            "/api/v4/posts/ephemeral",
            {"user_id": user_id, "post": {"channel_id": channel, "message": text}},
        )

    def open_declare_dialog(
        self, trigger_id: str, channel_id: str, channel_name: str, user_id: str = "", team_name: str = ""
    ) -> bool:
        """Open the declare dialog (`POST /api/v4/actions/dialogs/open`, Mattermost's interactive dialog):
        a title and a severity, submitted to `mattermost_dialog` with a signed `state` that names who
        opened it where (`dialog_state`). False when Mattermost refuses or cannot be reached."""
        severities = [{"text": s, "value": s} for s in ("SEV1", "SEV2", "SEV3", "SEV4")]
        request = {
            "trigger_id": trigger_id,
            "url": settings.SITE_URL.rstrip("/") + reverse("incidents:mattermost_dialog"),
            "dialog": {
                "callback_id": DECLARE_CALLBACK,
                "title": "Declare an incident",
                "submit_label": "Declare",
                "notify_on_cancel": False,
                "state": dialog_state(
                    user_id=user_id, team_id=self.workspace, channel_id=channel_id, channel_name=channel_name,
                    team_name=team_name,
                ),
                "elements": [
                    {"display_name": "What is happening?", "name": "title", "type": "text", "max_length": 200},
                    {
                        "display_name": "Severity", "name": "severity", "type": "select", "default": "SEV3",
                        "options": severities,
                    },
                ],
            },
        }  # fmt: skip
        try:
            self._request("POST", "/api/v4/actions/dialogs/open", request)
        except ChatError:
            return False
        return True

    def channel_url(self, channel: str, channel_name: str = "", team_name: str = "") -> str:
        if self.base and team_name and channel_name:
            return f"{self.base}/{urllib.parse.quote(team_name)}/channels/{urllib.parse.quote(channel_name)}"
        return ""


def chat_client(provider: str, workspace: str = "") -> SlackClient | MattermostClient:
    """The API client of `provider` (`slack` or `mattermost`) for `workspace`. ValueError for another."""
    if provider == "slack":
        return SlackClient(workspace)
    if provider == "mattermost":
        return MattermostClient(workspace)
    raise ValueError(f"No chat provider {provider!r}.")
