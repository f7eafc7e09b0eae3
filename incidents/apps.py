from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # A worker must know every message builder before it takes a task: the notify services load them all.
        from incidents.insights.metrics import cache as insights_cache
        from incidents.notify import services  # noqa: F401 - registers the message builders

        insights_cache.connect()  # writes drop the cached Insights figures
