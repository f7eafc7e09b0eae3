"""Chat capture from Slack and Mattermost, driven as Slack drives it.

Requests are signed exactly as Slack signs them (`v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>`
with the signing secret, headers `X-Slack-Signature` and `X-Slack-Request-Timestamp`); slash-command
and interactivity bodies are the url-encoded forms Slack posts. A recording server on loopback stands in
for Slack's Web API (`users.info`, `chat.postMessage`, `chat.getPermalink`, `chat.postEphemeral`) and
Mattermost's API v4; the outbound guard lets it through only because the test allows it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from incidents.models import ChatCapture, ChatChannel, Incident, TimelineEntry, Visibility
from incidents.timefmt import format_time
from tests.recording_server import RecordingServer

pytestmark = pytest.mark.django_db

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the shape of Slack's example secret
PEOPLE = {
    "U0CORA": ("commander@example.com", "Cora Commander"),
    "U0RORY": ("responder@example.com", "Rory Responder"),
    "U0STRANGER": ("stranger@elsewhere.example", "Stan Stranger"),
}


def slack_signature(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def mm_trigger(user_id, *, millis=None, client_id="k3wbzwx8ijbkpqkcxu9zuj4n1o"):
    """A Mattermost trigger id as Mattermost makes it (model.GenerateTriggerId): base64 of
    `<client trigger id>:<user id>:<Unix ms>:<base64 signature>`."""
    import base64

    at = int(time.time() * 1000) if millis is None else millis
    signature = base64.b64encode(b"0E\x02!\x00fake-ecdsa-signature").decode()
    return base64.b64encode(f"{client_id}:{user_id}:{at}:{signature}".encode()).decode()


def _users_info(request):
    user_id = request.form.get("user", "")
    if user_id not in PEOPLE:
        return 200, {"ok": False, "error": "user_not_found"}
    email, name = PEOPLE[user_id]
    return 200, {
        "ok": True,
        "user": {
            "id": user_id, "team_id": "T0ACME", "name": name.split()[0].lower(), "deleted": False,
            "is_bot": False, "is_email_confirmed": True, "profile": {"real_name": name, "email": email},
        },
    }  # fmt: skip


@pytest.fixture
def slack(settings, outbound_allowed):
    with RecordingServer() as server:
        outbound_allowed(server.url)
        settings.SLACK_SIGNING_SECRET = SIGNING_SECRET
        settings.SLACK_BOT_TOKEN = "xoxb-test-token"
        settings.SLACK_API_URL = server.url + "/api"
        server.answers[("POST", "/api/users.info")] = _users_info
        server.answers[("POST", "/api/chat.postMessage")] = (200, {"ok": True, "ts": "1764600000.000100"})
        server.answers[("POST", "/api/chat.postEphemeral")] = (200, {"ok": True})
        server.answers[("POST", "/api/chat.getPermalink")] = lambda r: (200, {
            "ok": True, "channel": r.form["channel"],
            "permalink": f"https://acme.slack.com/archives/{r.form['channel']}/p{r.form['message_ts'].replace('.', '')}",
        })  # fmt: skip
        yield server


def _post(client, url, fields, *, timestamp=None, secret=SIGNING_SECRET):
    body = urllib.parse.urlencode(fields).encode()
    ts = int(time.time()) if timestamp is None else timestamp
    return client.post(
        url, data=body, content_type="application/x-www-form-urlencoded",
        HTTP_X_SLACK_REQUEST_TIMESTAMP=str(ts), HTTP_X_SLACK_SIGNATURE=slack_signature(body, ts, secret),
    )  # fmt: skip


def command(client, user_id, text, *, channel="C0INC", **signing):
    fields = {
        "token": "gIkuvaNzQIHg97ATvDxqgjtO", "team_id": "T0ACME", "team_domain": "acme", "channel_id": channel,
        "channel_name": "inc-checkout", "user_id": user_id, "user_name": user_id.lower(), "command": "/incident",
        "text": text, "api_app_id": "A0HINDSIGHT", "response_url": "https://hooks.slack.com/commands/1/2/3",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }  # fmt: skip
    return _post(client, reverse("incidents:slack_command"), fields, **signing)


def shortcut(
    client, user_id, author_id, ts, text, *, channel="C0INC", trigger="13345224609.8534564800", **signing
):
    payload = {
        "type": "message_action", "callback_id": "add_to_timeline", "trigger_id": trigger,
        "response_url": "https://hooks.slack.com/app-actions/T0ACME/1/2", "team": {"id": "T0ACME", "domain": "acme"},
        "channel": {"id": channel, "name": "inc-checkout"}, "user": {"id": user_id, "name": "x"},
        "message": {"type": "message", "user": author_id, "ts": ts, "text": text},
    }  # fmt: skip
    return _post(
        client, reverse("incidents:slack_interactivity"), {"payload": json.dumps(payload)}, **signing
    )


def test_declare_three_notes_and_a_shortcut_show_on_the_incident_page(
    client_for, slack, commander, responder, team
):
    hook = client_for(None)
    declared = command(hook, "U0CORA", "declare Checkout returns 502 SEV2")
    assert declared.status_code == 200, declared.content
    incident = Incident.objects.get()
    assert (incident.title, incident.severity, incident.declared_by) == (
        "Checkout returns 502",
        "SEV2",
        commander,
    )
    posted = [r for r in slack.requests if r.path == "/api/chat.postMessage"][-1]
    assert posted.headers["Authorization"] == "Bearer xoxb-test-token"
    assert posted.form["channel"] == "C0INC"
    assert incident.reference in posted.form["text"]
    assert reverse("incidents:detail", args=[incident.number]) in posted.form["text"]

    started = datetime.now(UTC).replace(microsecond=0)
    for user_id, text in [
        ("U0CORA", "note Rolled back deploy 2026.12.01-3"),
        ("U0RORY", "note Error rate back under 1%"),
        ("U0CORA", "note Keeping it in monitoring for an hour"),
    ]:
        answer = command(hook, user_id, text)
        assert answer.status_code == 200
        assert answer.json()["response_type"] == "ephemeral"
        assert "Added to" in answer.json()["text"]
    sent_at = datetime(2026, 12, 1, 9, 41, 7, tzinfo=UTC)
    ts = f"{sent_at.timestamp():.6f}"
    assert shortcut(hook, "U0RORY", "U0CORA", ts, "Primary DB is at 100% CPU").status_code == 200
    # Pressed again (Slack sends a new trigger id): the message is on the timeline once.
    again = shortcut(
        hook, "U0RORY", "U0CORA", ts, "Primary DB is at 100% CPU", trigger="13345224609.8534564801"
    )
    assert again.status_code == 200

    notes = list(TimelineEntry.objects.filter(incident=incident, source="chat").order_by("id"))
    assert [(e.body.split("\n")[0], e.author) for e in notes] == [
        ("Rolled back deploy 2026.12.01-3", commander),
        ("Error rate back under 1%", responder),
        ("Keeping it in monitoring for an hour", commander),
        ("Primary DB is at 100% CPU", responder),  # who clicked; the body names the message's author
    ]
    assert all(started <= e.occurred_at <= datetime.now(UTC) for e in notes[:3])
    assert notes[3].occurred_at == sent_at  # the message's own time
    assert "[Message by Cora Commander in Slack](https://acme.slack.com/archives/C0INC/p" in notes[3].body
    assert ChatCapture.objects.count() == 1

    page = client_for(responder).get(reverse("incidents:detail", args=[incident.number])).content.decode()
    for text in (
        "Rolled back deploy",
        "Error rate back under 1%",
        "Keeping it in monitoring",
        "Primary DB is at 100% CPU",
    ):
        assert text in page
    assert "Cora Commander" in page
    assert "Rory Responder" in page
    assert format_time(sent_at, responder.tzinfo, fmt="%H:%M") in page
    assert 'href="https://slack.com/app_redirect?team=T0ACME&amp;channel=C0INC"' in page  # the channel linked
    assert ">Slack channel</a>" in page  # and named, not shown as its raw address
    assert ">https://slack.com/app_redirect" not in page
    told = [r.form for r in slack.requests if r.path == "/api/chat.postEphemeral"]
    assert "already" in told[-1]["text"]


def test_a_bad_signature_or_an_old_timestamp_is_refused_and_nothing_is_stored(client_for, slack, commander):
    hook = client_for(None)
    assert command(hook, "U0CORA", "declare Forged SEV1", secret="not-the-secret").status_code == 401
    assert (
        command(hook, "U0CORA", "declare Replayed SEV1", timestamp=int(time.time()) - 6 * 60).status_code
        == 401
    )
    unsigned = hook.post(
        reverse("incidents:slack_command"),
        data="text=declare+x",
        content_type="application/x-www-form-urlencoded",
    )
    assert unsigned.status_code == 401
    assert not Incident.objects.exists()
    assert not TimelineEntry.objects.exists()
    assert slack.requests == []  # not even a user lookup


def test_on_a_declared_incident_a_forged_or_old_note_or_shortcut_is_refused_and_adds_nothing(
    client_for, slack, commander, responder
):
    hook = client_for(None)
    assert command(hook, "U0CORA", "declare Checkout returns 502 SEV2").status_code == 200
    incident = Incident.objects.get()
    entries = TimelineEntry.objects.filter(incident=incident).count()
    calls = len(slack.requests)
    old = int(time.time()) - 6 * 60
    ts = f"{datetime(2026, 12, 1, 9, 41, 7, tzinfo=UTC).timestamp():.6f}"
    for answer in (
        command(hook, "U0RORY", "note Forged note", secret="not-the-secret"),
        command(hook, "U0RORY", "note Replayed note", timestamp=old),
        shortcut(hook, "U0RORY", "U0CORA", ts, "Forged message", secret="not-the-secret"),
        shortcut(hook, "U0RORY", "U0CORA", ts, "Replayed message", timestamp=old),
    ):
        assert answer.status_code == 401
    assert TimelineEntry.objects.filter(incident=incident).count() == entries
    assert not ChatCapture.objects.exists()
    assert len(slack.requests) == calls  # nobody looked up, nothing posted
    page = client_for(responder).get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert "Forged" not in page
    assert "Replayed" not in page


def test_people_are_mapped_by_confirmed_email_only(client_for, slack, commander):
    hook = client_for(None)
    answer = command(hook, "U0STRANGER", "declare Someone else's outage")
    assert "knows no one" in answer.json()["text"]
    PEOPLE["U0UNCONFIRMED"] = ("commander@example.com", "Cora Again")
    slack.answers[("POST", "/api/users.info")] = lambda r: (
        _users_info(r)[0],
        {**_users_info(r)[1], "user": {**_users_info(r)[1]["user"], "is_email_confirmed": False}},
    )
    try:
        assert "knows no one" in command(hook, "U0UNCONFIRMED", "declare Pretending").json()["text"]
    finally:
        del PEOPLE["U0UNCONFIRMED"]
    assert not Incident.objects.exists()


def test_a_restricted_incident_is_never_linked_to_a_channel(client_for, slack, commander, incident):
    incident.visibility = Visibility.RESTRICTED
    incident.save()
    answer = command(client_for(None), "U0CORA", f"link {incident.reference}")
    assert "restricted" in answer.json()["text"]
    assert answer.json()["response_type"] == "ephemeral"
    assert not ChatChannel.objects.exists()
    incident.refresh_from_db()
    assert incident.chat_channel_url == ""
    assert not [r for r in slack.requests if r.path == "/api/chat.postMessage"]


def test_commander_commands_and_a_viewer_is_refused(client_for, slack, commander, responder, incident):
    hook = client_for(None)
    command(hook, "U0CORA", f"link {incident.number}")
    assert "is now SEV1." in command(hook, "U0CORA", "severity SEV1 all regions").json()["text"]
    moved = command(hook, "U0CORA", "status identified").json()
    assert moved["response_type"] == "ephemeral"  # the channel hears it once, from Hindsight's mirror
    assert "Hindsight posts it to the channel" in moved["text"]
    refused = command(hook, "U0RORY", "resolve")
    assert "commander" in refused.json()["text"]
    assert "resolved" in command(hook, "U0CORA", "resolve fixed by rollback").json()["text"]
    incident.refresh_from_db()
    assert (incident.severity, incident.status) == ("SEV1", "resolved")
    assert "declare" in command(hook, "U0CORA", "what").json()["text"]  # help


@pytest.fixture
def mattermost(settings, outbound_allowed):
    with RecordingServer() as server:
        outbound_allowed(server.url)
        settings.MATTERMOST_URL = server.url
        settings.MATTERMOST_COMMAND_TOKEN = "xr3j5x3p4pfjpe8e6k3mc3adhc"
        settings.MATTERMOST_BOT_TOKEN = "mm-bot-token"
        server.answers[("GET", "/api/v4/users/rory8id")] = (200, {
            "id": "rory8id", "username": "rory", "email": "responder@example.com", "email_verified": True,
            "first_name": "Rory", "last_name": "Responder", "delete_at": 0,
        })  # fmt: skip
        yield server


def test_a_mattermost_slash_command_is_checked_by_its_token(client_for, mattermost, responder, incident):
    ChatChannel.objects.create(
        provider="mattermost", workspace="mmteam", channel_id="mmchan", incident=incident
    )
    fields = {
        "channel_id": "mmchan", "channel_name": "inc", "command": "/incident", "team_domain": "acme",
        "team_id": "mmteam", "text": "note Failover finished", "token": "xr3j5x3p4pfjpe8e6k3mc3adhc",
        "user_id": "rory8id", "user_name": "rory", "response_url": "https://mm.example.com/hooks/commands/x",
        "trigger_id": mm_trigger("rory8id"),
    }  # fmt: skip
    hook = client_for(None)
    url = reverse("incidents:mattermost_command")
    wrong = hook.post(
        url,
        data=urllib.parse.urlencode({**fields, "token": "guess"}),
        content_type="application/x-www-form-urlencoded",
    )
    assert wrong.status_code == 401
    assert not TimelineEntry.objects.filter(source="chat").exists()
    answer = hook.post(
        url, data=urllib.parse.urlencode(fields), content_type="application/x-www-form-urlencoded"
    )
    assert answer.status_code == 200
    assert "Added to" in answer.json()["text"]
    entry = TimelineEntry.objects.get(source="chat")
    assert (entry.body, entry.author) == ("Failover finished", responder)
    assert mattermost.requests[-1].headers["Authorization"] == "Bearer mm-bot-token"


def test_the_slack_app_manifest_points_at_these_endpoints():
    from pathlib import Path

    from incidents.integrations.chat.views import SHORTCUT

    manifest = json.loads((Path(__file__).resolve().parents[3] / "slack-app-manifest.json").read_text())
    command_url = manifest["features"]["slash_commands"][0]["url"]
    assert urllib.parse.urlsplit(command_url).path == reverse("incidents:slack_command")
    interactivity = manifest["settings"]["interactivity"]["request_url"]
    assert urllib.parse.urlsplit(interactivity).path == reverse("incidents:slack_interactivity")
    assert [s["callback_id"] for s in manifest["features"]["shortcuts"]] == [SHORTCUT]
    assert {"commands", "chat:write", "users:read", "users:read.email"} <= set(
        manifest["oauth_config"]["scopes"]["bot"]
    )


def test_declare_without_a_title_opens_the_dialog_and_its_submission_declares(client_for, slack, commander):
    slack.answers[("POST", "/api/views.open")] = (200, {"ok": True, "view": {"id": "V0DECLARE"}})
    hook = client_for(None)
    answer = command(hook, "U0CORA", "declare")
    assert "form" in answer.json()["text"]
    opened = [r for r in slack.requests if r.path == "/api/views.open"][-1]
    assert opened.form["trigger_id"] == "13345224609.738474920.8088930838d88f008e0"
    view = json.loads(opened.form["view"])
    assert (view["type"], view["callback_id"]) == ("modal", "declare")
    from incidents.integrations.chat.clients import dialog_state_read

    state = dialog_state_read(view["private_metadata"])  # signed by Hindsight
    assert state is not None
    assert state["c"] == "C0INC"

    def submit(title, severity="SEV2"):
        payload = {
            "type": "view_submission", "team": {"id": "T0ACME", "domain": "acme"},
            "user": {"id": "U0CORA", "username": "cora"}, "trigger_id": "1.2.3",
            "view": {
                "id": "V0DECLARE", "type": "modal", "callback_id": "declare",
                "private_metadata": view["private_metadata"],
                "state": {"values": {
                    "title": {"title": {"type": "plain_text_input", "value": title}},
                    "severity": {"severity": {"type": "static_select", "selected_option": {
                        "text": {"type": "plain_text", "text": severity}, "value": severity}}},
                }},
            },
        }  # fmt: skip
        return _post(hook, reverse("incidents:slack_interactivity"), {"payload": json.dumps(payload)})

    empty = submit("  ")
    assert empty.json() == {"response_action": "errors", "errors": {"title": "Give the incident a title."}}
    assert not Incident.objects.exists()
    assert submit("Search is timing out").status_code == 200
    incident = Incident.objects.get()
    assert (incident.title, incident.severity, incident.commander) == (
        "Search is timing out",
        "SEV2",
        commander,
    )
    assert ChatChannel.objects.get().incident == incident
    posted = [r for r in slack.requests if r.path == "/api/chat.postMessage"][-1]
    assert posted.form["channel"] == "C0INC"
    assert incident.reference in posted.form["text"]


def test_without_the_setting_the_outbound_guard_keeps_hindsight_off_a_loopback_slack(
    client_for, settings, commander
):
    with RecordingServer() as server:  # not allowed: OUTBOUND_ALLOWED_TARGETS stays empty
        settings.SLACK_SIGNING_SECRET = SIGNING_SECRET
        settings.SLACK_API_URL = server.url + "/api"
        server.answers[("POST", "/api/users.info")] = _users_info
        answer = command(client_for(None), "U0CORA", "declare Checkout returns 502")
        assert "could not ask Slack who you are" in answer.json()["text"]  # the lookup was refused
        assert server.requests == []
    assert not Incident.objects.exists()


# --- Mirroring into the linked channel -----------------------------------------------------------------


def _posts(server, path="/api/chat.postMessage"):
    return [r for r in server.requests if r.path == path]


def test_web_entries_status_and_severity_changes_are_posted_once_to_the_linked_channel(
    client_for, api_for, slack, commander, incident, eager_celery, django_capture_on_commit_callbacks
):
    ChatChannel.objects.create(provider="slack", workspace="T0ACME", channel_id="C0INC", incident=incident)
    answers = iter([(500, {"ok": False}), (200, {"ok": False, "error": "ratelimited"})])
    slack.answers[("POST", "/api/chat.postMessage")] = lambda r: next(
        answers, (200, {"ok": True, "ts": "1.2"})
    )
    web = client_for(commander)
    with django_capture_on_commit_callbacks(execute=True):
        web.post(reverse("incidents:timeline_quick_add", args=[incident.number]),
                 {"body": "Failed over to the replica <!channel> & paged the DBA", "kind": "action"})  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        web.post(reverse("incidents:status", args=[incident.number]), {"status": "identified"})
    with django_capture_on_commit_callbacks(execute=True):
        web.post(
            reverse("incidents:severity", args=[incident.number]),
            {"severity": "SEV1", "reason": "all regions"},
        )
    with django_capture_on_commit_callbacks(execute=True):  # a note typed in the channel is not posted back
        command(client_for(None), "U0CORA", "note rolled back the deploy")

    posts = _posts(slack)
    sent = [p.form["text"] for p in posts][2:]  # the first two attempts failed (a 500, then rate-limited)
    assert len(sent) == 3, sent
    assert all(p.form["channel"] == "C0INC" for p in posts)
    assert posts[0].headers["Authorization"] == "Bearer xoxb-test-token"
    assert sent[0].startswith(f"{incident.reference} {incident.title} · Cora Commander, ")
    assert (
        "Failed over to the replica &lt;!channel&gt; &amp; paged the DBA" in sent[0]
    )  # no mention, no markup
    assert f"/incidents/{incident.number}/" in sent[0]
    assert "status is now identified" in sent[1]
    assert "severity changed from SEV2 to SEV1" in sent[2]
    assert not any("rolled back" in t for t in sent)
    assert TimelineEntry.objects.filter(body="rolled back the deploy").exists()


def test_making_the_incident_restricted_unlinks_its_channel_and_posts_nothing_more(
    client_for, api_for, slack, commander, incident, monkeypatch, django_capture_on_commit_callbacks
):
    from incidents.models import Notification
    from incidents.notify import delivery

    ChatChannel.objects.create(provider="slack", workspace="T0ACME", channel_id="C0INC", incident=incident,
                               channel_name="inc-checkout")  # fmt: skip
    monkeypatch.setattr(delivery, "notifications_publish", lambda ids: None)  # the broker holds it for now
    with django_capture_on_commit_callbacks(execute=True):
        client_for(commander).post(reverse("incidents:timeline_quick_add", args=[incident.number]),
                                   {"body": "Customer data may be exposed", "kind": "observation"})  # fmt: skip
    queued = Notification.objects.get(kind="chat.mirror")
    changed = api_for(commander).patch(
        f"/api/v1/incidents/{incident.number}/", {"visibility": "restricted"}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert not ChatChannel.objects.exists()
    page = client_for(commander).get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert "#inc-checkout (Slack) unlinked" in page
    assert delivery.notification_deliver(notification_id=queued.pk) == "skipped"  # queued before: not sent
    with django_capture_on_commit_callbacks(execute=True):
        client_for(commander).post(reverse("incidents:timeline_quick_add", args=[incident.number]),
                                   {"body": "Rotated the keys", "kind": "action"})  # fmt: skip
        client_for(commander).post(
            reverse("incidents:status", args=[incident.number]), {"status": "identified"}
        )
    assert Notification.objects.filter(kind="chat.mirror").count() == 1
    assert _posts(slack) == []
    # The channel's commands no longer reach it either.
    answer = command(client_for(None), "U0CORA", "note anything")
    assert "not linked" in answer.json()["text"]


def test_a_mattermost_channel_gets_the_post_through_the_posts_api(
    client_for, mattermost, commander, incident, eager_celery, django_capture_on_commit_callbacks
):
    ChatChannel.objects.create(
        provider="mattermost", workspace="mmteam", channel_id="mmchan", incident=incident
    )
    mattermost.answers[("POST", "/api/v4/posts")] = (201, {"id": "post1", "channel_id": "mmchan"})
    with django_capture_on_commit_callbacks(execute=True):
        client_for(commander).post(reverse("incidents:timeline_quick_add", args=[incident.number]),
                                   {"body": "Told @channel to stop deploys", "kind": "communication"})  # fmt: skip
    (post,) = [r for r in mattermost.requests if r.path == "/api/v4/posts"]
    assert set(post.json) == {"channel_id", "message"}  # Mattermost's "Create a post"
    assert post.json["channel_id"] == "mmchan"
    assert "Told @\u200bchannel to stop deploys" in post.json["message"]
    assert post.headers["Authorization"] == "Bearer mm-bot-token"


# --- Mattermost's declare dialog ---------------------------------------------------------------------------


def test_mattermost_declare_without_a_title_opens_the_dialog_and_its_submission_declares(
    client_for, mattermost, commander, settings
):
    settings.SITE_URL = "https://hindsight.example.com"
    mattermost.answers[("GET", "/api/v4/users/cora8id")] = (200, {
        "id": "cora8id", "username": "cora", "email": "commander@example.com", "email_verified": True,
        "first_name": "Cora", "last_name": "Commander", "delete_at": 0,
    })  # fmt: skip
    mattermost.answers[("POST", "/api/v4/actions/dialogs/open")] = (200, {"status": "OK"})
    mattermost.answers[("POST", "/api/v4/posts")] = (201, {"id": "p1"})
    hook = client_for(None)
    # Mattermost's slash-command request (form-encoded), with the trigger id a dialog needs.
    fields = {
        "channel_id": "mmchan", "channel_name": "inc-search", "command": "/incident", "team_domain": "acme",
        "team_id": "mmteam", "text": "declare", "token": "xr3j5x3p4pfjpe8e6k3mc3adhc", "user_id": "cora8id",
        "user_name": "cora", "trigger_id": mm_trigger("cora8id"), "response_url": "https://mm.example.com/hooks/commands/x",
    }  # fmt: skip
    answer = hook.post(
        reverse("incidents:mattermost_command"),
        data=urllib.parse.urlencode(fields),
        content_type="application/x-www-form-urlencoded",
    )
    assert "form" in answer.json()["text"]
    (opened,) = [r for r in mattermost.requests if r.path == "/api/v4/actions/dialogs/open"]
    # OpenDialogRequest: trigger_id, url, dialog (title of at most 24 characters, elements).
    assert set(opened.json) == {"trigger_id", "url", "dialog"}
    assert opened.json["trigger_id"] == fields["trigger_id"]
    assert opened.json["url"] == "https://hindsight.example.com" + reverse("incidents:mattermost_dialog")
    dialog = opened.json["dialog"]
    assert set(dialog) <= {"callback_id", "title", "introduction_text", "icon_url", "elements", "submit_label",
                           "notify_on_cancel", "state"}  # fmt: skip
    assert len(dialog["title"]) <= 24
    elements = {e["name"]: e for e in dialog["elements"]}
    assert elements["title"]["type"] == "text"
    assert elements["severity"]["type"] == "select"
    assert [o["value"] for o in elements["severity"]["options"]] == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert opened.headers["Authorization"] == "Bearer mm-bot-token"

    def submit(title, *, state=dialog["state"], user_id="cora8id", channel_id="mmchan", cancelled=False):
        # SubmitDialogRequest, as Mattermost posts it to the dialog's url.
        payload = {
            "type": "dialog_submission", "callback_id": "declare", "state": state, "user_id": user_id,
            "channel_id": channel_id, "team_id": "mmteam", "cancelled": cancelled,
            "submission": {"title": title, "severity": "SEV2"},
        }  # fmt: skip
        return hook.post(
            reverse("incidents:mattermost_dialog"), data=json.dumps(payload), content_type="application/json"
        )

    assert submit("  ").json() == {"errors": {"title": "Give the incident a title."}}  # SubmitDialogResponse
    # Mattermost signs nothing: a submission whose state Hindsight did not sign, or for someone else or
    # another channel, is refused and declares nothing.
    assert submit("Forged", state="made-up").status_code == 401
    assert submit("Forged", user_id="rory8id").status_code == 401
    assert submit("Forged", channel_id="otherchan").status_code == 401
    assert submit("Cancelled", cancelled=True).json() == {}
    assert not Incident.objects.exists()

    done = submit("Search is timing out")
    assert (done.status_code, done.json()) == (200, {})
    incident = Incident.objects.get()
    assert (incident.title, incident.severity, incident.commander) == (
        "Search is timing out",
        "SEV2",
        commander,
    )
    assert ChatChannel.objects.get().incident == incident
    posted = [r for r in mattermost.requests if r.path == "/api/v4/posts"][-1]
    assert posted.json["channel_id"] == "mmchan"
    assert incident.reference in posted.json["message"]


def test_an_old_mattermost_dialog_state_is_refused(client_for, commander):
    import time_machine

    from incidents.integrations.chat.clients import dialog_state

    with time_machine.travel("2026-12-01 10:00:00+00:00"):
        state = dialog_state(user_id="cora8id", team_id="mmteam", channel_id="mmchan", channel_name="inc")
    with time_machine.travel("2026-12-01 11:01:00+00:00"):
        payload = {"type": "dialog_submission", "callback_id": "declare", "state": state, "user_id": "cora8id",
                   "channel_id": "mmchan", "team_id": "mmteam", "submission": {"title": "Late", "severity": "SEV3"}}  # fmt: skip
        late = client_for(None).post(
            reverse("incidents:mattermost_dialog"), data=json.dumps(payload), content_type="application/json"
        )
    assert late.status_code == 401
    assert not Incident.objects.exists()


def test_a_declared_title_cannot_ping_the_channel_or_disguise_a_link(client_for, slack, commander):
    command(client_for(None), "U0CORA", "declare <!channel> <@U123> <http://evil.test|click> & co SEV2")
    posted = _posts(slack)[-1].form["text"]
    assert "&lt;!channel&gt; &lt;@U123&gt; &lt;http://evil.test|click&gt; &amp; co" in posted
    assert "<!channel>" not in posted
    assert "<http://evil.test" not in posted
    assert (
        Incident.objects.get().title == "<!channel> <@U123> <http://evil.test|click> & co"
    )  # stored as typed


def test_a_mattermost_post_defuses_mentions_and_link_markup():
    from incidents.integrations.chat.clients import chat_escape

    assert (
        chat_escape("mattermost", "@all see [docs](http://evil.test)")
        == "@\u200ball see \\[docs\\](http://evil.test)"
    )


def test_the_same_signed_slack_request_sent_again_is_refused_as_a_replay(
    client_for, slack, commander, incident
):
    ChatChannel.objects.create(provider="slack", workspace="T0ACME", channel_id="C0INC", incident=incident)
    hook = client_for(None)
    ts = int(time.time())
    first = command(hook, "U0CORA", "note primary is back", timestamp=ts)
    again = command(hook, "U0CORA", "note primary is back", timestamp=ts)  # byte for byte the same request
    assert first.status_code == 200
    assert again.status_code == 401
    assert TimelineEntry.objects.filter(body="primary is back").count() == 1


def test_the_same_signed_declare_sent_again_declares_nothing_a_second_time(client_for, slack, commander):
    hook = client_for(None)
    ts = int(time.time())
    first = command(hook, "U0CORA", "declare Checkout returns 502 SEV2", channel="CDECL", timestamp=ts)
    again = command(hook, "U0CORA", "declare Checkout returns 502 SEV2", channel="CDECL", timestamp=ts)
    assert first.status_code == 200
    assert again.status_code == 401
    assert Incident.objects.filter(title="Checkout returns 502").count() == 1
