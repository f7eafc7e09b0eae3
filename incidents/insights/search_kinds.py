"""What search looks in, and what a query names besides words.

`KINDS` lists the searched kinds (model, text fields, time field). On PostgreSQL each kind's table has a
stored, generated `search_vector` column (title weighted A, body B) with a GIN index (migration 0014);
`StoredVector` is the one place that names it and `Rank` ranks by it. A query can also name an incident
(`INC-2`, `inc 2` or `2`), people in an incident's roles, services an incident affected and the value
of a custom field of an incident's type: its text, link or select option (`named_in`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchVectorField
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Exists,
    Expression,
    FloatField,
    Func,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Concat

from incidents.incident.models import REFERENCE
from incidents.models import (
    OPTION_KINDS,
    ActionItem,
    ContributingFactor,
    CustomFieldKind,
    CustomFieldValue,
    Incident,
    PolicyFinding,
    Postmortem,
    Service,
    TimelineEntry,
)
from incidents.plural import counted

CONFIG = "english"
#: How many people and services a query may name (their incidents are then searched).
NAMED_LIMIT = 20
#: Rank added to an incident found by its reference, a person in one of its roles, one of its services,
#: a custom field value.
REFERENCE_RANK, PERSON_RANK, SERVICE_RANK, CUSTOM_RANK = 10.0, 0.5, 0.3, 0.4
#: Custom field kinds whose values search reads (numbers, dates and people are filters, not words).
TEXT_VALUE_KINDS = (CustomFieldKind.TEXT, CustomFieldKind.LINK, *OPTION_KINDS)
#: Shorter than this, a query finds a custom value only when it is the whole value ("EU").
CUSTOM_CONTAINS_MIN = 3


@dataclass(frozen=True)
class Kind:
    """One searched kind: its model, text fields, time field and path to the incident status. Its label is
    the kind's name ("timeline entry"), made plural by `incidents.plural` like every other count."""

    model: type[Any]
    fields: tuple[str, ...]
    when: str
    status: str | None  # lookup of the incident's status; None: the kind has no one incident


#: Kind → how it is searched. On PostgreSQL each model's table holds `search_vector` (migration 0014).
KINDS: dict[str, Kind] = {
    "incident": Kind(Incident, ("title", "summary", "customer_impact"), "started_at", "status"),
    "timeline entry": Kind(TimelineEntry, ("body",), "occurred_at", "incident__status"),
    "postmortem": Kind(Postmortem, ("sections",), "updated_at", "incident__status"),
    "contributing factor": Kind(
        ContributingFactor, ("title", "description"), "created_at", "incident__status"
    ),
    "action item": Kind(ActionItem, ("title", "description"), "created_at", "incident__status"),
    "policy finding": Kind(PolicyFinding, ("title", "description"), "created_at", None),
}


def kind_label(kind: str, n: int) -> str:
    """`1 timeline entry`, `4 timeline entries`: the count of a kind through the one plural helper
    (`incidents.plural.counted`; counts stop at the 300 ranked candidates, so no thousands separator).
    KeyError for an unknown kind."""
    if kind not in KINDS:
        raise KeyError(kind)
    return counted(n, kind)


class StoredVector(Expression):
    """The stored `search_vector` column of the query's base table (PostgreSQL, migration 0014)."""

    output_field = SearchVectorField()

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        # A list of parameters, as Django's own expressions give: the @@ lookup concatenates them.
        alias = compiler.query.base_table
        return f"{compiler.quote_name_unless_alias(alias)}.search_vector", []


class Rank(Func):
    """`ts_rank(search_vector, query)`: weights A 1.0, B 0.4 (title over body)."""

    function = "ts_rank"
    output_field = FloatField()


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


#: An incident reference before or after words ("INC-1 backup", "backup #1", "inc 1 backup"): the words
#: are searched within that incident. A bare number is a word ("2 backups"): the reference needs `inc` or `#`.
WITHIN = (
    re.compile(r"^\s*(?:inc[-\s#]*|#)(?P<number>\d{1,9})\s+(?P<words>\S.*?)\s*$", re.I),
    re.compile(r"^\s*(?P<words>.*?\S)\s+(?:inc[-\s#]*|#)(?P<number>\d{1,9})\s*$", re.I),
)


