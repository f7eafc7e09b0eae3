"""A seventh round of own sentences (issue 17's sixth pass), two or three per corpus kind, written after the
sixth round was generalised and run once before any further change: 21/22 caught, 0/22 near misses flagged
(the miss, "trusting the vendor's engineers with our keys", then generalised, with a thing trusted with work
as its near miss). None is from a corpus in `data/`.
"""

from __future__ import annotations

import pytest

from incidents.review.blameless import check_text

BLAMING = [
    "If Anika had read the release notes, she'd have seen the breaking change.",
    "Had the on-call checked the dashboard, this would have been a five-minute blip.",
    "In hindsight it was obvious the cert would expire, and Dev still ignored it.",
    "Anyone could see the disk was filling; the storage team just didn't look.",
    "The root cause is human error on the data team's side.",
    "Karl is sloppy, and this outage proves it.",
    "Jess needs to learn how our deploy tool works before she touches it again.",
    "The backend team should all take a refresher on SQL indexes.",
    "Noor's config typo took down the login page, and nobody reviewed it.",
    "Vikram broke the build again.",
    "The cache was flushed by Helen without telling anyone.",
    "The rollout was rushed by the product team.",
    "Sven's careless cutover cost us six hours.",
    "Her rushed review let the bug through.",
    "He never tests anything before pushing.",
    "They ignored the runbook, as usual.",
    "The intern dropped the wrong table.",
    "Our DBA forgot to re-enable replication.",
    "Wow, another flawless deploy from the mobile team.",
    "Great job, platform team, on taking down every region at once.",
    "The alerting worked; Rosa just muted it.",
    "Can we really keep trusting the vendor's engineers with our keys?",
]

NEUTRAL = [
    "If the release notes had flagged the breaking change, Anika would have seen it.",
    "Had the dashboard shown the replica lag, the on-call could have acted in minutes.",
    "In hindsight, the expiry warning went to a mailbox nobody monitors.",
    "The disk-fill alert had a 99% threshold, so it fired only after writes failed.",
    "We stopped writing 'human error' in root cause fields last year.",
    "Karl wrote the runbook we followed during the outage.",
    "Jess is learning the deploy tool and has asked for a pairing session.",
    "The backend team asked for a refresher on SQL indexes, and we booked one.",
    "Noor's config change passed review and CI, and the typo was in a field neither checks.",
    "Vikram fixed the build again after the flaky test returned.",
    "The cache was flushed by the deploy hook, as designed.",
    "The rollout was scheduled by the product team for the quiet window.",
    "Sven's cutover plan had a rollback step that worked.",
    "Her review caught two bugs before the release.",
    "He always tests in staging first, and staging was missing the new schema.",
    "They followed the runbook, which was out of date.",
    "The migration tool dropped the wrong table because the two names differ by one letter.",
    "Replication was not re-enabled because the script exited early on a warning.",
    "Another clean deploy from the mobile team: zero crashes in the first hour.",
    "Great job, platform team, on bringing every region back within ten minutes.",
    "The alerting worked, and Rosa acknowledged the page within a minute.",
    "Can we rotate the vendor's keys every month instead of every year?",
    "We trusted the vendor's API with retries, and it retried forever.",
]


@pytest.mark.parametrize("text", BLAMING)
def test_a_blaming_sentence_of_the_seventh_round_is_flagged(text):
    assert check_text(text), text


@pytest.mark.parametrize("text", NEUTRAL)
def test_a_near_miss_of_the_seventh_round_is_not(text):
    assert not check_text(text), (text, [(f.rule, f.text) for f in check_text(text)])
