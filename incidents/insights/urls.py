"""Insights, search and similar incidents."""

from django.urls import path

from incidents.insights import views

urlpatterns = [
    path("insights/", views.insights, name="insights"),
    path("insights/<slug:figure>.csv", views.insights_csv, name="insights_csv"),
    path("search/", views.search_page, name="search"),
    path("incidents/similar/", views.similar_preview, name="similar_preview"),
    path("incidents/<int:number>/similar/", views.similar_for_incident, name="similar"),
]
