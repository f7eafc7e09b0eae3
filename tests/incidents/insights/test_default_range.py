"""Insights opens on something useful: the last 90 days in the viewer's zone, empty periods collapsed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from incidents.insights.metrics import shown_periods
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@time_machine.travel(dt.datetime(2026, 6, 30, 20, 0, tzinfo=dt.UTC), tick=False)
def test_insights_opens_on_the_last_90_days_in_the_viewers_zone(client_for, viewer):
    viewer.time_zone = "Pacific/Auckland"  # already 1 July there
    viewer.save(update_fields=["time_zone"])
    IncidentFactory(title="Old", started_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    IncidentFactory(title="Recent", started_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    page = client_for(viewer).get("/insights/").content.decode()
    assert 'name="start" value="2026-04-02"' in page  # 1 July in Auckland, less 90 days
    assert "Showing the last 90 days." in page
    incidents = page[page.index('id="incidents"') :]
    incidents = incidents[: incidents.index("</section>")]
    assert "2026-06" in incidents
    assert "2026-03" not in incidents  # the old incident is outside the default range


def test_all_time_is_one_click_away_and_collapses_the_empty_years(client_for, viewer):
    IncidentFactory(started_at=dt.datetime(2017, 1, 31, 23, 27, tzinfo=dt.UTC))
    IncidentFactory(started_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    IncidentFactory(started_at=dt.datetime(2026, 3, 5, tzinfo=dt.UTC))
    page = client_for(viewer).get("/insights/?start=").content.decode()
    incidents = page[page.index('id="incidents"') :]
    incidents = incidents[: incidents.index("</section>")]
    assert "2017-02 – 2025-12 (none)" in incidents  # 107 empty months, one row
    assert "<td>2026-02</td>" in incidents  # a lone empty month stays itself
    assert incidents.count("<tr>") < 10


def test_shown_periods_collapse_runs_of_empty_periods_only():
    jan, feb, mar, may = (dt.date(2026, m, 1) for m in (1, 2, 3, 5))
    assert shown_periods([], "month") == []
    assert shown_periods([jan, mar], "month") == [(jan, "2026-01"), (feb, "2026-02"), (mar, "2026-03")]
    assert shown_periods([jan, may], "month") == [
        (jan, "2026-01"),
        (feb, "2026-02 – 2026-04 (none)"),
        (may, "2026-05"),
    ]
    monday = dt.date(2026, 1, 5)
    weeks = shown_periods([monday, monday + dt.timedelta(weeks=3)], "week")
    assert [label for _p, label in weeks] == ["2026-W02", "2026-W03 – 2026-W04 (none)", "2026-W05"]
