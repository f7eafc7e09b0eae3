"""`python manage.py load_demo`: teams, people, services and the GitLab.com incident of 31 January 2017."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from incidents import demo as incidents_demo
from incidents.demo import gitlab as demo_gitlab
from incidents.demo import people as demo_people


class Command(BaseCommand):
    help = "Load the demo teams, users and the GitLab.com 2017 database outage. Running it twice changes nothing."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("Loading demo data...")
        try:
            incidents_demo.load_demo(log=self.stdout.write)
        except (ValidationError, DatabaseError) as exc:
            raise CommandError(f"Demo data could not be loaded (nothing was saved): {exc}") from exc
        incident = demo_gitlab.gitlab_incident()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {incident.reference} {incident.title}. "
                f"Sign in as commander@example.com or admin@example.com, password {demo_people.DEMO_PASSWORD}"
            )
        )
