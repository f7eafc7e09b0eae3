"""Demo data for `python manage.py load_demo` (and so for `make run`).

The demo is a handful of teams, people in several time zones, services, and the GitLab.com database
outage of 31 January 2017, written in our own words from the public postmortem facts in
`shared/data/README.md`.

How it is organised, so later work can extend it:
- each part is a small loader function with no arguments (`load_people`, `load_services`,
  `load_gitlab_incident`, ...); `LOADERS` lists them in the order `load_demo` runs them;
- every loader is idempotent by natural keys (user email, team and service slug, the incident's
  `dedup_key`, a timeline entry's (incident, occurred_at, body)), so running the command twice changes
  nothing; writes go through the services, like every other write;
- later loaders find earlier rows with `demo_user("commander")`, `demo_team("platform")`,
  `demo_service("gitlab-web")` and `gitlab_incident()`.

To add a part (the review and postmortem, action items, a policy finding...): write
`def load_gitlab_review() -> None:` in this module (or your own module) and append it to `LOADERS`
below the existing ones. `GITLAB_FACTORS` and `GITLAB_ACTION_ITEMS` hold the facts you need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from accounts.models import Membership, Team, User
from incidents.models import Service

DEMO_PASSWORD = "hindsight-demo"  # noqa: S105 - the documented demo sign-in, printed by `make run`


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """An aware UTC datetime (the demo's facts are all in UTC)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- People and teams -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class DemoPerson:
    key: str
    email: str
    display_name: str
    time_zone: str
    memberships: tuple[tuple[str, str], ...] = ()  # (team slug, Membership.Role)
    is_staff: bool = False


DEMO_TEAMS: list[tuple[str, str, str]] = [
    ("platform", "Platform", "Runs the web application and its deploys."),
    ("database", "Database", "Owns the PostgreSQL clusters, replication and backups."),
    ("support", "Support", "Talks to customers during and after incidents."),
]

# Owners are roles, not people: the names say what each demo person does.
DEMO_PEOPLE: list[DemoPerson] = [
    DemoPerson(
        "commander",
        "commander@example.com",
        "Casey (incident commander)",
        "Europe/Amsterdam",
        (("platform", Membership.Role.LEAD), ("database", Membership.Role.RESPONDER)),
    ),
    DemoPerson("admin", "admin@example.com", "Avery (admin)", "Europe/London", is_staff=True),
    DemoPerson(
        "dba",
        "dba@example.com",
        "Dana (database engineer)",
        "Pacific/Auckland",
        (("database", Membership.Role.RESPONDER),),
    ),
    DemoPerson(
        "dba-lead",
        "dba-lead@example.com",
        "Devon (database lead)",
        "America/New_York",
        (("database", Membership.Role.LEAD),),
    ),
    DemoPerson(
        "scribe",
        "scribe@example.com",
        "Sam (scribe)",
        "America/Los_Angeles",
        (("platform", Membership.Role.RESPONDER),),
    ),
    DemoPerson(
        "comms",
        "comms@example.com",
        "Cameron (communications lead)",
        "Asia/Kolkata",
        (("support", Membership.Role.RESPONDER),),
    ),
    DemoPerson(
        "viewer",
        "viewer@example.com",
        "Vic (support viewer)",
        "UTC",
        (("support", Membership.Role.VIEWER),),
    ),
]


def demo_user(key: str) -> User:
    """The demo user with `key` (`commander`, `admin`, `dba`, ...). Raises User.DoesNotExist before load."""
    person = next(p for p in DEMO_PEOPLE if p.key == key)
    return User.objects.get(email=person.email)


def demo_team(slug: str) -> Team:
    return Team.objects.get(slug=slug)


def demo_service(slug: str) -> Service:
    return Service.objects.get(slug=slug)


def load_people() -> None:
    """Teams, users and memberships. A user is created once with the demo password; later runs leave it be."""
    for slug, name, description in DEMO_TEAMS:
        Team.objects.get_or_create(slug=slug, defaults={"name": name, "description": description})
    for person in DEMO_PEOPLE:
        user = User.objects.filter(email=person.email).first()
        if user is None:
            user = User(
                email=person.email,
                display_name=person.display_name,
                time_zone=person.time_zone,
                is_staff=person.is_staff,
                is_superuser=person.is_staff,
            )
            # Set directly: the demo password is documented, so the strength validators do not apply.
            user.set_password(DEMO_PASSWORD)
            user.save()
        for team_slug, role in person.memberships:
            Membership.objects.get_or_create(user=user, team=demo_team(team_slug), defaults={"role": role})


# --- Services ---------------------------------------------------------------------------------------------
DEMO_SERVICES: list[tuple[str, str, str, str]] = [
    ("gitlab-web", "GitLab.com web application", "platform", "The site, issues, merge requests and API."),
    ("postgresql", "Production PostgreSQL", "database", "Primary and secondary database hosts."),
    ("backups", "Database backups", "database", "pg_dump backups, LVM and disk snapshots."),
    ("git-storage", "Git repository storage", "platform", "Git repositories and wikis."),
]


def load_services() -> None:
    """Services and the teams that own them."""
    for slug, name, team_slug, description in DEMO_SERVICES:
        Service.objects.get_or_create(
            slug=slug, defaults={"name": name, "team": demo_team(team_slug), "description": description}
        )
