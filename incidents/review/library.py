"""The postmortem library (reads): published postmortems a viewer may see, filtered and searched, the
lessons across them, and read receipts ("12 of 30 engineers on Platform read it").

Every list goes through `published_postmortems_visible_to` (incidents/permissions/review.py): a restricted
incident's postmortem is found only by those inside it. Filters are semi-joins on the incident, so a
postmortem is one row however many services, teams, tags or factors match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import Membership, Team
from incidents.incident.models import REFERENCE
from incidents.models import ContributingFactor, Incident, Postmortem, PostmortemRead, Service
from incidents.permissions.review import published_postmortems_visible_to

#: Postmortems per library page.
PER_PAGE = 20
#: At most this many words of a query are matched (each must appear).
MAX_WORDS = 8


@dataclass
class LibraryFilters:
    """What the library is narrowed to. Slugs for service and team, a severity value, a factor category
    value, a tag name, `q` (words that must each appear in the incident's title or a section, or a part
    of the name or slug of a service the incident affected, or the incident's reference: `INC-2`), and
    published times as UTC-aware instants, half-open `[since, until)`."""

    q: str = ""
    service: str = ""
    team: str = ""
    severity: str = ""
    category: str = ""
    tag: str = ""
    since: datetime | None = None
    until: datetime | None = None


def _words(query: str) -> list[str]:
    return [w for w in re.split(r"\s+", (query or "").strip().strip("\"'")) if w][:MAX_WORDS]


def library_postmortems(user: Any, filters: LibraryFilters | None = None) -> QuerySet[Postmortem]:
    """Published postmortems `user` may see matching `filters`, newest publication first, with the incident
    joined, its services (with their team), teams and tags prefetched and `read_count` (people who opened it) annotated.

    Query cost of a page: the page's rows (one query, the count annotated) and one per prefetch (three),
    whatever the number of rows; a paginator adds one count."""
    f = filters or LibraryFilters()
    qs = published_postmortems_visible_to(user)
    if f.severity:
        qs = qs.filter(incident__severity=f.severity)
    if f.service:
        qs = qs.filter(incident__in=Incident.objects.filter(services__slug=f.service).values("id"))
    if f.team:
        on_team = Q(teams__slug=f.team) | Q(services__team__slug=f.team)
        qs = qs.filter(incident__in=Incident.objects.filter(on_team).values("id"))
    if f.tag:
        qs = qs.filter(incident__in=Incident.objects.filter(tags__name=f.tag).values("id"))
    if f.category:
        with_factor = ContributingFactor.objects.filter(category=f.category).values("incident_id")
        qs = qs.filter(incident__in=with_factor)
    if f.since is not None:
        qs = qs.filter(published_at__gte=f.since)
    if f.until is not None:
        qs = qs.filter(published_at__lt=f.until)
    words = _words(f.q)
    if words:
        text = Q()
        for word in words:
            text &= Q(incident__title__icontains=word) | Q(sections__icontains=word)
        phrase = " ".join(words)
        by_service = Incident.objects.filter(
            Q(services__name__icontains=phrase) | Q(services__slug__icontains=phrase)
        ).values("id")
        text |= Q(incident__in=by_service)
        reference = REFERENCE.match(f.q)
        if reference:
            text |= Q(incident__number=int(reference.group(1)))
        qs = qs.filter(text)
    return (
        qs.select_related("incident")
        .prefetch_related(
            Prefetch("incident__services", queryset=Service.objects.select_related("team").order_by("name")),
            Prefetch("incident__teams", queryset=Team.objects.order_by("name")),
            "incident__tags",
        )
        .annotate(read_count=Count("reads", distinct=True))
        .order_by("-published_at", "-pk")
    )


def postmortem_teams(postmortem: Postmortem) -> list[Team]:
    """The teams a published postmortem belongs to, by name: its incident's teams and the teams owning
    the services it affected (what the library's team filter matches). Reads what `library_postmortems`
    prefetched: no query."""
    incident = postmortem.incident
    teams = {t.pk: t for t in incident.teams.all()}
    for service in incident.services.all():
        if service.team is not None:
            teams.setdefault(service.team.pk, service.team)
    return sorted(teams.values(), key=lambda t: (t.name.lower(), t.pk))


def library_lessons(user: Any, filters: LibraryFilters | None = None) -> QuerySet[Postmortem]:
    """The postmortems of `library_postmortems` that have a written Lessons section (same order, joins)."""
    return (
        library_postmortems(user, filters).filter(sections__has_key="lessons").exclude(sections__lessons="")
    )


@dataclass
class ReadStats:
    """Who opened a published postmortem. `members` counts the active people in the teams the incident
    concerns (its teams and its services' teams, `teams` their names), `members_read` those of them who
    opened it, `readers` everyone who opened it; `viewer_read` whether the asking person has."""

    teams: list[str] = field(default_factory=list)
    members: int = 0
    members_read: int = 0
    readers: int = 0
    viewer_read: bool = False


def postmortem_read_stats(postmortem: Postmortem, viewer: Any) -> ReadStats:
    """The read receipts of `postmortem` as `ReadStats`, in three queries (team names, team size, the
    receipts counted in one aggregate). Counts only: no reader is named."""
    incident_id = postmortem.incident_id
    teams = Team.objects.filter(Q(incidents=incident_id) | Q(services__incidents=incident_id)).distinct()
    names = sorted(set(teams.values_list("name", flat=True)))
    member_ids = Membership.objects.filter(team__in=teams.values("id"), user__is_active=True).values(
        "user_id"
    )
    members = get_user_model().objects.filter(pk__in=member_ids).count() if names else 0
    viewer_id = getattr(viewer, "pk", None)
    counts = PostmortemRead.objects.filter(postmortem=postmortem).aggregate(
        readers=Count("pk"),
        members_read=Count("pk", filter=Q(user_id__in=member_ids)),
        mine=Count("pk", filter=Q(user_id=viewer_id)),
    )
    return ReadStats(
        teams=names,
        members=members,
        members_read=counts["members_read"] if names else 0,
        readers=counts["readers"],
        viewer_read=bool(counts["mine"]),
    )
