"""Who may do what, written once by hand: the policy the capability matrix (`test_capability_matrix.py`)
checks every route and method against, and the table the README's access-control section shows
(`python -m tests.security.capability_policy` prints it and the write rules' table, `--write-readme` writes
both into README.md; a test compares each with README.md).

The matrix does not ask the permission module what to expect: a reviewer reads the policy here.

Personas (columns), in a world of two teams, Platform (the incidents' team) and Payments:
- `anon`: not signed in; `gone`: the old session of a since-deactivated Platform lead who took part in the
  restricted incident; `lone`: signed in, member of no team;
- `other`: a responder of Payments (another team); `viewer`, `resp`: a viewer and a responder of Platform;
- `owner`: owns the incidents' action items, member of no team (so sees neither incident);
- `fown`: a Platform viewer who owns the incidents' policy findings;
- `verif`: a Platform responder who verifies the findings, requested reviewer of the postmortems and a
  participant of the restricted incident;
- `lead2`: a lead of Payments; `lead`: a lead of Platform (not a participant of the restricted incident);
- `cmdr`: a Platform responder, commander of both incidents; `admin`: staff;
- `ro`, `rw`: a read-only and a read-write API token of the commander (API rows only).

Cells: `ok` answered (2xx, a redirect other than to sign-in, or 400/409/422 for the request's own input);
`login` must sign in first (a redirect to the sign-in page, 401 from the API); `403` refused though the persona
sees the object; `404` not found (the same status and body as an id that does not exist); other numbers
are that status. `ok/404` is the answer for the internal / the restricted incident on rows about an
incident (or an action item or finding on it); one word is the answer for both.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

PERSONAS = (
    "anon", "gone", "lone", "other", "viewer", "resp", "owner", "fown", "verif", "lead2", "lead", "cmdr",
    "admin", "ro", "rw",
)  # fmt: skip
TOKENS = ("ro", "rw")

# Who may see each object, by hand (the invariants: a persona who cannot see it gets 404, never 403, and
# never its text). An action item is also seen by its owner, a policy finding by its owner.
SEES = {
    "internal": {"other", "viewer", "resp", "fown", "verif", "lead2", "lead", "cmdr", "admin", "ro", "rw"},
    "restricted": {"verif", "cmdr", "admin", "ro", "rw"},
}
SEES_ALSO = {"incident": set(), "item": {"owner"}, "finding": {"fown"}}


def sees(persona: str, kind: str, variant: str) -> bool:
    """May `persona` see the `kind` ('incident', 'item', 'finding') of the `variant` incident?"""
    return persona in SEES[variant] | SEES_ALSO[kind]


# The policy. One row per rule; `-` where a persona does not apply (API tokens on pages).
RULES = """
rule                                             | anon  | gone  | lone | other  | viewer  | resp   | owner | fown    | verif | lead2   | lead    | cmdr | admin | ro  | rw
public pages: sign-in, password reset, API docs  | ok    | ok    | ok   | ok     | ok      | ok     | ok    | ok      | ok    | ok      | ok      | ok   | ok    | ok  | ok
a link that needs a secret, given a wrong one    | 404   | 404   | 404  | 404    | 404     | 404    | 404   | 404     | 404   | 404     | 404     | 404  | 404   | -   | -
the sign-in code step, with no sign-in under way | login | login | login| login  | login   | login  | login | login   | login | login   | login   | login| login | -   | -
one's own pages, lists, search, insights         | login | login | ok   | ok     | ok      | ok     | ok    | ok      | ok    | ok      | ok      | ok   | ok    | ok  | ok
see an incident and what is recorded on it       | login | login | 404  | ok/404 | ok/404  | ok/404 | 404   | ok/404  | ok    | ok/404  | ok/404  | ok   | ok    | ok  | ok
see an action item                               | login | login | 404  | ok/404 | ok/404  | ok/404 | ok    | ok/404  | ok    | ok/404  | ok/404  | ok   | ok    | ok  | ok
see a policy finding                             | login | login | 404  | ok/404 | ok/404  | ok/404 | 404   | ok      | ok    | ok/404  | ok/404  | ok   | ok    | ok  | ok
open the editor of an incident's record          | login | login | 404  | ok/404 | 403/404 | ok/404 | 404   | 403/404 | ok    | ok/404  | ok/404  | ok   | ok    | -   | -
open the editor of an incident                   | login | login | 404  | 403/404| 403/404 | 403/404| 404   | 403/404 | 403   | 403/404 | ok/404  | ok   | ok    | -   | -
open the editor of an action item                | login | login | 404  | ok/404 | 403/404 | ok/404 | ok    | 403/404 | ok    | ok/404  | ok/404  | ok   | ok    | -   | -
open the editor of a policy finding              | login | login | 404  | ok/404 | 403/404 | ok/404 | 404   | ok      | ok    | ok/404  | ok/404  | ok   | ok    | -   | -
declare an incident, open an item or finding     | login | login | 403  | ok     | 403     | ok     | 403   | 403     | ok    | ok      | ok      | ok   | ok    | -   | -
delete or restore an incident                    | login | login | 404  | 403/404| 403/404 | 403/404| 404   | 403/404 | 403   | 403/404 | 403/404 | 403  | ok    | -   | -
admin pages: deleted incidents, security events  | login | login | 403  | 403    | 403     | 403    | 403   | 403     | 403   | 403     | 403     | 403  | ok    | -   | -
outbound webhooks (API)                          | login | login | 403  | 403    | 403     | 403    | 403   | 403     | 403   | 403     | 403     | 403  | ok    | 403 | 403
settings, reassignment and invitations           | login | login | 403  | 403    | 403     | 403    | 403   | 403     | 403   | ok      | ok      | 403  | ok    | -   | -
a team's settings (Platform's)                   | login | login | 403  | 403    | 403     | 403    | 403   | 403     | 403   | 403     | ok      | 403  | ok    | -   | -
incident types and their custom fields           | login | login | 403  | 403    | 403     | 403    | 403   | 403     | 403   | 403     | 403     | 403  | ok    | -   | -
"""

# Which rows each rule governs: `route` (every method) or `route METHOD`; `*` matches any characters.
# Every route x method of the URL configuration must be governed by exactly one rule.
RULE_ROUTES: dict[str, tuple[str, ...]] = {
    "public pages: sign-in, password reset, API docs": (
        "accounts:login GET", "accounts:password_reset GET", "accounts:password_reset_done GET",
        "accounts:password_reset_confirm GET", "accounts:password_reset_complete GET",
        "api:docs GET", "api:schema GET",
    ),
    "a link that needs a secret, given a wrong one": (
        "accounts:invitation_open GET", "sso_start GET", "sso_callback GET",
    ),
    "the sign-in code step, with no sign-in under way": ("accounts:login_code GET",),
    "one's own pages, lists, search, insights": (
        "accounts:profile GET", "accounts:password_change GET", "accounts:two_factor GET",
        "incidents:dashboard GET", "incidents:list GET", "incidents:search GET", "incidents:insights GET",
        "incidents:insights_csv GET", "incidents:my_work GET", "incidents:team_board GET",
        "incidents:finding_list GET", "incidents:action_item_export GET", "incidents:finding_export GET",
        "incidents:subscriptions GET", "incidents:similar_preview GET", "incidents:export_csv GET",
        "incidents:postmortem_library GET", "incidents:postmortem_lessons GET", "incidents:status_page GET",
        "api:api-root GET", "api:me GET", "api:incident-list GET", "api:timeline-entry-list GET",
        "api:contributing-factor-list GET", "api:postmortem-list GET", "api:action-item-list GET",
        "api:policy-finding-list GET", "api:change-list GET", "api:service-list GET", "api:team-list GET",
        "api:user-list GET",
        "api:service-detail GET",
        "api:service-changes GET", "api:team-detail GET",
    ),
    "see an incident and what is recorded on it": (
        "incidents:detail GET", "incidents:history GET", "incidents:similar GET", "incidents:meeting GET",
        "incidents:timeline_entry GET", "incidents:timeline_history GET", "incidents:timeline_changes GET",
        "incidents:timeline_older GET", "incidents:postmortem GET", "incidents:postmortem_diff GET",
        "incidents:postmortem_export_* GET", "incidents:postmortem_history GET",
        "incidents:postmortem_print GET", "incidents:postmortem_version GET",
        "api:incident-detail GET", "api:incident-postmortem GET", "api:incident-participants GET", "api:timeline-entry-detail GET",
        "api:incident-process GET", "api:incident-updates GET", "api:incident-task* GET",
        "api:incident-process GET", "api:incident-updates GET",
        "incidents:attachment GET", "incidents:attachment_thumbnail GET", "api:incident-attachments GET",
        "api:incident-attachment GET",
        "api:incident-attachment-download GET", "api:incident-review-meetings GET",
        "incidents:header GET",
        "api:contributing-factor-detail GET", "api:postmortem-detail GET",
    ),
    "see an action item": (
        "incidents:action_item_detail GET", "incidents:action_item_history GET",
        "incidents:action_item_tracker_panel GET",
        "api:action-item-detail GET", "api:action-item-tracker GET",
    ),
    "see a policy finding": (
        "incidents:finding_detail GET", "incidents:finding_history GET", "api:policy-finding-detail GET",
    ),
    "open the editor of an incident's record": (
        "incidents:timeline_when GET", "incidents:timeline_edit GET", "incidents:timeline_import GET",
        "incidents:factor_add GET", "incidents:factor_edit GET", "incidents:postmortem_edit GET",
        "incidents:postmortem_import GET", "incidents:people_suggestions GET", "incidents:custom_fields GET",
    ),
    "open the editor of an incident": ("incidents:edit GET",),
    "open the editor of an action item": ("incidents:action_item_edit GET",),
    "open the editor of a policy finding": ("incidents:finding_edit GET",),
    "declare an incident, open an item or finding": (
        "incidents:declare GET", "incidents:action_item_new GET", "incidents:finding_new GET",
    ),
    "delete or restore an incident": ("incidents:delete GET", "incidents:restore GET"),
    "admin pages: deleted incidents, security events": (
        "incidents:deleted_list GET", "incidents:security_events_csv GET", "incidents:mailing_lists GET",
    ),
    "outbound webhooks (API)": ("api:webhook-* GET",),
    "settings, reassignment and invitations": (
        "incidents:settings GET", "incidents:service_list GET", "incidents:tag_list GET",
        "incidents:tag_edit GET", "incidents:tag_merge GET", "incidents:tag_delete GET",
        "incidents:team_chat_list GET", "incidents:integration_list GET",
        "incidents:tracker_list GET", "incidents:reassign GET", "accounts:invitations GET",
    ),
    "a team's settings (Platform's)": (
        "incidents:service_edit GET", "incidents:team_chat_edit GET", "incidents:integration_edit GET",
        "incidents:tracker_edit GET",
    ),
    "incident types and their custom fields": (
        "incidents:incident_type_list GET", "incidents:incident_type_edit GET", "incidents:custom_field_edit GET",
        "incidents:process_rule_list GET", "incidents:process_rule_edit GET",
    ),
}  # fmt: skip


def _parse(text: str, personas: tuple[str, ...] = PERSONAS) -> dict[str, dict[str, str]]:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    header = [c.strip() for c in lines[0].split("|")]
    assert tuple(header[1:]) == personas, f"the columns must be {personas}"
    table = {}
    for line in lines[1:]:
        cells = [c.strip() for c in line.split("|")]
        assert len(cells) == len(header), f"rule {cells[0]!r} has {len(cells) - 1} cells, not {len(personas)}"
        table[cells[0]] = dict(zip(personas, cells[1:], strict=True))
    return table


POLICY = _parse(RULES)


def _matches(entry: str, route: str, method: str) -> bool:
    name, _, entry_method = entry.partition(" ")
    return fnmatchcase(route, name) and (not entry_method or entry_method == method)


def rules_for(route: str, method: str) -> list[str]:
    """The rules governing `route method` (exactly one, for a well-formed policy)."""
    return [rule for rule, entries in RULE_ROUTES.items() if any(_matches(e, route, method) for e in entries)]


def expected(rule: str, persona: str, *, scoped: bool) -> str:
    """The cell of `persona` in `rule`; on a row about no incident, an `a/b` cell must read the same twice."""
    cell = POLICY[rule][persona]
    if not scoped and "/" in cell:
        raise AssertionError(f"rule {rule!r} says {cell} for {persona} on a route about no incident")
    return cell


# --- Writes -------------------------------------------------------------------------------------------------
# Every unsafe route x method, sent an empty body (`test_capability_matrix_writes.py`), by the GET matrix's
# personas but `other` (a Payments responder answers as `lead2` does on these rows, a lead's rights aside):
# `anon`, `gone` (a since-deactivated lead's session), `lone` (no team), `viewer`, `resp`, `owner` (of the
# items, seeing neither incident), `fown` (a viewer owning the findings), `verif` (their verifier, in the
# restricted incident), `lead2` (of Payments), `lead` (of Platform, not taking part in the restricted
# incident), `cmdr` (commander of both), `admin`, and the commander's tokens `ro` and `rw`.
# Cells as above: `ok` means the request reached its input (a 400 with field errors, a redirect with a
# message): the persona may act. Anything else must have changed nothing.
WRITE_PERSONAS = (
    "anon", "gone", "lone", "viewer", "resp", "owner", "fown", "verif", "lead2", "lead", "cmdr", "admin",
    "ro", "rw",
)  # fmt: skip

WRITE_RULES = """
rule                                                  | anon  | gone  | lone  | viewer  | resp    | owner  | fown    | verif  | lead2   | lead    | cmdr   | admin  | ro  | rw
sign in, reset a password                             | ok    | ok    | ok    | ok      | ok      | ok     | ok      | ok     | ok      | ok      | ok     | ok     | -   | -
a tracker's webhook (signed; an empty body is a 400)  | ok    | ok    | ok    | ok      | ok      | ok     | ok      | ok     | ok      | ok      | ok     | ok     | -   | -
open an invitation, given a wrong secret              | 404   | 404   | 404   | 404     | 404     | 404    | 404     | 404    | 404     | 404     | 404    | 404    | -   | -
the sign-in code step with none under way; sign out   | login | login | login | login   | login   | login  | login   | login  | login   | login   | login  | login  | -   | -
chat servers' commands and dialogs, unsigned          | 401   | 401   | 401   | 401     | 401     | 401    | 401     | 401    | 401     | 401     | 401    | 401    | -   | -
one's own account: password, profile, tokens, 2FA     | login | login | ok    | ok      | ok      | ok     | ok      | ok     | ok      | ok      | ok     | ok     | -   | -
end a session of someone else                         | login | login | 404   | 404     | 404     | 404    | 404     | 404    | 404     | 404     | 404    | 404    | -   | -
revoke an API token (the commander's: its owner only) | login | login | 404   | 404     | 404     | 404    | 404     | 404    | 404     | 404     | ok     | 404    | -   | -
withdraw an invitation                                | login | login | 404   | 404     | 404     | 404    | 404     | 404    | 404     | ok      | 404    | ok     | -   | -
settings, reassignment and invitations                | login | login | 403   | 403     | 403     | 403    | 403     | 403    | ok      | ok      | 403    | ok     | -   | -
a Platform integration, service, chat or tracker      | login | login | 403   | 403     | 403     | 403    | 403     | 403    | 403     | ok      | 403    | ok     | -   | -
the severity mailing lists                            | login | login | 403   | 403     | 403     | 403    | 403     | 403    | 403     | 403     | 403    | ok     | -   | -
outbound webhooks (API)                               | login | login | 403   | 403     | 403     | 403    | 403     | 403    | 403     | 403     | 403    | ok     | 403 | 403
alert intake (integration tokens only)                | login | login | 403   | 403     | 403     | 403    | 403     | 403    | 403     | 403     | 403    | 403    | 403 | 403
declare, open an item or finding, report a change     | login | login | 403   | 403     | ok      | 403    | 403     | ok     | ok      | ok      | ok     | ok     | 403 | ok
follow services and teams                             | login | login | 403   | ok      | ok      | 403    | ok      | ok     | ok      | ok      | ok     | ok     | -   | -
follow an incident                                    | login | login | 404   | ok/404  | ok/404  | 404    | ok/404  | ok     | ok/404  | ok/404  | ok     | ok     | -   | -
record on an incident: timeline, factors, postmortem  | login | login | 404   | 403/404 | ok/404  | 404    | 403/404 | ok     | ok/404  | ok/404  | ok     | ok     | 403 | ok
command an incident: edit, status, severity, roles    | login | login | 404   | 403/404 | 403/404 | 404    | 403/404 | 403    | 403/404 | ok/404  | ok     | ok     | 403 | ok
remove an attachment (its uploader, who may command) | login | login | 404   | 403/404 | 403/404 | 404    | 403/404 | 403    | 403/404 | ok/404  | ok     | ok     | 403 | ok
add or remove participants                            | login | login | 404   | 403/404 | ok/404  | 404    | 403/404 | ok/403 | ok/404  | ok/404  | ok     | ok     | 403 | ok
publish or reopen a postmortem                        | login | login | 404   | 403/404 | 403/404 | 404    | 403/404 | 403    | 403/404 | 403/404 | ok     | ok     | 403 | ok
approve or request changes (a requested reviewer)     | login | login | 404   | 403/404 | 403/404 | 404    | 403/404 | ok     | 403/404 | 403/404 | 403    | 403    | 403 | 403
delete or restore an incident                         | login | login | 404   | 403/404 | 403/404 | 404    | 403/404 | 403    | 403/404 | 403/404 | 403    | ok     | -   | -
change an action item                                 | login | login | 404   | 403/404 | ok/404  | ok     | 403/404 | ok     | ok/404  | ok/404  | ok     | ok     | 403 | ok
send an action item to a tracker (not a restricted)   | login | login | 404   | 403/404 | ok/404  | ok/403 | 403/404 | ok/403 | ok/404  | ok/404  | ok/403 | ok/403 | 403 | ok/403
edit a finding, link it to an incident                | login | login | 404   | 403/404 | ok/404  | 404    | ok      | ok     | ok/404  | ok/404  | ok     | ok     | 403 | ok
verify a finding                                      | login | login | 404   | 403/404 | ok/404  | 404    | 403     | ok     | ok/404  | ok/404  | ok     | ok     | 403 | ok
move a finding                                        | login | login | 404   | 403/404 | 403/404 | 404    | ok      | ok     | 403/404 | ok/404  | 403    | ok     | 403 | 403
accept a finding's risk                               | login | login | 404   | 403/404 | 403/404 | 404    | 403     | 403    | 403/404 | ok/404  | 403    | ok     | 403 | 403
incident types and their custom fields                | login | login | 403   | 403     | 403     | 403    | 403     | 403    | 403     | 403     | 403    | ok     | -   | -
add a service to the catalog (API)                    | login | login | 403   | 403     | 403     | 403    | 403     | 403    | ok      | ok      | 403    | ok     | 403 | 403
change a Platform service's catalog entry (API)       | login | login | 403   | 403     | 403     | 403    | 403     | 403    | 403     | ok      | 403    | ok     | 403 | 403
waive a postmortem the process rule requires          | login | login | 404   | 403/404 | 403/404 | 404    | 403/404 | 403    | 403/404 | ok/404  | 403    | ok     | 403 | 403
"""

# Which unsafe rows each write rule governs (`route METHOD`, or `route` for all its unsafe methods; `*`
# matches any characters in the route).
WRITE_RULE_ROUTES: dict[str, tuple[str, ...]] = {
    "sign in, reset a password": (
        "accounts:login", "accounts:password_reset", "accounts:password_reset_confirm",
    ),
    "a tracker's webhook (signed; an empty body is a 400)": ("incidents:tracker_webhook POST",),
    "open an invitation, given a wrong secret": ("accounts:invitation_open POST",),
    "the sign-in code step with none under way; sign out": (
        "accounts:login_code POST", "accounts:logout POST", "accounts:sign_out_everywhere POST",
    ),
    "chat servers' commands and dialogs, unsigned": (
        "incidents:mattermost_* POST", "incidents:slack_* POST",
    ),
    "one's own account: password, profile, tokens, 2FA": (
        "accounts:password_change", "accounts:profile POST", "accounts:token_create POST",
        "accounts:two_factor POST", "accounts:two_factor_disable POST", "incidents:blameless_hint POST",
    ),
    "end a session of someone else": ("accounts:session_end POST",),
    "revoke an API token (the commander's: its owner only)": ("accounts:token_revoke POST",),
    "withdraw an invitation": ("accounts:invitation_withdraw POST",),
    "settings, reassignment and invitations": (
        "accounts:invitations POST", "incidents:bulk_reassign POST", "incidents:integration_list POST",
        "incidents:service_list POST", "incidents:tag_* POST", "incidents:tracker_list POST",
    ),
    "a Platform integration, service, chat or tracker": (
        "incidents:integration_edit POST", "incidents:integration_rotate POST", "incidents:service_edit POST",
        "incidents:team_chat_edit POST", "incidents:tracker_edit POST",
    ),
    "the severity mailing lists": ("incidents:mailing_lists POST",),
    "outbound webhooks (API)": ("api:webhook-*",),
    "alert intake (integration tokens only)": ("api:integration-* POST",),
    "declare, open an item or finding, report a change": (
        "api:incident-list POST", "api:action-item-list POST", "api:policy-finding-list POST",
        "api:timeline-entry-list POST", "api:contributing-factor-list POST", "api:change-list POST",
        "api:alerts POST", "incidents:declare POST", "incidents:action_item_new POST",
        "incidents:finding_new POST",
    ),
    "follow services and teams": ("incidents:subscriptions POST",),
    "follow an incident": ("incidents:subscribe POST",),
    "record on an incident: timeline, factors, postmortem": (
        "api:contributing-factor-detail", "api:incident-postmortem POST", "api:postmortem-detail",
        "api:postmortem-request-review POST", "incidents:blameless_dismiss POST", "incidents:factor_* POST",
        "incidents:meeting* POST", "incidents:postmortem_edit POST",
        "incidents:postmortem_import POST", "incidents:postmortem_preview POST",
        "incidents:postmortem_questions POST", "incidents:postmortem_request_review POST",
        "incidents:postmortem_start POST", "incidents:timeline_* POST", "incidents:custom_fields POST",
        "api:incident-custom-fields POST", "incidents:tasks POST", "incidents:stakeholder_update POST",
        "api:incident-updates POST", "api:incident-tasks POST", "api:incident-task PATCH",
        "incidents:attachment_upload POST", "api:incident-attachments POST",
        "api:incident-review-meeting* POST",
    ),
    "command an incident: edit, status, severity, roles": (
        "api:incident-detail", "api:incident-reopen POST", "api:incident-resolve POST",
        "api:incident-roles POST", "api:incident-severity POST", "api:incident-status POST",
        "incidents:edit POST", "incidents:reopen POST", "incidents:role POST", "incidents:severity POST",
        "incidents:status POST",
    ),
    "remove an attachment (its uploader, who may command)": (
        "incidents:attachment_remove POST", "api:incident-attachment DELETE",
    ),
    "add or remove participants": (
        "api:incident-participant DELETE", "api:incident-participants POST", "incidents:participant POST",
    ),
    "publish or reopen a postmortem": (
        "api:postmortem-publish POST", "incidents:postmortem_publish POST", "incidents:postmortem_reopen POST",
    ),
    "approve or request changes (a requested reviewer)": (
        "api:postmortem-approve POST", "api:postmortem-request-changes POST", "incidents:postmortem_decide POST",
    ),
    "delete or restore an incident": ("incidents:delete POST", "incidents:restore POST"),
    "change an action item": (
        "api:action-item-confirm-effect POST", "api:action-item-detail", "api:action-item-status POST",
        "incidents:action_item_recheck POST", "incidents:action_item_recurrence POST",
        "incidents:action_item_status POST", "incidents:action_item_tracker_conflict POST",
    ),
    "send an action item to a tracker (not a restricted)": (
        "api:action-item-tracker POST", "incidents:action_item_tracker POST",
    ),
    "edit a finding, link it to an incident": ("api:policy-finding-detail", "incidents:finding_seen_again POST"),
    "verify a finding": ("api:policy-finding-verify POST", "incidents:finding_verify POST"),
    "move a finding": ("api:policy-finding-transition POST", "incidents:finding_transition POST"),
    "accept a finding's risk": ("api:policy-finding-accept-risk POST", "incidents:finding_accept_risk POST"),
    "incident types and their custom fields": (
        "incidents:incident_type_list POST", "incidents:incident_type_edit POST",
        "incidents:custom_field_edit POST", "incidents:process_rule_* POST",
    ),
    "waive a postmortem the process rule requires": (
        "incidents:postmortem_waiver POST", "api:incident-process-waiver POST",
    ),
    "add a service to the catalog (API)": ("api:service-list POST",),
    "change a Platform service's catalog entry (API)": ("api:service-detail PATCH",),
}  # fmt: skip

WRITE_POLICY = _parse(WRITE_RULES, WRITE_PERSONAS)

# --- Fields that need more than the right to edit ------------------------------------------------------------
# Rows of the writes table about one field of an edit (`PATCH /api/v1/policy-findings/{id}/`), each sent by
# the personas above with a real value (`test_capability_matrix_writes.test_field_rules`): `ok` accepted
# and stored, `400` refused naming the field (nothing stored), else as above. Its team: whoever governs the
# finding (the lead of its team, an admin), and only to a team they lead (sent: Ops, led by `lead` and
# `lead2`). Its owner or verifier (sent: the commander as verifier): whoever may move it (its owner, its
# verifier, its team's lead, an admin) and sees every incident it was seen in.
FIELD_RULES = """
rule                                                  | anon  | gone  | lone  | viewer  | resp    | owner  | fown    | verif  | lead2   | lead    | cmdr   | admin  | ro  | rw
change a finding's team (to a team one leads)         | login | login | 404   | 403/404 | 400/404 | 404    | 400     | 400    | 400/404 | ok/404  | 400    | ok     | 403 | 400
choose a finding's owner or verifier                  | login | login | 404   | 403/404 | 400/404 | 404    | ok/400  | ok     | 400/404 | ok/404  | 400    | ok     | 403 | 400
"""
FIELD_POLICY = _parse(FIELD_RULES, WRITE_PERSONAS)


def write_rules_for(route: str, method: str) -> list[str]:
    """The write rules governing `route method` (exactly one, for a well-formed policy)."""
    return [r for r, entries in WRITE_RULE_ROUTES.items() if any(_matches(e, route, method) for e in entries)]


def write_expected(rule: str, persona: str, *, scoped: bool) -> str:
    """The cell of `persona` in write rule `rule` (an `a/b` cell only on a row about an incident)."""
    cell = WRITE_POLICY[rule][persona]
    if not scoped and "/" in cell:
        raise AssertionError(f"write rule {rule!r} says {cell} for {persona} on a route about no incident")
    return cell


def _markdown(policy: dict[str, dict[str, str]], personas: tuple[str, ...], first: str = "who may") -> str:
    out = [f"| {first} | " + " | ".join(personas) + " |", "| --- |" + " --- |" * len(personas)]
    for rule, cells in policy.items():
        out.append(f"| {rule} | " + " | ".join(cells[p] for p in personas) + " |")
    return "\n".join(out)


def readme_table() -> str:
    """The README's access-control table: the policy in Markdown."""
    return _markdown(POLICY, PERSONAS)


def readme_write_table() -> str:
    """The README's table of who may write: WRITE_RULES, then FIELD_RULES, in Markdown."""
    return _markdown({**WRITE_POLICY, **FIELD_POLICY}, WRITE_PERSONAS, "who may (writes)")


README_TABLES = {
    "capability-matrix": readme_table,
    "capability-matrix-writes": readme_write_table,
}


def readme_with_tables(readme: str) -> str:
    """`readme` with each table of README_TABLES written between its `<!-- name:start -->` and
    `<!-- name:end -->` markers (which must be there)."""
    for name, table in README_TABLES.items():
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        assert start in readme, f"README.md needs {start}"
        assert end in readme.partition(start)[2], f"README.md needs {end} after {start}"
        before, _, rest = readme.partition(start)
        _, _, after = rest.partition(end)
        readme = f"{before}{start}\n{table()}\n{end}{after}"
    return readme


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--write-readme"]:
        from pathlib import Path

        path = Path(__file__).resolve().parents[2] / "README.md"
        path.write_text(readme_with_tables(path.read_text()))
    else:
        print(readme_table())
        print()
        print(readme_write_table())
