"""Celery tasks of the follow-through: thin wrappers that call one service."""

from __future__ import annotations

from celery import shared_task

from incidents.followup.services.findings import policy_finding_expire_acceptances


@shared_task(acks_late=True, ignore_result=True)
def expire_risk_acceptances() -> int:
    """Reopen policy findings whose risk acceptance has ended; returns how many reopened."""
    return len(policy_finding_expire_acceptances())
