"""Web forms for action items and policy findings. They parse input; the services enforce the rules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.utils import timezone

from accounts.models import Team, User
from incidents.incident.person_fields import PersonField
from incidents.inputs import TextField
from incidents.models import (
    ActionItemStatus,
    ActionItemType,
    FindingArea,
    FindingStatus,
    Incident,
    PolicyFinding,
    Priority,
    Risk,
)
from incidents.permissions.followup import FINDING_TEAM_KEPT, can_govern_finding, finding_teams_offered
from incidents.permissions.people import (
    ITEM_OWNER_KEPT,
    finding_people_refusal,
    item_owner_scope,
    item_owners_offered,
    may_choose_item_owner,
    users_visible_on,
    users_visible_to,
    users_who_may_hold_finding,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)  # type: ignore[arg-type]


def person_field() -> PersonField:
    """An owner or verifier field: nobody until chosen; whom it accepts and lists is set per form."""
    return PersonField(required=False, empty_label="— nobody yet —")


def past_due_field() -> forms.BooleanField:
    """The confirmation a past due date needs (`warn_past_due`): hidden until one is entered."""
    return forms.BooleanField(
        required=False, widget=forms.HiddenInput, label="Yes, keep this due date in the past"
    )


class WorkForm(forms.Form):
    """The edit form of an action item or a finding: `FIELDS` are the fields it edits (besides `version`)."""

    FIELDS: tuple[str, ...] = ()


class ActionItemForm(WorkForm):
    """Create or edit an action item. `version` is the version the editor loaded (stale edits are refused).

    The owner is chosen among `item_owners_offered(user, ...)` (on an incident, those who may record on
    it: no read-only viewers, nobody who cannot see it; on none, members); `keep_owner_id`, the owner the
    item has, stays a choice even if they lost that right, until someone changes it. An editor who may not
    choose the owner (`may_choose_item_owner`: they cannot see the item's incident) sees only the owner it
    has, the field disabled, and no incident named."""

    title = TextField(max_length=200)
    description = TextField(widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text="Markdown.")
    owner = person_field()
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(),
        required=False,
        help_text="Empty: the incident's team (or its service's).",
    )
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.P2)
    type = forms.ChoiceField(choices=ActionItemType.choices, initial=ActionItemType.PREVENT)
    due_date = forms.DateField(
        widget=DateInput(),
        required=False,
        help_text="The owner's local date. Empty: the priority's target (P1 14 days, P2 30, P3 90).",
    )
    tracker_url = forms.URLField(required=False, label="Tracker URL")
    success_criteria = TextField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="How we will know it worked"
    )
    recheck_date = forms.DateField(
        widget=DateInput(),
        required=False,
        help_text="On this date the owner is asked to confirm the effect.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    confirm_past_due = past_due_field()  # shown (a checkbox) once a past due date is entered

    FIELDS = (
        "title", "description", "owner", "team", "priority", "type", "due_date", "tracker_url",
        "success_criteria", "recheck_date",
    )  # fmt: skip

    def __init__(
        self,
        *args: Any,
        user: Any,
        incident: Incident | None = None,
        finding: Any = None,
        keep_owner_id: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        owner = cast(PersonField, self.fields["owner"])
        # Listed: whom the service accepts (`items._check_item_owner`). Accepted here: anyone the user may
        # pick, so someone who may not own it hears why from the service, and anyone else is refused as
        # an id that names nobody.
        kept = User.objects.filter(pk=keep_owner_id) if keep_owner_id is not None else User.objects.none()
        owner.queryset = kept
        if may_choose_item_owner(user, incident=incident, finding=finding):
            pickable = users_visible_on(user, item_owner_scope(incident=incident, finding=finding))
            owner.queryset = (pickable | kept).order_by("display_name", "email")
        owner.offered = item_owners_offered(
            user, incident=incident, finding=finding, keep_owner_id=keep_owner_id
        )
        if not may_choose_item_owner(user, incident=incident, finding=finding):
            owner.disabled = True  # the owner it has is kept, whatever is posted
            owner.help_text = ITEM_OWNER_KEPT
        elif incident is not None:
            owner.help_text = f"Someone who may record on {incident.reference}."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        warn_past_due(self, data)
        return data


def warn_past_due(form: forms.Form, data: dict[str, Any]) -> None:
    """A `due_date` before the owner's today (the viewer's when there is no `owner`), newly entered, is a
    warning on `due_date` (so nothing is saved) until the form's `confirm_past_due` field, then shown as a
    checkbox, is ticked: such an item is overdue the moment it is saved. A past date the item already had
    (`form.initial`) needs nothing. Every action-item form with a due date calls this from `clean`."""
    due = data.get("due_date")
    if due is None or due == form.initial.get("due_date") or data.get("confirm_past_due"):
        return
    owner = data.get("owner")
    zone = owner.tzinfo if owner is not None else timezone.get_current_timezone()
    today = timezone.now().astimezone(zone).date()
    if due < today:
        form.fields["confirm_past_due"].widget = forms.CheckboxInput()
        form.add_error(
            "due_date",
            f"{due:%-d %B %Y} is in the past (today is {today:%-d %B %Y} for the owner): the item would be "
            "overdue at once. Tick “Yes, keep this due date in the past” to save it anyway.",
        )


def lifecycle_move_form(statuses: list[tuple[str, str]], *, rows: int, max_length: int) -> type[forms.Form]:
    """The form of a move along a lifecycle from a detail page: the new status (one of `statuses`), a note
    (`rows` high, at most `max_length` characters) and the version the person read."""

    class LifecycleMoveForm(forms.Form):
        status = forms.ChoiceField(choices=statuses)
        note = TextField(widget=forms.Textarea(attrs={"rows": rows}), required=False, max_length=max_length)
        version = forms.IntegerField(required=False)

    return LifecycleMoveForm


ItemStatusForm = lifecycle_move_form(ActionItemStatus.choices, rows=2, max_length=5000)


class RecheckForm(forms.Form):
    worked = forms.TypedChoiceField(
        choices=[("yes", "It worked"), ("no", "It did not work")], coerce=lambda v: v == "yes"
    )
    note = TextField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000)


class RecurrenceReviewForm(forms.Form):
    note = TextField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
    reopen = forms.BooleanField(required=False, label="Reopen the item")


class FindingForm(WorkForm):
    area = forms.ChoiceField(choices=FindingArea.choices)
    title = TextField(max_length=200)
    description = TextField(widget=forms.Textarea(attrs={"rows": 5}), required=False, help_text="Markdown.")
    risk = forms.ChoiceField(choices=Risk.choices, initial=Risk.MEDIUM)
    owner = person_field()
    verifier = person_field()
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False)
    due_date = forms.DateField(widget=DateInput(), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    FIELDS = ("area", "title", "description", "risk", "owner", "verifier", "team", "due_date")

    def __init__(
        self,
        *args: Any,
        user: Any,
        finding: PolicyFinding | None = None,
        incidents: Iterable[Incident] = (),
        **kwargs: Any,
    ) -> None:
        """`finding` when editing one (else `incidents`, those the new one is seen in): the owner and
        verifier are chosen among `users_who_may_hold_finding` (who may see every one of its incidents),
        plus the ones it has; an editor who may not choose them (`finding_people_refusal`: they may not
        move it, or do not see all its incidents) sees them disabled with the reason. Its team is chosen
        among `finding_teams_offered`; for an editor who does not govern it, disabled."""
        super().__init__(*args, **kwargs)
        linked = list(finding.incidents.all()) if finding is not None else list(incidents)
        refusal = finding_people_refusal(user, finding) if finding is not None else None
        may_choose = refusal is None
        pickable = users_visible_on(user, linked) if may_choose else User.objects.none()
        holders = users_who_may_hold_finding(linked).filter(pk__in=pickable.values("pk"))
        for name in ("owner", "verifier"):
            field = cast(PersonField, self.fields[name])
            kept: int | None = getattr(finding, f"{name}_id", None)
            also = User.objects.filter(pk=kept) if kept is not None else User.objects.none()
            # Accepted: anyone the editor may pick (the service says why one may not hold it); listed:
            # those of them who may, and the one it has (kept until someone changes it).
            field.queryset = (pickable | also).order_by("display_name", "email")
            field.offered = (holders | also).order_by("display_name", "email")
            if refusal is not None:
                field.disabled = True
                field.help_text = refusal
        if may_choose:
            self.fields["verifier"].help_text = "Who will verify the fix (someone other than the owner)."
        if finding is not None:
            team = cast(forms.ModelChoiceField, self.fields["team"])
            team.queryset = finding_teams_offered(user, finding)
            if not can_govern_finding(user, finding):
                team.disabled = True
                team.help_text = FINDING_TEAM_KEPT


class FindingTransitionForm(lifecycle_move_form(FindingStatus.choices, rows=3, max_length=10000)):  # type: ignore[misc]
    """A finding's move, with the confirmation that closing it with open remediation items is meant."""

    close_with_open_items = forms.BooleanField(
        required=False, label="Close it with its remediation items still open"
    )


