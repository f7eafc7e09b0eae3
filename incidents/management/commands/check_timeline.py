"""`manage.py check_timeline [--repair]`: report (and repair) timeline rows stored before today's rules.

Reports severity rows stored out of order (a "from" that is not what the row before it left, and a latest
row that disagrees with the incident's severity) and incidents without an "Impact started" row
(`incidents.incident.services.repairs`). Exits 1 while a finding is left; `--repair` repairs what has one
true answer and reports the rest.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.incident.services.repairs import timeline_findings, timeline_findings_repair


class Command(BaseCommand):
    help = "Report timeline rows stored out of order or missing (severity changes, “Impact started”); --repair fixes them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repair", action="store_true", help="Repair what has one true answer.")

    def handle(self, *args: Any, **options: Any) -> None:
        findings = timeline_findings()
        repaired = timeline_findings_repair(findings) if options["repair"] else 0
        left = [f for f in findings if not (options["repair"] and f.repairable)]
        for finding in left:
            self.stdout.write(finding.message)
        self.stdout.write(f"{len(findings)} finding(s); {repaired} repaired; {len(left)} left.")
        if left:
            raise CommandError(f"{len(left)} timeline finding(s) left.", returncode=1)
