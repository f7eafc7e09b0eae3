"""Follow-through routes (included from incidents/urls.py, so names are `incidents:<name>`)."""

from django.urls import path

from incidents.followup.views import findings as views_findings
from incidents.followup.views import items as views_items

urlpatterns = [
    path("my-work/", views_items.my_work, name="my_work"),
    path("action-items/", views_items.team_board, name="team_board"),
    path("action-items/new/", views_items.action_item_new, name="action_item_new"),
    path("action-items/export.csv", views_items.action_item_export, name="action_item_export"),
    path("action-items/<int:item_id>/", views_items.action_item_detail, name="action_item_detail"),
    path("action-items/<int:item_id>/edit/", views_items.action_item_edit, name="action_item_edit"),
    path("action-items/<int:item_id>/status/", views_items.action_item_status, name="action_item_status"),
    path("action-items/<int:item_id>/recheck/", views_items.action_item_recheck, name="action_item_recheck"),
    path(
        "action-items/<int:item_id>/recurrence/",
        views_items.action_item_recurrence,
        name="action_item_recurrence",
    ),
    path("findings/", views_findings.finding_list, name="finding_list"),
    path("findings/new/", views_findings.finding_new, name="finding_new"),
    path("findings/export.csv", views_findings.finding_export, name="finding_export"),
    path("findings/<int:finding_id>/", views_findings.finding_detail, name="finding_detail"),
    path("findings/<int:finding_id>/edit/", views_findings.finding_edit, name="finding_edit"),
    path("findings/<int:finding_id>/status/", views_findings.finding_transition, name="finding_transition"),
    path("findings/<int:finding_id>/verify/", views_findings.finding_verify, name="finding_verify"),
    path(
        "findings/<int:finding_id>/accept-risk/",
        views_findings.finding_accept_risk,
        name="finding_accept_risk",
    ),
    path(
        "findings/<int:finding_id>/seen-again/", views_findings.finding_seen_again, name="finding_seen_again"
    ),
    path("reassign/", views_items.reassign, name="reassign"),
    path("reassign/bulk/", views_items.bulk_reassign, name="bulk_reassign"),
]
