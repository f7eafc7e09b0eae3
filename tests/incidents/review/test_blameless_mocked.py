"""Mock praise (issue 17's fifth pass, `mocked.py`): praise or thanks whose object is damage, with no failure
word, and its near misses. The sentences are written for the family here (none from a corpus in `data/`).

When first run, before `mocked.py` existed, the check caught 6/14 of the blaming sentences written for it and
flagged 2/12 near misses. Two stay missed and are not listed: praise whose irony rests on the incident
alone, with no damage in the sentence ("What a masterclass in change management from the networking folks").
"""

from __future__ import annotations

import pytest

from incidents.review.blameless import check_text


@pytest.mark.parametrize(
    "text",
    [
        "Thanks a lot, Marek, for nuking the staging cluster an hour before the demo.",
        "Really appreciate the platform team taking down checkout during the sale.",
        "Such thorough testing, only two regions dark.",
        "Give the release crew a medal: three rollbacks in one afternoon.",
        "Bravo, data team, another corrupted nightly export.",
        "Stellar work by Ilse, the whole cache got flushed at peak.",
        "Kudos to the person who pushed straight to main on a Friday.",
        "Another flawless deploy by the mobile squad, only forty thousand crash reports.",
        "thx ivan for wiping the feature flags, super helpful",
        "Impressive effort from the DBAs: a full day of read-only mode.",
        "Hats off to our on-call for sleeping through six pages.",
        "Employee of the month goes to whoever dropped the orders table.",
    ],
)
def test_praise_for_damage_is_sarcasm(text):
    assert "sarcasm" in {f.rule for f in check_text(text)}, text


@pytest.mark.parametrize(
    "text",
    [
        "Thanks to Lotte for spotting the bad flag and rolling it back within minutes.",
        "'Great job, whoever broke it' was posted in the channel and the facilitator asked us to keep sarcasm out.",
        "Kudos to the platform team for restoring checkout before the sale started.",
        "Thanks a lot, Marek, for staying on the bridge until the cluster was back.",
        "Great job everyone: only four minutes of downtime during the database move.",
        "Impressive work by the DBAs, who restored the orders table from a backup in an hour.",
        "Someone wrote 'nice one, ops' in the incident channel; we talked about why that hurts.",
        "The retry library did a wonderful job of turning a blip into an outage.",
        "Such careful work on the runbook made the failover boring, which is what we want.",
        "Hats off to the support team, who kept customers informed through the outage.",
        "Thanks for the thorough write-up of the corrupted export, Ilse.",
        "Stellar work by the cache layer: it absorbed the whole spike.",
        "Amazing how the one config file without validation is the one that broke.",
    ],
)
def test_thanks_with_a_reason_small_damage_irony_about_a_system_and_quoted_sarcasm_are_not_blame(text):
    assert not check_text(text), (text, [(f.rule, f.text) for f in check_text(text)])


def test_a_quoted_remark_that_is_reported_is_not_the_writers_blame_but_the_same_remark_made_is():
    quoted = "'Great job, whoever broke it' was posted in the channel and the facilitator asked us to keep sarcasm out."
    assert not check_text(quoted)
    assert check_text("Great job, whoever broke it.")


def test_the_mock_praise_finding_highlights_the_praise_and_the_damage():
    text = "Thanks a lot, Marek, for nuking the staging cluster an hour before the demo."
    (finding,) = [f for f in check_text(text) if f.rule == "sarcasm"]
    highlighted = [t for t, lit in finding.context if lit]
    assert highlighted == ["Thanks a lot", "nuking"]
    assert "praises the damage" in finding.reason
