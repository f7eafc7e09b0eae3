"""`python manage.py generate_history --incidents 500`: a generated year of incidents for the insights demo."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.demo.history import MAX_INCIDENTS, history_generate


class Command(BaseCommand):
    help = (
        "Create a generated year of incidents (titles start with [generated], tagged 'generated') "
        "with timeline entries, contributing factors, action items and postmortems, for the insights demo."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--incidents", type=int, required=True, help=f"How many (1 to {MAX_INCIDENTS:,})."
        )
        parser.add_argument("--seed", type=int, default=2017, help="Same seed, same data (default 2017).")
        parser.add_argument(
            "--entries", type=int, default=5, help="Timeline entries per incident (default 5)."
        )
        parser.add_argument("--items", type=int, default=2, help="Action items per incident (default 2).")
        parser.add_argument("--days", type=int, default=365, help="Spread over this many days (default 365).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["days"] < 1:
            raise CommandError("--days must be at least 1.")
        try:
            result = history_generate(
                incidents=options["incidents"],
                seed=options["seed"],
                entries_per_incident=options["entries"],
                items_per_incident=options["items"],
                days=options["days"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated INC-{result.first_number}..INC-{result.last_number}: {result.incidents} incidents, "
                f"{result.timeline_entries} timeline entries, {result.factors} contributing factors, "
                f"{result.action_items} action items, {result.postmortems} postmortems "
                "(all marked [generated] and tagged 'generated')."
            )
        )
