"""The page forms' fields for people: `PersonField` (one) and `PeopleField` (several), the only ones a
form that takes a user id uses (tests/security/test_person_fields.py walks them).

Each accepts its `queryset`, whom the user may pick (`permissions.people.users_visible_on`, and whoever
the field holds now), and lists its `offered` people, those of them who may hold it. An id outside
`queryset`, whether it names nobody or someone the user may not pick, gets `NOT_PICKABLE`, byte for byte
the same; someone accepted but not listed reaches the service, which says why they may not hold it,
naming them (the user may see them).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.forms.models import ModelChoiceIterator

from accounts.models import User

NOT_PICKABLE = "Choose a person from the suggestions (people in your teams or taking part in this incident)."


class _OfferedChoices(ModelChoiceIterator):
    """The choices of a person field: its `offered` people when it has them, else its `queryset`."""

    def __init__(self, field: Any) -> None:
        super().__init__(field)
        if getattr(field, "offered", None) is not None:
            self.queryset = field.offered


class _PeopleChoices:
    """What the page forms' person fields share: `queryset` is whom the field accepts (the people the
    user may pick, `permissions.people.users_visible_on`, and whoever the field holds now), `offered`
    (optional) whom it lists (those of them who may hold it). An id outside `queryset`, whether it names
    nobody or someone the user may not pick, gets the field's one message (`NOT_PICKABLE`), byte for byte;
    someone accepted but not offered reaches the service, which says why, naming them."""

    iterator: type[ModelChoiceIterator] = _OfferedChoices
    _offered: Any = None

    @property
    def offered(self) -> Any:
        return self._offered

    @offered.setter
    def offered(self, people: Any) -> None:
        self._offered = people
        cast(Any, self).widget.choices = cast(Any, self).choices


class PersonField(_PeopleChoices, forms.ModelChoiceField):
    """The page forms' one field for a person, by id (`_PeopleChoices`: accepts `queryset`, lists
    `offered`), with one clear message for anyone else."""

    default_error_messages = {"invalid_choice": NOT_PICKABLE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", User.objects.none())
        super().__init__(*args, **kwargs)


class PeopleField(_PeopleChoices, forms.ModelMultipleChoiceField):
    """The page forms' one field for several people (`_PeopleChoices`): an id outside `queryset` gets
    `NOT_PICKABLE`, never naming the id sent."""

    default_error_messages = {"invalid_choice": NOT_PICKABLE, "invalid_pk_value": NOT_PICKABLE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", User.objects.none())
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(*args, **kwargs)
