"""Chat capture: what `/incident …` and "Add to timeline" do, once the request is verified (views.py).

Every change is made as the person who typed it, mapped by the email their chat server confirmed (no
confirmed email, or no active Hindsight account with it: nothing is done and they are told), through the
incident and timeline services, which check that person's rights as the web pages do. A restricted
incident is never linked to a channel and nothing about it is posted there: answers about it go only to
the person who asked (ephemeral); a link left from before it became restricted is not used (the incident
service drops it). What is written elsewhere reaches the channel through `notify.mirror`, so the answers
to `status`, `severity` and `resolve` go to the person who typed them and the channel hears the change once.

Commands: `declare <title> [SEV1-4]` (declares, links the channel, posts the incident with its link),
`note <text>`, `status <status>`, `severity <SEV> [reason]`, `resolve [note]`, `link INC-42 [move]` (`move`:
take a channel from another, inactive incident; never silently), `help`.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from incidents.errors import AccessDenied
from incidents.incident.services.declare import incident_declare
from incidents.incident.services.edits import incident_update
from incidents.incident.services.lifecycle import (
    incident_change_severity,
    incident_change_status,
    incident_resolve,
)
from incidents.inputs import CONTROL_CHARACTERS
from incidents.integrations.chat.clients import ChatError, ChatPerson, chat_escape
from incidents.integrations.chat.models import ChatCapture, ChatChannel, ChatRequestSeen
from incidents.markdown import markdown_text
from incidents.models import ACTIVE_STATUSES, EntrySource, Incident, Severity, Visibility
from incidents.permissions.incident import can_record, incidents_visible_to
from incidents.timefmt import format_chat_time
from incidents.timeline.mrkdwn import slack_to_markdown
from incidents.timeline.services import timeline_entry_add

HELP = (
    "`/incident declare <title> [SEV1-SEV4]` · `/incident note <text>` · `/incident status <status>` · "
    "`/incident severity <SEV> [reason]` · `/incident resolve [note]` · `/incident link INC-42 [move]`"
)
NUMBER = re.compile(r"^(?:INC-)?(\d{1,9})$", re.I)


class ChatClient(Protocol):
    label: str

    def person(self, user_id: str) -> ChatPerson | None: ...
    def tell(self, channel: str, user_id: str, text: str) -> None: ...
    def permalink(self, channel: str, ts: str) -> str: ...
    def post(self, channel: str, text: str) -> None: ...
    def channel_url(self, channel: str, channel_name: str = "", team_name: str = "") -> str: ...
    def open_declare_dialog(
        self, trigger_id: str, channel_id: str, channel_name: str, user_id: str = "", team_name: str = ""
    ) -> bool: ...


@dataclass(frozen=True)
class ChatContext:
    """Where a verified request came from: provider (`slack`, `mattermost`), workspace (team id), channel
    id and name, the team's domain or name (for links), the user id who typed, and the API client."""

    provider: str
    workspace: str
    channel_id: str
    channel_name: str
    team_name: str
    user_id: str
    client: ChatClient
    trigger_id: str = ""


@dataclass(frozen=True)
class Reply:
    """What the person sees: `text`, to the whole channel when `public` (never about a restricted incident);
    `news` False for a plain confirmation (a dialog that closes says it already)."""

    text: str
    public: bool = False
    news: bool = True  # False: a plain confirmation, not worth a message of its own where none is expected


REPLAY_WINDOW = timedelta(minutes=6)  # Slack's timestamps are valid five minutes either side


def chat_request_first_time(*, signature: str, keep: timedelta | None = None) -> bool:
    """Record a verified request's signature; False when it was taken before (a replay: the same signed
    request sent again while its timestamp is still valid). `keep`: how long to refuse it again when
    longer than the five-minute window (a dialog state valid for an hour). Prunes expired records."""
    now = timezone.now()
    ChatRequestSeen.objects.filter(
        Q(kept_until__isnull=True, seen_at__lt=now - REPLAY_WINDOW) | Q(kept_until__lt=now)
    ).delete()
    digest = hashlib.sha256(signature.encode()).hexdigest()
    try:
        with transaction.atomic():
            ChatRequestSeen.objects.create(
                digest=digest, seen_at=now, kept_until=now + keep if keep is not None else None
            )
    except IntegrityError:
        return False
    return True


