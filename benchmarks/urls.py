"""The project's URLs plus the floor view the benchmark runner compares pages with."""

from django.urls import path

from benchmarks.harness import file_floor_view, floor_view
from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("__bench__/floor/<str:key>/", floor_view, name="bench-floor"),
    path("__bench__/file-floor/<str:key>/", file_floor_view, name="bench-file-floor"),
    *project_urlpatterns,
]
