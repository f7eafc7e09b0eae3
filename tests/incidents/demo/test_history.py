"""`generate_history`: a generated year of incidents, clearly marked, that shows detection getting faster."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from incidents.insights import metrics
from incidents.models import ActionItem, Incident, TimelineEntry

pytestmark = pytest.mark.django_db


def test_generated_year_is_marked_and_detects_faster(admin_user):
    call_command("generate_history", "--incidents", "240", "--entries", "3", "--items", "1", verbosity=0)
    incidents = Incident.objects.all()
    assert incidents.count() == 240
    assert all(i.title.startswith("[generated] ") for i in incidents)
    assert Incident.objects.filter(tags__name="generated").count() == 240
    assert TimelineEntry.objects.count() == 720
    assert ActionItem.objects.count() == 240
    assert not Incident.objects.filter(resolved_at__lt=F("started_at")).exists()
    assert not Incident.objects.filter(detected_at__lt=F("started_at")).exists()
    rows = metrics.durations_over_time(admin_user, metrics.MetricFilters()).rows
    first_quarter = [r[3] for r in rows[:3] if r[3] is not None]
    last_quarter = [r[3] for r in rows[-4:-1] if r[3] is not None]
    assert min(first_quarter) > max(last_quarter)
    assert metrics.recurring_factors(admin_user, metrics.MetricFilters()).rows


def test_same_seed_gives_the_same_titles():
    call_command("generate_history", "--incidents", "5", "--seed", "7", verbosity=0)
    first = list(Incident.objects.order_by("number").values_list("title", flat=True))
    call_command("generate_history", "--incidents", "5", "--seed", "7", verbosity=0)
    second = list(Incident.objects.order_by("number").values_list("title", flat=True))[5:]
    assert first == second


@pytest.mark.parametrize("count", ["0", "100001", "-3"])
def test_bad_counts_are_refused(count):
    with pytest.raises(CommandError, match="between 1 and"):
        call_command("generate_history", "--incidents", count, verbosity=0)
    assert not Incident.objects.exists()