def chat_request_forget(*, signature: str) -> None:
    """Drop the record of `signature` (a dialog submission that was refused with field errors: the person
    corrects the form and sends the same dialog again)."""
    ChatRequestSeen.objects.filter(digest=hashlib.sha256(signature.encode()).hexdigest()).delete()


def chat_text_refusal(text: Any) -> str:
    """Why `text` from a chat server cannot be stored, as the API would refuse it: not text (a list, a
    number), or a control character such as NUL (`incidents.inputs.CONTROL_CHARACTERS`); else ''."""
    if text is not None and not isinstance(text, str):
        return "Type it as text."
    if CONTROL_CHARACTERS.search(text or ""):
        return "It contains a control character (such as NUL): remove it and try again."
    return ""


def chat_person_user(context: ChatContext, user_id: str) -> Any:
    """The active Hindsight user whose email is the chat user's confirmed email, or None. ChatError when
    the chat server could not be asked (the caller says the lookup failed, never "no such person")."""
    person = context.client.person(user_id)
    if person is None or not person.email:
        return None
    return get_user_model().objects.filter(email__iexact=person.email, is_active=True).first()


def chat_text_markdown(context: ChatContext, text: str) -> str:
    """The Markdown of `text` typed in chat: Slack's mrkdwn converted (incidents.timeline.mrkdwn), each
    mention named by the Hindsight user the person's confirmed email maps to (`@unknown` when none);
    Mattermost's text is Markdown already."""
    if context.provider != "slack":
        return text
    names: dict[str, str | None] = {}

    def name(user_id: str) -> str | None:
        if user_id not in names:
            try:
                user = chat_person_user(context, user_id)
            except ChatError:  # a mention whose lookup failed reads `@unknown`; the note is kept
                user = None
            names[user_id] = str(user) if user is not None else None
        return names[user_id]

    return slack_to_markdown(text, name)


def lookup_failed(context: ChatContext, exc: ChatError, whom: str = "you") -> str:
    """What the person is told when their chat server could not be asked who `whom` is."""
    return (
        f"Hindsight could not ask {context.client.label} who {whom} {'are' if whom == 'you' else 'is'} "
        f"({exc}): nothing was done. Try again in a moment."
    )


def _incident_url(incident: Incident) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("incidents:detail", args=[incident.number])


def _channel_incident(context: ChatContext) -> Incident | None:
    link = (
        ChatChannel.objects.select_related("incident")
        .filter(provider=context.provider, workspace=context.workspace, channel_id=context.channel_id)
        .first()
    )
    if link is None or link.incident.deleted_at is not None:
        return None
    if link.incident.visibility == Visibility.RESTRICTED:
        return None  # a link left from before the incident became restricted is not used
    return link.incident


def _link(context: ChatContext, incident: Incident, user: Any, *, move: bool = False) -> str:
    """Link the channel to `incident` (never a restricted one) and put the channel on its page. A channel
    linked to another incident is never moved silently: refused while that one is active, and otherwise
    only with `move` (the person typed `/incident link INC-42 move`). ValidationError says which."""
    if incident.visibility == Visibility.RESTRICTED:
        raise ValidationError(f"{incident.reference} is restricted: it is never linked to a chat channel.")
    current = _channel_incident(context)
    if current is not None and current.pk != incident.pk:
        if current.status in ACTIVE_STATUSES:
            raise ValidationError(f"This channel belongs to {current.reference}, which is still active.")
        if not move:
            raise ValidationError(
                f"This channel belongs to {current.reference}; it stays linked to it. "
                f"`/incident link {incident.reference} move` moves it to {incident.reference}."
            )
    url = context.client.channel_url(context.channel_id, context.channel_name, context.team_name)
    with transaction.atomic():
        if url and incident.chat_channel_url != url:
            incident_update(incident=incident, actor=user, chat_channel_url=url)
        ChatChannel.objects.update_or_create(
            provider=context.provider, workspace=context.workspace, channel_id=context.channel_id,
            defaults={"incident": incident, "channel_name": context.channel_name[:200], "linked_by": user},
        )  # fmt: skip
    return url


