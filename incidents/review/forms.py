"""Forms for the blameless review pages. They parse input; `incidents.review.services.postmortems` enforces the rules."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Team, User
from incidents.followup.forms import past_due_field, warn_past_due
from incidents.incident.forms import LocalDateTimeField
from incidents.incident.person_fields import PeopleField, PersonField
from incidents.inputs import BoundedDateField, BoundedIntegerField, TextField
from incidents.models import (
    POSTMORTEM_SECTIONS,
    ActionItem,
    ActionItemType,
    ContributingFactor,
    FactorCategory,
    Incident,
    PostmortemTemplate,
    ReviewDecision,
    Service,
    Severity,
    Tag,
    TestType,
    TimelineEntry,
    section_prompt,
)
from incidents.permissions.people import (
    users_visible_to,
    users_who_may_attend,
    users_who_may_own,
    users_who_may_review,
)
from incidents.review.documents import UNNOTICED_FROM_MILESTONES, Unnoticed, unnoticed_for
from incidents.review.library import LibraryFilters
from incidents.timefmt import format_time

# The longest duration the questions take: ten years, in minutes (stored in seconds, it fits any column).
MAX_MINUTES = 10 * 366 * 24 * 60
TRI_STATE = [("", "Not answered"), ("yes", "Yes"), ("no", "No")]


def _tri(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _untri(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class PostmortemStartForm(forms.Form):
    template = forms.ModelChoiceField(queryset=PostmortemTemplate.objects.all(), empty_label=None)


class PostmortemEditForm(forms.Form):
    """One Markdown textarea per section and the version the editor started from. Each box shows its
    `template`'s prompt (`section_prompt`) as placeholder and help text, never as text to publish."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, preview_url: str = "", template: PostmortemTemplate | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for key, label in POSTMORTEM_SECTIONS:
            prompt = section_prompt(template, key)
            self.fields[key] = TextField(
                label=label,
                required=False,
                strip=False,
                help_text=prompt,
                widget=forms.Textarea(
                    attrs={
                        **({"placeholder": prompt} if prompt else {}),
                        "rows": 5,
                        "class": "md-source",
                        "aria-label": label,
                        "data-section": key,
                        "hx-post": preview_url,
                        "hx-trigger": "input changed delay:600ms",
                        "hx-target": f"#preview-{key}",
                        "hx-vals": f'{{"section": "{key}"}}',
                    }
                ),
            )

    def sections(self) -> dict[str, str]:
        return {k: self.cleaned_data.get(k, "").replace("\r\n", "\n") for k, _ in POSTMORTEM_SECTIONS}


class PreviewForm(forms.Form):
    section = forms.ChoiceField(choices=POSTMORTEM_SECTIONS)


