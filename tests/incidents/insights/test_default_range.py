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


# --- Issue 18, outsider's second pass: readable duration ticks; an empty default range moves -----------
def _ticks(chart) -> list[str]:
    return [it["text"] for it in chart["items"] if it["kind"] == "text" and "end" in it["css"]]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([20, 40], ["0", "15 s", "30 s", "45 s", "1 min"]),
        ([150000], ["0", "12 h", "1 d", "1 d 12 h", "2 d"]),
        ([5000], ["0", "30 min", "1 h", "1 h 30 min", "2 h"]),
    ],
)
def test_duration_ticks_never_repeat_and_fit_the_margin(values, expected):
    from incidents.insights import charts

    chart = charts.lines(
        {"labels": [f"2026-0{i + 1}" for i in range(len(values))], "unit": "seconds",
         "series": [{"name": "median", "css": "series-0", "values": values}]}
    )  # fmt: skip
    ticks = _ticks(chart)
    assert ticks == expected
    # 11 px sans-serif is about 6 px a character: every label, the top one too, fits left of the axis.
    assert all(len(t) * 6 <= charts.LEFT - 6 for t in ticks), ticks


@time_machine.travel(dt.datetime(2026, 12, 2, 18, 0, tzinfo=dt.UTC), tick=False)
def test_when_the_last_90_days_hold_nothing_insights_opens_on_the_latest_incidents_and_says_so(
    client_for, viewer
):
    IncidentFactory(title="GitLab.com database", started_at=dt.datetime(2017, 1, 31, 23, 27, tzinfo=dt.UTC))
    IncidentFactory(title="Older", started_at=dt.datetime(2016, 12, 1, tzinfo=dt.UTC))
    page = client_for(viewer).get("/insights/").content.decode()
    assert 'name="start" value="2016-11-03"' in page  # the 90 days up to 31 January 2017 (UTC viewer)
    assert 'name="end" value="2017-02-01"' in page
    assert (
        "Nothing you may see started in the last 90 days, so this shows the 90 days up to the most "
        "recent incident (31 January 2017)."
    ) in page
    incidents = page[page.index('id="incidents"') :]
    incidents = incidents[: incidents.index("</section>")]
    assert "2017-01" in incidents
    assert "2016-12" in incidents


@time_machine.travel(dt.datetime(2026, 12, 2, 18, 0, tzinfo=dt.UTC), tick=False)
def test_a_restricted_incident_one_may_not_see_does_not_move_the_range(client_for, viewer, commander):
    from incidents.models import Visibility

    IncidentFactory(started_at=dt.datetime(2017, 1, 31, tzinfo=dt.UTC))
    IncidentFactory(started_at=dt.datetime(2026, 11, 30, tzinfo=dt.UTC), visibility=Visibility.RESTRICTED)
    page = client_for(viewer).get("/insights/").content.decode()
    assert 'name="end" value="2017-02-01"' in page  # the restricted one (recent) is not theirs to see
    page = client_for(None).get("/insights/")
    assert page.status_code == 302


def test_with_no_incident_at_all_insights_opens_on_the_last_90_days(client_for, viewer):
    page = client_for(viewer).get("/insights/").content.decode()
    assert "Showing the last 90 days." in page


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([1], ["0", "1", "2", "3", "4"]),
        ([3, 0, 1], ["0", "1", "2", "3", "4"]),
        ([7], ["0", "2", "4", "6", "8"]),
        ([17], ["0", "5", "10", "15", "20"]),
        ([90], ["0", "25", "50", "75", "100"]),
    ],
)
def test_an_incident_count_axis_has_whole_number_ticks(counts, expected):
    from incidents.insights import charts

    chart = charts.stacked_columns(
        {"labels": [f"2026-0{i + 1}" for i in range(len(counts))],
         "series": [{"name": "SEV2", "css": "series-0", "values": counts}]}
    )  # fmt: skip
    assert _ticks(chart) == expected


def test_the_incident_count_says_what_it_counts_in_words_not_field_names(client_for, viewer):
    page = client_for(viewer).get("/insights/").content.decode()
    assert "Incidents counted in the period of their Started time, in your time zone." in page
    assert "`" not in page[page.index('id="incidents"') :]