def _declare(context: ChatContext, user: Any, rest: str) -> Reply:
    words = rest.split()
    severity: str = Severity.SEV3
    if words and words[-1].upper() in Severity.values:
        severity = words.pop().upper()
    title = " ".join(words).strip()
    if not title:
        if context.trigger_id and context.client.open_declare_dialog(
            context.trigger_id, context.channel_id, context.channel_name, context.user_id, context.team_name
        ):
            return Reply("Fill in the form to declare the incident.")
        return Reply("Give the incident a title: `/incident declare Checkout returns 502 SEV2`.")
    return _declare_incident(context, user, title, severity)


def _declare_incident(context: ChatContext, user: Any, title: str, severity: str) -> Reply:
    """Declare, link the channel (the reply says why not when it is not linked), post it there."""
    where = f"#{context.channel_name}" if context.channel_name else "a channel"
    incident = incident_declare(
        actor=user, title=title, severity=severity, summary=f"Declared in {context.client.label} ({where})."
    )
    linked = ""
    try:
        _link(context, incident, user)
    except ValidationError as exc:
        linked = " " + " ".join(exc.messages)
    text = (
        f"{incident.reference} declared ({incident.severity}): {chat_escape(context.provider, title)} "
        f"{_incident_url(incident)}"
    )
    try:
        context.client.post(context.channel_id, text)
    except ChatError:
        return Reply(text + " (posting it to the channel failed)" + linked)
    return Reply(f"Declared {incident.reference}." + linked, news=bool(linked))


def _in_channel(context: ChatContext, user: Any) -> Incident:
    incident = _channel_incident(context)
    if incident is None or not incidents_visible_to(user).filter(pk=incident.pk).exists():
        raise ValidationError("This channel is not linked to an incident: `/incident link INC-42` links it.")
    return incident


def _command(context: ChatContext, user: Any, verb: str, rest: str) -> Reply:
    if verb == "declare":
        return _declare(context, user, rest)
    if verb == "link":
        number, _, then = rest.strip().partition(" ")
        match = NUMBER.match(number)
        incident = incidents_visible_to(user).filter(number=int(match[1])).first() if match else None
        if incident is None:
            return Reply("No such incident, or you cannot see it: `/incident link INC-42`.")
        _link(context, incident, user, move=then.strip().lower() == "move")
        return Reply(f"This channel is now {incident.reference}'s: {_incident_url(incident)}", public=True)
    incident = _in_channel(context, user)
    reference = incident.reference
    if verb == "note":
        if not rest.strip():
            return Reply("Write the note after the command: `/incident note restarted the primary`.")
        body = chat_text_markdown(context, rest)
        entry = timeline_entry_add(incident=incident, actor=user, body=body, source=EntrySource.CHAT)
        return Reply(added_reply(incident, entry.occurred_at, user))
    if verb == "status":
        incident_change_status(incident=incident, actor=user, status=rest.strip().lower())
        return Reply(f"{reference} is now {rest.strip().lower()}.{_mirrored(incident)}")
    if verb == "severity":
        severity, _, reason = rest.strip().partition(" ")
        incident_change_severity(
            incident=incident, actor=user, severity=severity.upper(), reason=reason.strip()
        )
        return Reply(f"{reference} is now {severity.upper()}.{_mirrored(incident)}")
    if verb == "resolve":
        incident_resolve(incident=incident, actor=user, note=chat_text_markdown(context, rest.strip()))
        return Reply(f"{reference} resolved.{_mirrored(incident)}")
    return Reply(HELP)