def within_incident(query: str) -> tuple[int | None, str]:
    """(the incident number a query of words names, the words) for "INC-1 backup" or "backup INC-1";
    (None, `query`) for anything else, a bare reference ("INC-1") too (that finds the incident itself)."""
    if REFERENCE.match(query):
        return None, query
    for pattern in WITHIN:
        found = pattern.match(query)
        if found:
            return int(found.group("number")), found.group("words")
    return None, query


def words_of(query: str) -> list[str]:
    """The words of a query for the fallback: quotes and websearch operators dropped, at most 8 words."""
    cleaned = re.sub(r"[\"'()]", " ", query)
    words = [w for w in cleaned.split() if w.lower() not in {"or", "and"} and w != "-"]
    return [w.lstrip("-") for w in words if w.lstrip("-")][:8]


@dataclass
class Named:
    """What a query names besides words: an incident number, people, services by name or slug (ids →
    names)."""

    number: int | None
    people: dict[int, str]
    services: dict[int, str]
    custom: str = ""  # the text a custom field value is matched against ("" : none)

    @property
    def any(self) -> bool:
        return self.number is not None or bool(self.people) or bool(self.services) or bool(self.custom)


def custom_value_match(text: str) -> Q:
    """The stored custom field values `text` finds: of a text, link or select field, containing it (any
    case), or for a query shorter than `CUSTOM_CONTAINS_MIN` equal to it. Names no incident: callers
    apply it to values of incidents already in the viewer's scope."""
    found = Q(text__icontains=text) if len(text) >= CUSTOM_CONTAINS_MIN else Q(text__iexact=text)
    return found & Q(field__kind__in=TEXT_VALUE_KINDS) & ~Q(text="")


def named_in(query: str) -> Named:
    """The incident number, people and services `query` names (two small queries; none for a number)."""
    ref = REFERENCE.match(query)
    if ref:
        return Named(int(ref.group(1)), {}, {})
    text = query.strip().strip("\"'")
    if len(text) < 3:
        return Named(None, {}, {}, custom=text)
    User = get_user_model()
    people = dict(
        User.objects.filter(
            Q(display_name__icontains=text) | Q(email__istartswith=text), is_active=True
        ).values_list("pk", "display_name")[:NAMED_LIMIT]
    )
    services = dict(
        Service.objects.filter(Q(name__icontains=text) | Q(slug__icontains=text)).values_list("pk", "name")[
            :NAMED_LIMIT
        ]
    )
    return Named(None, people, services, custom=text)


def custom_value_why(named: Named) -> Subquery:
    """For an incident row: "Label: value" of its first custom field value `named.custom` finds (NULL for
    none), so a hit says why it matched without a query of its own."""
    found = (
        CustomFieldValue.objects.filter(custom_value_match(named.custom), incident=OuterRef("pk"))
        .order_by("field__position", "field_id", "id")
        .annotate(hs_why=Concat("field__label", Value(": "), "text", output_field=CharField()))
        .values("hs_why")[:1]
    )
    return Subquery(found, output_field=CharField())


def named_condition(named: Named) -> tuple[Q, Any]:
    """(condition on incidents, rank bonus expression) for what the query names."""
    cond = Q(pk__in=[])
    bonus: Any = Value(0.0, output_field=FloatField())
    if named.number is not None:
        cond |= Q(number=named.number)
        bonus = bonus + Case(
            When(number=named.number, then=Value(REFERENCE_RANK)),
            default=Value(0.0),
            output_field=FloatField(),
        )
    if named.people:
        ids = list(named.people)
        in_role = Q(commander_id__in=ids) | Q(communications_lead_id__in=ids) | Q(scribe_id__in=ids)
        cond |= in_role
        bonus = bonus + Case(
            When(in_role, then=Value(PERSON_RANK)), default=Value(0.0), output_field=FloatField()
        )
    if named.services:
        affected = Q(
            pk__in=Incident.services.through.objects.filter(service_id__in=list(named.services)).values(
                "incident_id"
            )
        )
        cond |= affected
        bonus = bonus + Case(
            When(affected, then=Value(SERVICE_RANK)), default=Value(0.0), output_field=FloatField()
        )
    if named.custom:
        valued = Q(
            Exists(CustomFieldValue.objects.filter(custom_value_match(named.custom), incident=OuterRef("pk")))
        )
        cond |= valued
        bonus = bonus + Case(
            When(valued, then=Value(CUSTOM_RANK)), default=Value(0.0), output_field=FloatField()
        )
    return cond, bonus
