"""Each insights figure on a small data set computed by hand (see the table in `world`).

Incidents (times UTC, 2026), as the viewer sees them (E is restricted and the viewer is not part of it):

| inc | sev  | services | started      | detect | ack  | mitigate | resolve        | detected by |
| A   | SEV1 | api      | Jan 5 10:00  | +60 s  | +120 | 600      | det + 3,600    | alert       |
| B   | SEV1 | api, db  | Jan 20 10:00 | +300 s | +60  | 1,200    | det + 7,200    | customer    |
| C   | SEV2 | db       | Feb 3 10:00  | unknown| —    | 900      | (no detection) | —           |
| D   | SEV2 | api      | Feb 10 10:00 | +120 s | +60  | (reopen) | reopened       | —           |
| E   | SEV1 | api      | Jan 10 10:00 | +6,000 | —    | —        | —              | alert (restricted) |

Durations: detect and mitigate from the start; acknowledge from detection; resolve from detection.
Percentiles: h = p·(n−1), x[⌊h⌋] + (h−⌊h⌋)(x[⌈h⌉]−x[⌊h⌋]).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine

from incidents.incident.services.lifecycle import incident_reopen
from incidents.insights import metrics
from incidents.models import ActionItemStatus, FactorCategory, FindingStatus, IncidentStatus, Visibility
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    IncidentFactory,
    PolicyFindingFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def at(month: int, day: int, hour: int = 10, seconds: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)


@pytest.fixture
def world(team, commander, viewer, admin_user):
    api = ServiceFactory(name="API", slug="api", team=team)
    db = ServiceFactory(name="Database", slug="db")
    a = IncidentFactory(
        severity="SEV1",
        started_at=at(1, 5),
        detected_at=at(1, 5, seconds=60),
        acknowledged_at=at(1, 5, seconds=180),
        mitigated_at=at(1, 5, seconds=600),
        resolved_at=at(1, 5, seconds=60 + 3600),
        status=IncidentStatus.RESOLVED,
        detection_method="alert",
    )
    a.services.set([api])
    b = IncidentFactory(
        severity="SEV1",
        started_at=at(1, 20),
        detected_at=at(1, 20, seconds=300),
        acknowledged_at=at(1, 20, seconds=360),
        mitigated_at=at(1, 20, seconds=1200),
        resolved_at=at(1, 20, seconds=300 + 7200),
        status=IncidentStatus.RESOLVED,
        detection_method="customer",
    )
    b.services.set([api, db])
    c = IncidentFactory(
        severity="SEV2",
        started_at=at(2, 3),
        mitigated_at=at(2, 3, seconds=900),
        resolved_at=at(2, 3, seconds=5000),
        status=IncidentStatus.RESOLVED,
    )
    c.services.set([db])
    d = IncidentFactory(
        severity="SEV2",
        started_at=at(2, 10),
        detected_at=at(2, 10, seconds=120),
        acknowledged_at=at(2, 10, seconds=180),
        mitigated_at=at(2, 10, seconds=300),
        resolved_at=at(2, 10, seconds=4000),
        status=IncidentStatus.RESOLVED,
        commander=commander,
    )
    d.services.set([api])
    with time_machine.travel(NOW, tick=False):
        incident_reopen(incident=d, actor=commander, reason="The errors came back")
    e = IncidentFactory(
        severity="SEV1",
        visibility=Visibility.RESTRICTED,
        started_at=at(1, 10),
        detected_at=at(1, 10, seconds=6000),
        detection_method="alert",
        title="Restricted payroll incident",
    )
    e.services.set([api])

    backups = ContributingFactorFactory(
        incident=a,
        category=FactorCategory.TESTING_GAP,
        title="Backups untested",
        missing_test_types=["regression", "integration"],
    )
    ContributingFactorFactory(
        incident=b,
        category=FactorCategory.TESTING_GAP,
        title="backups untested",
        missing_test_types=["integration"],
    )
    ContributingFactorFactory(
        incident=c,
        category=FactorCategory.TESTING_GAP,
        title="Restore never rehearsed",
        recurrence_of=backups,
    )
    ContributingFactorFactory(incident=d, category=FactorCategory.PROCESS, title="Thin runbook")
    ContributingFactorFactory(
        incident=e, category=FactorCategory.PROCESS, title="Thin runbook", missing_test_types=["unit"]
    )

    def item(incident, priority, status, created, due=None, completed=None):
        return ActionItemFactory(
            incident=incident,
            priority=priority,
            status=status,
            created_at=created,
            due_date=due,
            completed_at=completed,
        )

    item(a, "P1", ActionItemStatus.DONE, at(1, 6), completed=at(1, 15))  # within 14 days
    item(a, "P1", ActionItemStatus.DONE, at(1, 6), completed=at(2, 1))  # 26 days: late
    item(a, "P2", ActionItemStatus.OPEN, at(1, 6), due=dt.date(2026, 5, 30))  # 2 days overdue
    item(b, "P3", ActionItemStatus.WONT_DO, at(1, 21))
    item(b, "P2", ActionItemStatus.BLOCKED, at(1, 21), due=dt.date(2026, 4, 1))  # 61 days overdue
    item(c, "P2", ActionItemStatus.IN_PROGRESS, at(2, 4), due=dt.date(2026, 6, 10))  # not due yet
    item(e, "P1", ActionItemStatus.DONE, at(1, 11), completed=at(1, 12))
    item(e, "P2", ActionItemStatus.OPEN, at(1, 11), due=dt.date(2025, 11, 1))  # 212 days overdue

    f1 = PolicyFindingFactory(area="access_control", risk="high", status=FindingStatus.OPEN)
    f1.incidents.set([a])
    PolicyFindingFactory(area="access_control", risk="medium", status=FindingStatus.REMEDIATING)
    PolicyFindingFactory(
        area="testing",
        risk="low",
        status=FindingStatus.VERIFIED,
        created_at=at(1, 10, 0),
        verified_at=at(1, 20, 0),
    )
    PolicyFindingFactory(
        area="data_protection",
        risk="high",
        status=FindingStatus.CLOSED,
        created_at=at(1, 1, 0),
        verified_at=at(1, 31, 0),
    )
    f4 = PolicyFindingFactory(area="alerting", risk="high", status=FindingStatus.OPEN, title="Pager gap")
    f4.incidents.set([e])
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def _rows(figure, first_cols=2):
    return {tuple(r[:first_cols]): r[first_cols:] for r in figure.rows}


def test_reopened_incident_has_no_resolution_time(world):
    world["d"].refresh_from_db()
    assert world["d"].resolved_at is None
    assert world["d"].time_to_resolve is None


def test_durations_by_severity_hand_computed(world, viewer):
    rows = _rows(metrics.durations_by_severity(viewer, metrics.MetricFilters()))
    # [measured, unknown, mean, median, p90]
    assert rows[("SEV1", "Time to detect")] == [2, 0, 180, 180, 276]
    assert rows[("SEV1", "Time to acknowledge")] == [2, 0, 90, 90, 114]
    assert rows[("SEV1", "Time to mitigate")] == [2, 0, 900, 900, 1140]
    assert rows[("SEV1", "Time to resolve")] == [2, 0, 5400, 5400, 6840]
    # C has no detection time: unknown for detect, acknowledge and resolve, never measured to now.
    assert rows[("SEV2", "Time to detect")] == [1, 1, 120, 120, 120]
    assert rows[("SEV2", "Time to acknowledge")] == [1, 1, 60, 60, 60]
    # D's mitigation (300 s) was cleared by its reopening (the fix did not hold): only C's 900 s counts.
    assert rows[("SEV2", "Time to mitigate")] == [1, 1, 900, 900, 900]
    # D was reopened (resolution cleared) and C has no detection: both unknown.
    assert rows[("SEV2", "Time to resolve")] == [0, 2, None, None, None]


def test_restricted_incident_changes_the_figures_only_for_those_who_may_see_it(world, viewer, admin_user):
    viewer_rows = _rows(metrics.durations_by_severity(viewer, metrics.MetricFilters()))
    admin_rows = _rows(metrics.durations_by_severity(admin_user, metrics.MetricFilters()))
    assert viewer_rows[("SEV1", "Time to detect")][:2] == [2, 0]
    # With E: 60, 300, 6000 -> mean 2120, median 300, p90 = 300 + 0.8 * 5700 = 4860.
    assert admin_rows[("SEV1", "Time to detect")] == [3, 0, 2120, 300, 4860]


def test_durations_by_service_count_an_incident_for_each_service(world, viewer):
    rows = _rows(metrics.durations_by_service(viewer, metrics.MetricFilters()))
    # api: A 60, B 300, D 120 -> sorted 60, 120, 300: mean 160, median 120, p90 = 120 + 0.8 * 180 = 264.
    assert rows[("API", "Time to detect")] == [3, 0, 160, 120, 264]
    # db: B 300 and C unknown.
    assert rows[("Database", "Time to detect")] == [1, 1, 300, 300, 300]
    assert rows[("Database", "Time to mitigate")] == [2, 0, 1050, 1050, 1170]


def test_incident_counts_per_month_by_severity(world, viewer, admin_user):
    assert metrics.incident_counts(viewer, metrics.MetricFilters()).rows == [
        ["2026-01", 2, 0, 0, 0, 2],
        ["2026-02", 0, 2, 0, 0, 2],
    ]
    assert metrics.incident_counts(admin_user, metrics.MetricFilters()).rows[0] == ["2026-01", 3, 0, 0, 0, 3]


def test_incident_counts_per_week_fill_empty_weeks(world, viewer):
    rows = metrics.incident_counts(viewer, metrics.MetricFilters(period="week")).rows
    labels = [r[0] for r in rows]
    assert len(labels) == 6
    assert dict((r[0], r[-1]) for r in rows) == {
        "2026-W02": 1,
        "2026-W03": 0,
        "2026-W04": 1,
        "2026-W05": 0,
        "2026-W06": 1,
        "2026-W07": 1,
    }


def test_detection_trend_answers_are_we_detecting_faster(world, viewer):
    rows = metrics.durations_over_time(viewer, metrics.MetricFilters()).rows
    # [period, detect measured, unknown, median, p90, resolve measured, unknown, median, p90]
    assert rows[0] == ["2026-01", 2, 0, 180, 276, 2, 0, 5400, 6840]
    assert rows[1] == ["2026-02", 1, 1, 120, 120, 0, 2, None, None]


def test_detection_methods_over_time(world, viewer):
    figure = metrics.detection_methods(viewer, metrics.MetricFilters())
    assert figure.columns == ["Month", "Alert", "Customer report", "Employee", "By chance", "Unknown"]
    assert figure.rows == [["2026-01", 1, 1, 0, 0, 0], ["2026-02", 0, 0, 0, 0, 2]]


def test_factor_categories_over_time(world, viewer):
    figure = metrics.factor_categories(viewer, metrics.MetricFilters())
    testing = figure.columns.index("Testing gap")
    process = figure.columns.index("Process")
    assert [(r[0], r[testing], r[process]) for r in figure.rows] == [("2026-01", 2, 0), ("2026-02", 1, 1)]


def test_recurring_factors_group_titles_and_recurrence_links(world, viewer, admin_user):
    assert metrics.recurring_factors(viewer, metrics.MetricFilters()).rows == [
        ["Backups untested", "Testing gap", 3]
    ]
    # "Thin runbook" recurs only with the restricted incident E.
    admin_rows = metrics.recurring_factors(admin_user, metrics.MetricFilters()).rows
    assert ["Thin runbook", "Process", 2] in admin_rows


def test_missing_test_types_count_incidents(world, viewer, admin_user):
    rows = dict(metrics.missing_test_types(viewer, metrics.MetricFilters()).rows)
    assert rows["Integration"] == 2
    assert rows["Regression"] == 1
    assert rows["Unit"] == 0
    assert dict(metrics.missing_test_types(admin_user, metrics.MetricFilters()).rows)["Unit"] == 1


@time_machine.travel(NOW, tick=False)
def test_action_item_completion_target_and_aging(world, viewer, admin_user):
    rows = dict(metrics.action_item_figures(viewer, metrics.MetricFilters()).rows)
    assert rows["Action items"] == 6
    assert rows["Done"] == 2
    assert rows["Won't do"] == 1
    assert rows["Still open"] == 3
    assert rows["Completion rate (done ÷ items that are not won't do)"] == pytest.approx(2 / 5)
    assert rows["Done within the priority's target"] == pytest.approx(1 / 2)
    assert rows["Overdue 1–7 days"] == 1
    assert rows["Overdue 8–30 days"] == 0
    assert rows["Overdue 31–90 days"] == 1
    assert rows["Overdue over 90 days"] == 0
    admin = dict(metrics.action_item_figures(admin_user, metrics.MetricFilters()).rows)
    assert admin["Action items"] == 8
    assert admin["Overdue over 90 days"] == 1
    assert admin["Done within the priority's target"] == pytest.approx(2 / 3)


def test_findings_open_by_area_and_risk(world, viewer, admin_user):
    figure = metrics.findings_open(viewer, metrics.MetricFilters())
    assert figure.columns == ["Area", "High", "Medium", "Low", "Total"]
    assert figure.rows == [["Access control", 1, 1, 0, 2]]
    admin_rows = metrics.findings_open(admin_user, metrics.MetricFilters()).rows
    assert ["Alerting", 1, 0, 0, 1] in admin_rows


def test_findings_time_to_verified_closure(world, viewer):
    rows = metrics.findings_closure(viewer, metrics.MetricFilters()).rows
    # [risk, verified, mean, median, p90]: high 30 days, low 10 days.
    assert rows == [
        ["High", 1, 30 * 86400, 30 * 86400, 30 * 86400],
        ["Low", 1, 10 * 86400, 10 * 86400, 10 * 86400],
    ]


def test_filters_severity_service_team_and_half_open_dates(world, viewer, team):
    def total(**kw):
        return sum(r[-1] for r in metrics.incident_counts(viewer, metrics.MetricFilters(**kw)).rows)

    assert total(severity="SEV2") == 2
    assert total(service="db") == 2
    assert total(team=team.slug) == 3  # through the API service's team: A, B, D
    assert total(start=dt.date(2026, 2, 3)) == 2
    # Half-open: C started on Feb 3 10:00 UTC; a range ending on Feb 3 excludes it.
    assert total(start=dt.date(2026, 1, 1), end=dt.date(2026, 2, 3)) == 2
    assert total(start=dt.date(2026, 1, 1), end=dt.date(2026, 2, 4)) == 3


def test_findings_follow_incident_filters(world, viewer):
    rows = metrics.findings_open(viewer, metrics.MetricFilters(severity="SEV1")).rows
    assert rows == [["Access control", 1, 0, 0, 1]]


def test_periods_and_date_range_use_the_viewers_zone(viewer):
    # 2026-01-31 12:00 UTC is 2026-02-01 01:00 in Auckland (NZDT, UTC+13).
    IncidentFactory(started_at=dt.datetime(2026, 1, 31, 12, tzinfo=dt.UTC))
    auckland = zoneinfo.ZoneInfo("Pacific/Auckland")
    assert metrics.incident_counts(viewer, metrics.MetricFilters()).rows[0][0] == "2026-01"
    assert metrics.incident_counts(viewer, metrics.MetricFilters(zone=auckland)).rows[0][0] == "2026-02"
    assert metrics.incident_counts(
        viewer, metrics.MetricFilters(zone=auckland, start=dt.date(2026, 2, 1))
    ).rows
    assert not metrics.incident_counts(viewer, metrics.MetricFilters(start=dt.date(2026, 2, 1))).rows


def test_outsider_sees_no_figure_from_incidents_they_cannot_see(world, outsider):
    for figure in metrics.figures_for(outsider, metrics.MetricFilters()):
        if figure.slug == "action-items":
            assert dict(figure.rows)["Action items"] == 0
        elif figure.slug == "missing-tests":
            assert all(r[1] == 0 for r in figure.rows)
        elif figure.slug in ("findings-open", "findings-closure"):
            continue  # findings not tied to an incident are not incident data
        else:
            assert figure.rows == [], figure.slug


def test_an_incident_resolved_before_detection_counts_zero_in_time_to_resolve_never_negative(viewer):
    for detected, resolved in [(600, 3600), (3000, 1500)]:  # the second was resolved before detection
        IncidentFactory(
            severity="SEV4",
            started_at=at(2, 1),
            detected_at=at(2, 1, seconds=detected),
            resolved_at=at(2, 1, seconds=resolved),
            status=IncidentStatus.RESOLVED,
        )
    rows = _rows(metrics.durations_by_severity(viewer, metrics.MetricFilters()))
    # 3000 and 0 (not -1500): mean 1500, median 1500.
    assert rows[("SEV4", "Time to resolve")][:4] == [2, 0, 1500, 1500]


def test_sub_second_durations_are_cut_never_rounded_up_like_every_other_surface(viewer):
    # Found by an outside tester: 59.999 s showed "1 min" on Insights and 60 in its CSV, while the incident
    # page, exports and the API said "< 1 min" / 59; aggregates rounded up too (mean 2999.75 s read 50 min).
    from incidents.timefmt import format_duration

    start = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)
    for detect, resolve in ((59.999, 3599.5), (59.999, 2400.0)):
        IncidentFactory(
            severity="SEV1",
            started_at=start,
            detected_at=start + dt.timedelta(seconds=detect),
            resolved_at=start + dt.timedelta(seconds=detect + resolve),
            status=IncidentStatus.RESOLVED,
        )
    rows = _rows(metrics.durations_by_severity(viewer, metrics.MetricFilters()))
    measured, unknown, mean, median, p90 = rows[("SEV1", "Time to detect")]
    assert (mean, median, p90) == (59, 59, 59)
    assert format_duration(mean) == "< 1 min"
    _m, _u, mean, median, p90 = rows[("SEV1", "Time to resolve")]
    assert mean == 2999  # 2999.75 s: 49 min, not 50
    assert format_duration(mean) == "49 min"
    assert p90 == 3479  # 3479.55 s: 57 min, not 58
    assert format_duration(p90) == "57 min"
