"""Demo data: the GitLab.com database outage of 31 January 2017, in our own words (`load_demo`)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from incidents.demo.followup import load_gitlab_followup
from incidents.demo.gitlab import load_gitlab_factor_notes, load_gitlab_incident
from incidents.demo.people import load_people, load_services
from incidents.demo.review import load_gitlab_review
from incidents.notify import services as notify

# The order `load_demo` runs them in. Append new loaders at the end (or after what they need).
LOADERS: list[Callable[[], None]] = [
    load_people,
    load_services,
    load_gitlab_incident,
    load_gitlab_factor_notes,
    load_gitlab_followup,
    # The review links the follow-through demo's items and finding, so it runs after it.
    load_gitlab_review,
]


def load_demo(log: Callable[[str], None] | None = None) -> None:
    """Run every loader in `LOADERS` in one transaction: all of the demo is loaded, or none of it.

    Silenced (`notify.silenced`): the demo describes 2017, so it queues no email, chat post or webhook to
    the demo people; the reminder sweeps treat its items like any others from then on."""
    with notify.silenced(), transaction.atomic():
        for loader in LOADERS:
            loader()
            if log:
                log(f"  {loader.__name__}: done")
