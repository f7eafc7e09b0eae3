"""The blameless check's second opinion (incidents/review/blameless/model.py): the shipped weights are the ones
the training script writes from the data in this repository, the pure-Python runtime gives scikit-learn's
probabilities, and its findings teach as the rules' findings do.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path

import pytest

from incidents.review.blameless import _names, check_text, model, parts
from incidents.review.blameless.explain import LABELS

ROOT = Path(__file__).resolve().parents[3]
WEIGHTS = ROOT / "incidents" / "review" / "blameless" / "data" / "model" / "blameless.json"


@pytest.fixture(scope="module")
def shipped() -> dict:
    return json.loads(WEIGHTS.read_text("utf-8"))


def _training_script():
    spec = importlib.util.spec_from_file_location(
        "train_blameless_model", ROOT / "scripts" / "train_blameless_model.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_runtime_gives_scikit_learns_probabilities(shipped):
    names = _names([])
    assert len(shipped["reference"]) >= 10
    for ref in shipped["reference"]:
        assert model.probability(ref["text"], names) == pytest.approx(ref["probability"], abs=1e-4), ref[
            "text"
        ]


def test_the_weights_were_trained_on_the_data_in_this_repository_and_never_on_a_validation_half(shipped):
    train = _training_script()
    by_writer, own = train.training_rows()
    rows = own + [r for rs in by_writer.values() for r in rs]
    assert shipped["training_sha256"] == train.sha_of(rows), "retrain: scripts/train_blameless_model.py"
    assert shipped["training_sentences"] == len(rows)
    held = {r["text"] for rs in train.held_back().values() for r in rs}
    assert "blameless_independent_validation11" in train.held_back()
    assert not held & {r["text"] for r in rows}


def test_the_weights_are_small_and_nothing_heavy_is_imported_at_run_time(shipped):
    assert WEIGHTS.stat().st_size < 1_000_000
    assert 10_000 <= len(shipped["weights"]) <= 60_000
    source = (ROOT / "incidents" / "review" / "blameless" / "model.py").read_text("utf-8")
    assert "sklearn" not in source.replace("scikit-learn", "")
    assert "import numpy" not in source
    assert "sklearn" not in sys.modules
    assert "numpy" not in sys.modules


def test_a_sentence_only_the_model_flags_is_a_finding_that_teaches():
    text = "Congratulations to ops on our third outage this month."
    assert not parts.find(text, _names([]))
    [finding] = check_text(text)
    assert finding.rule == "model"
    assert finding.label == LABELS["model"]
    assert finding.spans
    assert all(0 <= a < b <= len(text) for a, b in finding.spans)
    assert any(highlighted for _, highlighted in finding.context)
    assert "model" not in finding.reason.lower()
    assert "_" not in finding.reason
    assert "system" in finding.reason
    assert finding.suggestion


def test_a_model_rewording_is_built_from_the_sentence():
    hit = model.model_hit("The intern pushed the config straight to prod on Friday.", _names([]))
    assert "push the config straight to prod on Friday" in model.suggestion(hit)


def test_a_rule_finding_the_model_finds_very_unlikely_to_blame_is_dropped():
    text = "The health check is asleep at the wheel: it only checks that the port is open."
    assert parts.find(text, _names([]))
    assert model.probability(text, _names([])) < model.VETO_BELOW
    assert check_text(text) == []


def test_the_rules_neutral_side_vetoes_a_model_only_finding():
    names = _names([])
    assert model.neutral_reading("The cache evicted the hot keys when the node restarted.", names)
    assert model.neutral_reading("What made the wrong cluster look like the right one?", names)
    assert model.neutral_reading("Rolling back made sense given what we knew at the time.", names)
    assert not model.neutral_reading("Priya pushed the config on a Friday night.", names)


def test_the_model_finds_the_same_in_a_longer_text_and_keeps_offsets():
    sentence = "Congratulations to ops on our third outage this month."
    text = "The database failed over at 10:02. " + sentence
    [finding] = check_text(text)
    assert finding.rule == "model"
    assert finding.start >= text.index(sentence)
    assert text[finding.start : finding.end] in sentence


def test_the_model_adds_little_time_to_a_sentence():
    from tests.incidents.review.test_blameless import SENTENCES

    names = _names([])
    model.probability("warm up the weights", names)
    texts = [r["text"] for r in SENTENCES]
    start = time.perf_counter()
    for t in texts:
        model.probability(t, names)
    assert (time.perf_counter() - start) / len(texts) < 0.005