def added_reply(incident: Incident, occurred_at: datetime, user: Any) -> str:
    """What the person is told about an entry added at `occurred_at`: "Added to INC-7's timeline."; an
    entry before the incident's start keeps its own time and is context, and the reply says so, with both
    times in the person's zone and UTC (`timefmt.format_chat_time`)."""
    added = f"Added to {incident.reference}'s timeline"
    if occurred_at >= incident.started_at:
        return f"{added}."
    zone = user.tzinfo
    return (
        f"{added} as context before the start, at its own time {format_chat_time(occurred_at, zone)}: "
        f"{incident.reference} started at {format_chat_time(incident.started_at, zone)}."
    )


def _mirrored(incident: Incident) -> str:
    # The change reaches the channel as Hindsight's own post (notify.mirror), once; the answer is for the
    # person who typed the command.
    return " Hindsight posts it to the channel." if incident.visibility == Visibility.INTERNAL else ""


def chat_command(*, context: ChatContext, text: str) -> Reply:
    """Run one `/incident …` command typed by `context.user_id` (see the module docstring). Every refusal
    and input error comes back as the reply's text; nothing is changed then."""
    try:
        user = chat_person_user(context, context.user_id)
    except ChatError as exc:
        return Reply(lookup_failed(context, exc))
    if user is None:
        return Reply(
            f"Hindsight knows no one by the email {context.client.label} confirmed for you; "
            "ask an admin to invite that address."
        )
    if refusal := chat_text_refusal(text):
        return Reply(refusal)
    verb, _, rest = (text or "").strip().partition(" ")
    try:
        return _command(context, user, verb.lower(), rest)
    except AccessDenied as exc:
        return Reply(str(exc) if exc.visible else "No such incident, or you cannot see it.")
    except ValidationError as exc:
        return Reply(" ".join(exc.messages))


EARLIEST_MESSAGE = datetime(2013, 8, 1, tzinfo=UTC)  # Slack opened to the public in August 2013
FUTURE_SLACK = timedelta(minutes=5)


def _message_time(message_ts: str, label: str) -> tuple[datetime, str]:
    """The time of a message (`message_ts`, Unix seconds) and '' ; or now and a note saying the message's
    own time could not be used (missing, `0`, before `EARLIEST_MESSAGE` or in the future)."""
    now = timezone.now()
    when: datetime | None
    try:
        when = datetime.fromtimestamp(float(message_ts), tz=UTC)
    except (ValueError, OverflowError, OSError):
        when = None
    if when is not None and EARLIEST_MESSAGE <= when <= now + FUTURE_SLACK:
        return when, ""
    shown = markdown_text(message_ts[:40]) or "none"
    return now, f"_{label} gave this message no usable time ({shown}): recorded at the time it was added._"


def _message_author(context: ChatContext, author_id: str) -> str:
    """How a captured message names its author, as Markdown: the Hindsight name of the person their
    chat server's confirmed email maps to; else the chat's own name, marked as no account (a chat name
    proves nothing); else 'someone'. ChatError when the lookup failed."""
    person = context.client.person(author_id) if author_id else None
    if person is None:
        return f"someone {context.client.label} could not name"
    user = chat_person_user(context, author_id) if person.email else None
    if user is not None:
        return markdown_text(str(user))
    return f"{markdown_text(person.name)} (no Hindsight account)"


