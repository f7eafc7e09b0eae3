"""Follow-through routes (included from incidents/urls.py, so names are `incidents:<name>`)."""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType

from django.urls import URLPattern, path

from incidents.followup.views import findings as views_findings
from incidents.followup.views import items as views_items


def work_routes(
    prefix: str, kwarg: str, views: ModuleType, name: str, *, board: str, actions: Mapping[str, str]
) -> list[URLPattern]:
    """The routes of one kind of follow-through work, each named as its view in `views` (a view that is
    missing fails at import): `<prefix>/` → `board`; `<prefix>/new/`, `<prefix>/export.csv`,
    `<prefix>/<int:kwarg>/` and `.../edit/` → `<name>_new`, `_export`, `_detail`, `_edit`; and for each
    `segment: action` of `actions`, `<prefix>/<int:kwarg>/<segment>/` → `<name>_<action>`."""
    one = f"{prefix}/<int:{kwarg}>/"
    routes = {
        f"{prefix}/": board,
        f"{prefix}/new/": f"{name}_new",
        f"{prefix}/export.csv": f"{name}_export",
        one: f"{name}_detail",
        f"{one}edit/": f"{name}_edit",
        **{f"{one}{segment}/": f"{name}_{action}" for segment, action in actions.items()},
    }
    return [path(route, getattr(views, view), name=view) for route, view in routes.items()]


urlpatterns = [
    path("my-work/", views_items.my_work, name="my_work"),
    *work_routes(
        "action-items",
        "item_id",
        views_items,
        "action_item",
        board="team_board",
        actions={"status": "status", "recheck": "recheck", "recurrence": "recurrence"},
    ),
    *work_routes(
        "findings",
        "finding_id",
        views_findings,
        "finding",
        board="finding_list",
        actions={
            "status": "transition",
            "verify": "verify",
            "accept-risk": "accept_risk",
            "seen-again": "seen_again",
        },
    ),
    path("reassign/", views_items.reassign, name="reassign"),
    path("reassign/bulk/", views_items.bulk_reassign, name="bulk_reassign"),
]
