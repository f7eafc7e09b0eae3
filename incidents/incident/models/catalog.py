"""The service catalog: services (owner team, tier, runbook and dashboard links, dependencies) and tags."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from simple_history.models import HistoricalRecords


class ServiceTier(models.IntegerChoices):
    """How much a service matters, 1 (most) to 4; a catalog's usual four tiers."""

    TIER_1 = 1, "Tier 1: customer-facing critical"
    TIER_2 = 2, "Tier 2: customer-facing"
    TIER_3 = 3, "Tier 3: internal, business-critical"
    TIER_4 = 4, "Tier 4: internal, best effort"


#: The only schemes a catalog link may have: a `javascript:` or `data:` URL never reaches an href.
LINK_SCHEMES = ("http", "https")
http_url = URLValidator(schemes=list(LINK_SCHEMES), message="Give an http:// or https:// address.")


def is_http_url(value: Any) -> bool:
    """True when `value` is a string URL with an http or https scheme and a host (what pages may link)."""
    if not isinstance(value, str):
        return False
    try:
        http_url(value)
    except ValidationError:
        return False
    return True


@dataclass(frozen=True)
class DashboardLink:
    """One dashboard of a service: its label and http(s) URL."""

    label: str
    url: str


class Service(models.Model):
    """Something that can be affected by an incident, owned by a team, in the catalog: its tier, runbook,
    dashboards (`dashboards`: a list of `{"label", "url"}`) and the services it depends on (a service never
    depends on itself; cycles are allowed and the settings pages show them)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    tier = models.PositiveSmallIntegerField(choices=ServiceTier.choices, null=True, blank=True)
    runbook_url = models.URLField(max_length=500, blank=True, validators=[http_url])
    dashboards = models.JSONField(default=list, blank=True)
    depends_on = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        through="ServiceDependency",
        related_name="dependents",
        help_text="Services this one needs.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tier__isnull=True) | models.Q(tier__gte=1, tier__lte=4),
                name="service_tier_1_to_4",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def dashboard_links(self) -> list[DashboardLink]:
        """The stored dashboards that are http(s) links, in order (anything else, say typed in the Django
        admin, is left out rather than linked)."""
        links = []
        for item in self.dashboards if isinstance(self.dashboards, list) else []:
            if isinstance(item, dict) and is_http_url(item.get("url")):
                links.append(DashboardLink(label=str(item.get("label") or item["url"]), url=item["url"]))
        return links

    @property
    def runbook_link(self) -> str:
        """The runbook URL if it is an http(s) link, else ''."""
        return self.runbook_url if is_http_url(self.runbook_url) else ""


class ServiceDependency(models.Model):
    """`service` depends on `depends_on` (one edge of the catalog's graph; never a service on itself)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="dependency_edges")
    depends_on = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="dependent_edges")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "depends_on"], name="one_service_dependency"),
            models.CheckConstraint(
                condition=~models.Q(service=models.F("depends_on")), name="service_not_own_dependency"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} depends on {self.depends_on_id}"


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
