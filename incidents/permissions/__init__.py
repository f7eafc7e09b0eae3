"""The one place where Hindsight decides who may see and do what.

Pages, the API, search, exports, emails, digests and webhooks call these predicates and queryset scopes;
nothing else decides permissions. Anything a user may not see is reported as "not found" (404) by callers.

Roles:
- admin: `is_staff` or `is_superuser` (sees everything, manages teams, services and templates);
- member: an active user with at least one team membership; roles per team are viewer, responder, lead;
- per incident: commander, communications lead, scribe, participant, reviewer (postmortem), declarer (who
  is made a participant, and sees a restricted incident only while one: removal takes access away).

Visibility: an `internal` incident is seen by every member; a `restricted` one by its participants and
admins only. An action-item owner who cannot see the incident still sees and can close their own item.
A soft-deleted incident, and everything recorded on it, is seen by admins only.

Capabilities (the README "Security" section has the same table): declare `can_declare`; record on an
incident `can_record`; command it `can_command`; write the review `can_write_review`, decide on it
`can_decide_review`, publish and reopen it `can_conclude_review`; create an action item
`can_create_action_item` (on an incident only with the right to record there: owning a finding gives none),
edit one `can_edit_action_item`, give one to someone `may_choose_item_owner` (only who sees its incident); open a finding `can_create_finding`, edit it `can_edit_finding`, own or verify it `can_hold_finding` (who
sees every incident it is seen in; chosen by who sees them all: `may_choose_finding_people`), move it
`can_move_finding` (owner, verifier, its team's lead, admin), verify it `can_verify_finding`, accept its
risk `can_accept_finding_risk` (its team's lead or an admin, never anyone who owned it: `has_owned_finding`); reassign work
`can_reassign_work`; pick a person `can_choose_person` (`users_visible_to`; every field that takes a person
is judged by `refuse_people`: someone one may not pick is refused as an id that names nobody), add or remove participants
`can_manage_participants`; settings `can_manage_settings` / `can_manage_team`. Write services apply them through
`authorize` and the `require_*` checks.

Every answer is computed from the database state of the request it is asked in: nothing is granted by a
subscription, a notification or an earlier visit, so making an incident restricted, removing a membership
or deactivating a user takes effect on the next request. Answers are cached on the user object, which
Django builds afresh for every request (and tasks load afresh), so the cache lives for one request at
most; `permission_cache_clear` empties it for code that changes memberships and asks again.

Modules: `roles.py` (admin, member, responder, lead; settings pages), `incident.py` (incidents and what is
recorded on them, subscriptions), `followup.py` (action items, policy findings, another person's work),
`review.py` (postmortems, factors' recurrences), `outbound.py` (what may leave Hindsight: webhooks, trackers,
chat channels), `people.py` (whom a person may pick for a role, as a participant or owner; who may record
on an incident, as user querysets), `checks.py` (SYSTEM, `actor_user`, `authorize`, `require_*`).
"""