class VerifyForm(forms.Form):
    evidence = TextField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=10000,
        help_text="What you checked yourself, and how.",
    )
    version = forms.IntegerField(required=False)


class AcceptRiskForm(forms.Form):
    until = forms.DateField(widget=DateInput(), required=False, label="Accepted until")
    reason = TextField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000)
    version = forms.IntegerField(required=False)


class SeenAgainForm(forms.Form):
    incident = forms.IntegerField(min_value=1, label="Incident number", help_text="For INC-42, type 42.")


class FindingFilters(forms.Form):
    area = forms.ChoiceField(choices=[("", "Any area"), *FindingArea.choices], required=False)
    status = forms.ChoiceField(
        choices=[("", "Any status"), ("unclosed", "Not closed"), *FindingStatus.choices], required=False
    )
    risk = forms.ChoiceField(choices=[("", "Any risk"), *Risk.choices], required=False)
    owner = forms.ModelChoiceField(
        queryset=User.objects.order_by("display_name", "email"), required=False, empty_label="Any owner"
    )
    overdue = forms.BooleanField(required=False, label="Overdue only")


class ItemFilters(forms.Form):
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(), required=False, empty_label="All teams", to_field_name="slug"
    )
    owner = forms.ModelChoiceField(
        queryset=User.objects.order_by("display_name", "email"), required=False, empty_label="Any owner"
    )
    status = forms.ChoiceField(
        choices=[("", "Any status"), ("open_all", "Open, in progress or blocked"), *ActionItemStatus.choices],
        required=False,
    )
    priority = forms.ChoiceField(choices=[("", "Any priority"), *Priority.choices], required=False)
    overdue = forms.BooleanField(required=False, label="Overdue only")


class ReassignForm(forms.Form):
    """Bulk reassignment: the work goes to someone `user` may pick (`users_visible_to`: their teams';
    admins anyone active); each item and finding then takes them only if they may hold it (the services
    say why not)."""

    new_owner = PersonField(label="Give the selected work to")
    items = forms.TypedMultipleChoiceField(coerce=int, required=False)
    findings = forms.TypedMultipleChoiceField(coerce=int, required=False)
    next = TextField(required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(PersonField, self.fields["new_owner"]).queryset = users_visible_to(user)
        data = self.data
        # The choices are the posted ids; which of them the actor may touch is decided by the selectors.
        if hasattr(data, "getlist"):
            for name in ("items", "findings"):
                cast(forms.TypedMultipleChoiceField, self.fields[name]).choices = [
                    (v, v) for v in data.getlist(name)
                ]
