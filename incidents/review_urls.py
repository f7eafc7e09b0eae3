"""URLs of the blameless review pages, included from `incidents/urls.py` (names in the `incidents` namespace)."""

from django.urls import path

from incidents.views import review as views

P = "incidents/<int:number>/postmortem/"
urlpatterns = [
    path(P, views.postmortem_detail, name="postmortem"),
    path(P + "start/", views.postmortem_start, name="postmortem_start"),
    path(P + "edit/", views.postmortem_edit, name="postmortem_edit"),
    path(P + "preview/", views.postmortem_preview, name="postmortem_preview"),
    path(P + "questions/", views.postmortem_questions, name="postmortem_questions"),
    path(P + "review/", views.postmortem_request_review, name="postmortem_request_review"),
    path(P + "decide/", views.postmortem_decide, name="postmortem_decide"),
    path(P + "publish/", views.postmortem_publish, name="postmortem_publish"),
    path(P + "reopen/", views.postmortem_reopen, name="postmortem_reopen"),
    path(P + "dismiss/", views.blameless_dismiss, name="blameless_dismiss"),
    path(P + "diff/", views.postmortem_diff, name="postmortem_diff"),
    path(P + "version/", views.postmortem_version, name="postmortem_version"),
    path(P + "export.md", views.postmortem_export_markdown, name="postmortem_export_md"),
    path(P + "export.json", views.postmortem_export_json, name="postmortem_export_json"),
    path(P + "export.pdf", views.postmortem_export_pdf, name="postmortem_export_pdf"),
    path(P + "print/", views.postmortem_print, name="postmortem_print"),
    path(P + "import/", views.postmortem_import, name="postmortem_import"),
    path(P + "meeting/", views.meeting, name="meeting"),
    path(P + "meeting/factor/", views.meeting_factor, name="meeting_factor"),
    path(P + "meeting/action/", views.meeting_action, name="meeting_action"),
    path("incidents/<int:number>/factors/add/", views.factor_add, name="factor_add"),
    path("incidents/<int:number>/factors/<int:factor_id>/edit/", views.factor_edit, name="factor_edit"),
]
