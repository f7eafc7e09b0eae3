"""The project's URLs plus the floor view the benchmark runner compares pages with."""

from django.urls import path

from benchmarks.harness import floor_view
from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("__bench__/floor/<str:key>/", floor_view, name="bench-floor"),
    *project_urlpatterns,
]
