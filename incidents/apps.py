from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # Registers notification message builders and event receivers (claim-then-send).
        from incidents.notify import messages as notifications  # noqa: F401
        from incidents.notify import webhooks  # noqa: F401 - registers the outbound webhook receivers