class QuestionsForm(forms.Form):
    """The detection and change questions. Durations are typed in minutes and stored in seconds."""

    detection_method = forms.ChoiceField(
        required=False,
        label="How was it detected?",
        choices=[
            ("", "Not answered"),
            ("alert", "Alert"),
            ("customer", "Customer report"),
            ("employee", "Employee"),
            ("chance", "By chance"),
        ],
    )
    unnoticed_minutes = BoundedIntegerField(
        max_value=MAX_MINUTES, required=False, label="How long did it go unnoticed? (minutes)"
    )
    should_have_caught = TextField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Which test or alert should have caught it?",
    )
    behind_feature_flag = forms.ChoiceField(
        required=False, choices=TRI_STATE, label="Was the change behind a feature flag?"
    )
    flag_off_minutes = BoundedIntegerField(
        max_value=MAX_MINUTES, required=False, label="How long did switching it off take? (minutes)"
    )
    staging_matched = forms.ChoiceField(
        required=False, choices=TRI_STATE, label="Did staging match production for what broke?"
    )
    staging_notes = TextField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Staging notes")
    single_person_change = forms.ChoiceField(
        required=False,
        choices=TRI_STATE,
        label="Could one person make this change alone?",
        help_text="Yes opens an access-control policy finding linked to the incident.",
    )

    def __init__(self, *args: Any, unnoticed: Unnoticed | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if unnoticed is not None and unnoticed.source == UNNOTICED_FROM_MILESTONES:
            self.fields[
                "unnoticed_minutes"
            ].help_text = (
                f"From the milestones: {unnoticed.text}. An answer must be the same to within a minute."
            )

    @classmethod
    def initial_for(cls, pm: Any) -> dict[str, Any]:
        """The form's values for `pm`; "unnoticed" is `documents.unnoticed_for` (the milestones' figure
        when the incident has a detection time), in whole minutes."""
        unnoticed = unnoticed_for(pm).seconds
        return {
            "detection_method": pm.detection_method,
            "unnoticed_minutes": None if unnoticed is None else unnoticed // 60,
            "should_have_caught": pm.should_have_caught,
            "behind_feature_flag": _tri(pm.behind_feature_flag),
            "flag_off_minutes": None if pm.flag_off_seconds is None else pm.flag_off_seconds // 60,
            "staging_matched": _tri(pm.staging_matched),
            "staging_notes": pm.staging_notes,
            "single_person_change": _tri(pm.single_person_change),
        }

    def answers(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "detection_method": d["detection_method"],
            "unnoticed_seconds": None if d["unnoticed_minutes"] is None else d["unnoticed_minutes"] * 60,
            "should_have_caught": d["should_have_caught"],
            "behind_feature_flag": _untri(d["behind_feature_flag"]),
            "flag_off_seconds": None if d["flag_off_minutes"] is None else d["flag_off_minutes"] * 60,
            "staging_matched": _untri(d["staging_matched"]),
            "staging_notes": d["staging_notes"],
            "single_person_change": _untri(d["single_person_change"]),
        }


class RequestReviewForm(forms.Form):
    """Ask reviewers: listed, whom `user` may pick who may review (`users_who_may_review`: on a restricted
    incident, responders taking part in it); accepted, anyone `user` may pick (the service says why one
    may not review, naming them); anyone else is refused as an id that names nobody."""

    reviewers = PeopleField()

    def __init__(self, *args: Any, postmortem: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(PeopleField, self.fields["reviewers"])
        field.queryset = users_visible_to(user, postmortem.incident)
        field.offered = users_who_may_review(postmortem).filter(pk__in=field.queryset.values("pk"))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(ReviewDecision.APPROVED, "Approve"), (ReviewDecision.CHANGES_REQUESTED, "Request changes")]
    )
    comment = TextField(required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Markdown.")
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReasonForm(forms.Form):
    reason = TextField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class DismissForm(forms.Form):
    section = forms.ChoiceField(choices=POSTMORTEM_SECTIONS)
    rule = TextField(max_length=50)
    text = TextField(max_length=255)
    reason = TextField(max_length=2000)


class FactorForm(forms.Form):
    category = forms.ChoiceField(choices=FactorCategory.choices)
    title = TextField(max_length=200)
    description = TextField(required=False, widget=forms.Textarea(attrs={"rows": 5}), help_text="Markdown.")
    evidence_entries = forms.ModelMultipleChoiceField(
        queryset=TimelineEntry.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Evidence (timeline entries)",
    )
    missing_test_types = forms.MultipleChoiceField(
        choices=TestType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Missing test types (testing gap only)",
    )
    recurrence_of = forms.ModelChoiceField(
        queryset=ContributingFactor.objects.none(),
        required=False,
        label="Same factor as in an earlier incident",
    )
    action_items = forms.ModelMultipleChoiceField(
        queryset=ActionItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Link action items",
    )

    def __init__(
        self, *args: Any, incident: Incident, visible_incidents: QuerySet[Incident], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(Any, self.fields["evidence_entries"]).queryset = TimelineEntry.objects.filter(
            incident=incident, removed_at__isnull=True
        ).order_by("occurred_at", "id")
        cast(Any, self.fields["recurrence_of"]).queryset = (
            ContributingFactor.objects.filter(incident__in=visible_incidents, recurrence_of__isnull=True)
            .exclude(incident=incident)
            .select_related("incident")
            .order_by("-incident__started_at", "id")
        )
        cast(Any, self.fields["action_items"]).queryset = ActionItem.objects.filter(
            incident=incident
        ).order_by("id")
        cast(Any, self.fields["recurrence_of"]).label_from_instance = lambda f: (
            f"{f.incident.reference}: {f.title}"
        )
        # Entries are labelled in the viewer's zone, like the timeline they come from.
        cast(Any, self.fields["evidence_entries"]).label_from_instance = lambda e: (
            f"{format_time(e.occurred_at)} {e.text_in()[:60]}"
        )


class QuickFactorForm(forms.Form):
    category = forms.ChoiceField(
        choices=FactorCategory.choices, widget=forms.Select(attrs={"aria-label": "Factor category"})
    )
    title = TextField(max_length=200)


class QuickActionForm(forms.Form):
    title = TextField(max_length=200)
    factor = forms.ModelChoiceField(
        queryset=ContributingFactor.objects.none(),
        required=False,
        widget=forms.Select(attrs={"aria-label": "Addresses factor"}),
    )
    type = forms.ChoiceField(
        choices=ActionItemType.choices,
        initial=ActionItemType.PREVENT,
        widget=forms.Select(attrs={"aria-label": "Action item type"}),
    )
    due_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "aria-label": "Due date"}, format="%Y-%m-%d"),
    )
    owner = PersonField(
        required=False,
        empty_label="— no owner yet —",
        widget=forms.Select(attrs={"aria-label": "Owner"}),
    )
    confirm_past_due = past_due_field()

    def __init__(self, *args: Any, incident: Incident, facilitator: Any = None, **kwargs: Any) -> None:
        """`facilitator` (the person running the meeting, who chooses) is the owner proposed, when they may
        record; owners are listed among the people they may pick who may record on `incident`, and
        accepted among all they may pick (the service says why one may not own it)."""
        super().__init__(*args, **kwargs)
        cast(Any, self.fields["factor"]).queryset = ContributingFactor.objects.filter(incident=incident)
        owner = cast(PersonField, self.fields["owner"])
        owner.queryset = users_visible_to(facilitator, incident)
        owner.offered = users_who_may_own(incident).filter(pk__in=owner.queryset.values("pk"))
        if facilitator is not None and getattr(facilitator, "pk", None):
            self.fields["owner"].initial = facilitator.pk

    def clean(self) -> dict[str, Any]:
        """A past due date is a warning until confirmed (`warn_past_due`), as on the action-item form."""
        data = super().clean() or {}
        warn_past_due(self, data)
        return data


