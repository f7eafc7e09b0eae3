"""A sixth round of own sentences (issue 17's sixth pass) on the family still weakest on fresh sentences,
an ordinary act tied to its effect, written after the fifth round was generalised and run once before any
further change: 5/15 caught, 1/15 near misses flagged. Its misses were then generalised by class (a fronted
"within seconds of <person> ...", "that was the end of", clefts that name the act: "It was <person's act>
that set ... off", "What broke it was <person> ...", "The deploy <person> started ... is what took ...
down"; "everything was green until <person> ..."; "turned a small bug into an outage"; "is what you get
when <person> ..."; neutral: an act done after checking first). One is kept as a known miss (a split brain
told only as "both nodes thought they were primary"). None is from a corpus in `data/`.
"""

from __future__ import annotations

import pytest

from incidents.review.blameless import check_text

BLAMING = [
    "Within seconds of Jonas applying the network policy, every pod lost DNS.",
    "Alba bumped the replica count to zero, and that was the end of search for the afternoon.",
    "It was Hector's restart of the broker that set the whole thing off.",
    "What broke it was Saoirse switching the DNS provider mid-migration.",
    "Marek deleted the old bucket; turns out the backups lived there.",
    "After Ilya's manual failover, both nodes thought they were primary.",
    "Once Dana pushed the new certificate, no client could connect.",
    "The deploy Femke started at 17:50 is what took the API down.",
    "Tom rebooted the switch mid-day and took the whole floor offline.",
    "Rin rolled the change to every region in one go, which turned a small bug into a global outage.",
    "The outage is what you get when Kwame runs migrations by hand on prod.",
    "Luca flipped the kill switch for the wrong service and payments went dark.",
    "Per the logs, Oona's script is what emptied the queue.",
    "Everything was green until Bram merged the dependency bump.",
    "The moment the on-call restarted the primary, replication broke.",
]

NEUTRAL = [
    "Within seconds of Jonas rolling back the network policy, DNS recovered.",
    "Alba bumped the replica count to six, and search latency halved.",
    "It was Hector's restart of the broker that cleared the stuck partitions.",
    "What broke it was the DNS provider's outage during the migration.",
    "Marek deleted the old bucket after confirming the backups had moved.",
    "After Ilya's manual failover, the new primary took writes within a minute.",
    "Once Dana pushed the new certificate, the expiry alerts stopped.",
    "The deploy Femke started at 17:50 finished at 18:05 without errors.",
    "Tom rebooted the switch during the maintenance window, as announced.",
    "Rin rolled the change to one region first and watched the error rate.",
    "Kwame runs the migrations through the pipeline now.",
    "Luca flipped the kill switch for the payments service and the error rate dropped.",
    "Per the logs, the consumer's retry loop is what emptied the queue.",
    "Everything was green until the dependency bump reached production through the nightly build.",
    "The moment the primary restarted on its own, replication broke.",
    # what a person saw, told beside the failure (the demo postmortem's wording)
    "The engineer who ran the command saw within a minute that the disk was empty and the site was down.",
]


# Missed by the rules alone ("the failure told without a failure word") and caught since the model's opinion
# is combined with them (incidents/review/blameless/model.py; left out of its training, as every KNOWN set is).
KNOWN_MISSES = {"After Ilya's manual failover, both nodes thought they were primary."}


def test_what_the_rules_alone_miss_the_model_catches():
    from incidents.review.blameless import _names, parts

    for text in KNOWN_MISSES:
        assert not parts.find(text, _names([])), text
        assert check_text(text), text


@pytest.mark.parametrize("text", BLAMING)
def test_a_blaming_sentence_of_the_sixth_round_is_flagged(text):
    assert check_text(text), text


@pytest.mark.parametrize("text", NEUTRAL)
def test_a_near_miss_of_the_sixth_round_is_not(text):
    assert not check_text(text), (text, [(f.rule, f.text) for f in check_text(text)])