def chat_message_capture(*, context: ChatContext, author_id: str, message_ts: str, text: Any) -> Reply:
    """ "Add to timeline": the message (by `author_id`, sent at `message_ts`, Unix seconds as Slack writes
    them) becomes a timeline entry of the channel's incident, at its own time, added by the person who
    asked (mapped by confirmed email; they must be able to record on the incident), ending with "Message
    by <author> in Slack" linked back to it (`_message_author`: the author may be a viewer or have no
    account); once per message. A message time that cannot be a chat message's (`0`, before
    `EARLIEST_MESSAGE`, or later than now) is not used: the entry gets the time it was added, and says so.
    A message from before the incident's start keeps its time: the reply says it is context before the
    start (`added_reply`)."""
    if refusal := chat_text_refusal(text):
        return Reply(f"This message was not added: {refusal[0].lower()}{refusal[1:]}")
    try:
        user = chat_person_user(context, context.user_id)
    except ChatError as exc:
        return Reply(lookup_failed(context, exc))
    if user is None:
        return Reply(f"Hindsight knows no one by the email {context.client.label} confirmed for you.")
    try:
        incident = _in_channel(context, user)
        if not can_record(user, incident):
            return Reply("You may read this incident but not record on it.")
        if ChatCapture.objects.filter(
            provider=context.provider, workspace=context.workspace, channel_id=context.channel_id,
            message_ts=message_ts,
        ).exists():  # fmt: skip
            return Reply(f"This message is on {incident.reference}'s timeline already.")
        try:
            author = _message_author(context, author_id)
        except ChatError as exc:
            return Reply(lookup_failed(context, exc, "wrote this message"))
        when, note = _message_time(message_ts, context.client.label)
        link = context.client.permalink(context.channel_id, message_ts)
        by = f"Message by {author} in {context.client.label}"
        body = chat_text_markdown(context, (text or "").strip())
        body += f"\n\n[{by}]({link})" if link else f"\n\n{by}"
        body += f"\n\n{note}" if note else ""
        with transaction.atomic():
            entry = timeline_entry_add(
                incident=incident, actor=user, body=body, occurred_at=when, source=EntrySource.CHAT
            )
            ChatCapture.objects.create(
                provider=context.provider, workspace=context.workspace, channel_id=context.channel_id,
                message_ts=message_ts[:40], entry=entry,
            )  # fmt: skip
    except IntegrityError:
        return Reply("This message is on the timeline already.")
    except AccessDenied as exc:
        return Reply(str(exc) if exc.visible else "No such incident, or you cannot see it.")
    except ValidationError as exc:
        return Reply(" ".join(exc.messages))
    return Reply(added_reply(incident, when, user))


TITLE_MAX = 200  # Incident.title


def dialog_title_error(title: Any) -> str:
    """Why a dialog's `title` (as the chat server sent it) cannot be an incident's title, or ''."""
    if title is not None and not isinstance(title, str):
        return "Type the title as text."
    if refusal := chat_text_refusal(title):
        return refusal
    text = (title or "").strip()
    if not text:
        return "Give the incident a title."
    if len(text) > TITLE_MAX:
        return f"Keep the title to {TITLE_MAX} characters (this one has {len(text)})."
    return ""


def chat_dialog_declare(*, context: ChatContext, title: Any, severity: Any) -> dict[str, str]:
    """The declare dialog's submission (`title`, `severity` as the chat server sent them: anything):
    declare as the person who filled it in (mapped by confirmed email), link the channel it was opened
    in and post the incident there. Returns field errors for the dialog (`title`: not text, empty, over
    `TITLE_MAX` characters, or the person unknown; `severity`: not SEV1-4), nothing cut or converted
    silently; empty when the incident was declared. What the person should know beyond that (the channel
    was not linked) is told to them alone (ephemeral)."""
    if error := dialog_title_error(title):
        return {"title": error}
    if not isinstance(severity, str) or severity not in Severity.values:
        return {"severity": "Choose a severity from SEV1 to SEV4."}
    try:
        user = chat_person_user(context, context.user_id)
    except ChatError as exc:
        return {"title": lookup_failed(context, exc)}
    if user is None:
        return {"title": f"Hindsight knows no one by the email {context.client.label} confirmed for you."}
    try:
        reply = _declare_incident(context, user, str(title).strip(), severity)
    except AccessDenied as exc:
        return {"title": str(exc)}
    except ValidationError as exc:
        return {"title": " ".join(exc.messages)}
    if reply.news:
        with contextlib.suppress(ChatError):
            context.client.tell(context.channel_id, context.user_id, reply.text)
    return {}
