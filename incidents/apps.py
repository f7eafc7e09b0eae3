from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # A worker must know every message builder and the webhook tasks before it takes a task.
        from incidents.notify import (
            messages,  # noqa: F401 - registers the message builders
            webhooks,  # noqa: F401 - loads the delivery tasks
        )