class MeetingForm(forms.Form):
    """Meeting mode's notes: the time, who attended (anyone `user` may pick on `postmortem`'s incident, and
    those recorded; without a postmortem, nobody), open questions and notes."""

    meeting_at = LocalDateTimeField(required=False, label="Meeting time")
    attendees = PeopleField(required=False)
    open_questions = TextField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Markdown."
    )
    notes = TextField(required=False, widget=forms.Textarea(attrs={"rows": 8}), help_text="Markdown.")

    def __init__(self, *args: Any, postmortem: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if postmortem is not None:
            field = cast(PeopleField, self.fields["attendees"])
            recorded = User.objects.filter(pk__in=postmortem.meeting_attendees.values("pk"))
            pickable = users_visible_to(user, postmortem.incident)
            field.queryset = (pickable | recorded).order_by("display_name", "email")


class MeetingInviteForm(forms.Form):
    """Schedule or move the review meeting: the start in the facilitator's zone, a duration, attendees
    among the incident's people (`users_who_may_attend`)."""

    starts_at = LocalDateTimeField(label="Starts", error_messages={"required": "Give the meeting's start."})
    duration_minutes = forms.TypedChoiceField(
        label="Duration",
        coerce=int,
        choices=[
            (15, "15 min"),
            (30, "30 min"),
            (45, "45 min"),
            (60, "1 hour"),
            (90, "1 h 30 min"),
            (120, "2 hours"),
        ],
        initial=60,
    )
    attendees = PeopleField(error_messages={"required": "Invite at least one person."})

    def __init__(self, *args: Any, incident: Incident | None = None, user: Any = None, **kwargs: Any) -> None:
        """Attendees are listed among `incident`'s people whom `user` may pick (none without an
        incident), and accepted among all `user` may pick (the service says why one may not attend)."""
        super().__init__(*args, **kwargs)
        if incident is not None:
            field = cast(PeopleField, self.fields["attendees"])
            field.queryset = users_visible_to(user, incident)
            field.offered = users_who_may_attend(incident).filter(pk__in=field.queryset.values("pk"))


class ImportForm(forms.Form):
    file = forms.FileField(help_text="A Hindsight Markdown (.md) or JSON (.json) export.")
    version = forms.IntegerField(widget=forms.HiddenInput)


class LibraryFilterForm(forms.Form):
    """The postmortem library's search and filters. Dates are the viewer's local dates of publication,
    both included; every bad value is a form error (the page answers 400 with the message)."""

    q = TextField(required=False, max_length=200, label="Search")
    service = forms.ChoiceField(required=False)
    team = forms.ChoiceField(required=False)
    severity = forms.ChoiceField(required=False)
    category = forms.ChoiceField(
        choices=[("", "Any factor"), *FactorCategory.choices], required=False, label="Factor category"
    )
    tag = forms.ChoiceField(required=False)
    since = BoundedDateField(
        required=False, label="Published from", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = BoundedDateField(required=False, label="to", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = {
            "service": [("", "Any service"), *Service.objects.values_list("slug", "name")],
            "team": [("", "Any team"), *Team.objects.values_list("slug", "name")],
            "severity": [("", "Any severity"), *Severity.choices],
            "tag": [("", "Any tag"), *((n, n) for n in Tag.objects.values_list("name", flat=True))],
        }
        for name, values in choices.items():
            cast(forms.ChoiceField, self.fields[name]).choices = values

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date must be on or after the start date.")
        return data

    def to_filters(self) -> LibraryFilters:
        """The cleaned values as `LibraryFilters`: `since` from the start of its local day, `until` to the
        end of its (UTC-aware instants in the active zone)."""
        data = self.cleaned_data
        zone = timezone.get_current_timezone()
        since, until = data.get("since"), data.get("until")
        return LibraryFilters(
            q=data.get("q") or "",
            service=data.get("service") or "",
            team=data.get("team") or "",
            severity=data.get("severity") or "",
            category=data.get("category") or "",
            tag=data.get("tag") or "",
            since=datetime.combine(since, time.min, tzinfo=zone) if since else None,
            until=datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone) if until else None,
        )
