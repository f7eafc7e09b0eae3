"""Train the blameless check's second opinion (incidents/review/blameless/model.py) and measure it.

    .venv/bin/python scripts/train_blameless_model.py           # measure (leave one writer out) and write
    .venv/bin/python scripts/train_blameless_model.py --check   # measure only

scikit-learn is a dev-only dependency (`pip install -e .[dev]`): it trains here and is never imported at run
time; the weights go to incidents/review/blameless/data/model/blameless.json with the sha256 of the training
data and a few reference probabilities (tests/incidents/review/test_blameless_model.py checks both).

Training data, and only this: the tuning halves of the independent writers' corpora
(tests/incidents/review/data/blameless_independent_tuning*.json; never a *_validation*.json file), the
project's own corpora (blameless_sentences.json, blameless_corpus.py), and the sentences written into the
test_blameless*.py files, labelled as the tests hold them (flagged by the rules or not, which is what those
tests assert; known misses are left out, as are any sentences of a validation half).

Leave one writer out (LOWO): each writer's tuning half is scored by a model trained without it, so the
figures are those of a writer the model has never seen. Printed per writer and pooled, for the rules alone,
the model alone, either, and the combination the runtime uses (see model.combine).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")

DATA = ROOT / "tests" / "incidents" / "review" / "data"
TESTS = ROOT / "tests" / "incidents" / "review"
OUT = ROOT / "incidents" / "review" / "blameless" / "data" / "model" / "blameless.json"
C = float(os.environ.get("BLAMELESS_C", "16"))
MIN_DF = 2
# the project's own sentences count this many times: its near misses sit right beside blaming sentences on
# purpose, and the test suite holds the check to them
OWN_WEIGHT = float(os.environ.get("BLAMELESS_OWN_WEIGHT", "4"))


def writer_of(path: Path) -> str:
    return path.stem.removeprefix("blameless_independent_tuning") or "1"


def writers() -> dict[str, list[dict]]:
    """Each writer's tuning half, by writer number."""
    out = {}
    for path in sorted(DATA.glob("blameless_independent_tuning*.json")):
        out[writer_of(path)] = json.loads(path.read_text("utf-8"))["sentences"]
    return out


def held_back() -> dict[str, list[dict]]:
    return {
        p.stem: json.loads(p.read_text("utf-8"))["sentences"] for p in sorted(DATA.glob("*_validation*.json"))
    }


def _test_literals(path: Path) -> tuple[list[str], set[str]]:
    """Sentence-like string literals of a test file, and those it marks as known misses."""
    tree = ast.parse(path.read_text("utf-8"))
    docstrings = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef))
        and n.body
        and isinstance(n.body[0], ast.Expr)
        and isinstance(n.body[0].value, ast.Constant)
    }
    known: set[str] = set()
    for n in ast.walk(tree):
        marked = (
            isinstance(n, ast.Assign) and any("KNOWN" in ast.unparse(t).upper() for t in n.targets)
        ) or (isinstance(n, ast.Call) and ast.unparse(n.func).endswith("param") and "xfail" in ast.unparse(n))
        if marked:
            known |= {
                c.value for c in ast.walk(n) if isinstance(c, ast.Constant) and isinstance(c.value, str)
            }
    texts = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and id(n) not in docstrings
        and len(n.value.split()) >= 3
        and len(n.value) <= 300
        and "\n" not in n.value.strip()
        and re.search(r"[A-Za-z]{2}", n.value)
        and not re.search(r"[{}\[\]=<>]|\\|def |assert |::", n.value)
    ]
    return texts, known


def own_sentences(exclude: set[str]) -> list[dict]:
    """The project's own sentences: its corpora, and the sentences of the blameless tests as the tests hold
    them (flagged by the rules or not). `exclude` (validation halves) is never taken."""
    from incidents.review.blameless import _names, parts
    from tests.incidents.review.blameless_corpus import BLAME, CORPUS

    rows = json.loads((TESTS / "blameless_sentences.json").read_text("utf-8"))["sentences"]
    out = [{"text": r["text"], "blaming": r["blaming"], "kind": "own:" + r["kind"]} for r in rows]
    out += [{"text": s, "blaming": label == BLAME, "kind": "own:older"} for s, label, _ in CORPUS]
    out = [
        r for r in out if r["text"] not in exclude
    ]  # "Root cause: human error." is in validation halves too
    seen = {r["text"] for r in out} | exclude
    names = _names([])
    for path in sorted(TESTS.glob("test_blameless*.py")):
        if path.name == "test_blameless_model.py":
            continue  # the model's own tests quote sentences to test it with (known misses of the rules among them)
        texts, known = _test_literals(path)
        for t in texts:
            if t in seen or t in known:
                continue
            seen.add(t)
            out.append({"text": t, "blaming": bool(parts.find(t, names)), "kind": "own:tests"})
    return out


def sha_of(rows: list[dict]) -> str:
    body = json.dumps(sorted((r["text"], bool(r["blaming"])) for r in rows), ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class Trainer:
    def __init__(self) -> None:
        from incidents.review.blameless import _names

        self.names = _names([])
        self.cache: dict[str, list[str]] = {}

    def feats(self, text: str) -> list[str]:
        from incidents.review.blameless.model import features

        if text not in self.cache:
            self.cache[text] = features(text, self.names)
        return self.cache[text]

    def fit(self, rows: list[dict]):
        from sklearn.feature_extraction.text import CountVectorizer  # type: ignore[import-not-found, import-untyped, unused-ignore]
        from sklearn.linear_model import LogisticRegression  # type: ignore[import-not-found, import-untyped, unused-ignore]
        from sklearn.preprocessing import normalize  # type: ignore[import-not-found, import-untyped, unused-ignore]

        vec = CountVectorizer(analyzer=self.feats, binary=True, min_df=MIN_DF, lowercase=False)
        x = normalize(vec.fit_transform([r["text"] for r in rows]))
        y = [bool(r["blaming"]) for r in rows]
        # lbfgs's default tolerance stops at 25 iterations, far from the optimum at this C: run it to the end
        clf = LogisticRegression(C=C, class_weight="balanced", max_iter=20000, tol=1e-7)
        clf.fit(x, y, sample_weight=[OWN_WEIGHT if r["kind"].startswith("own:") else 1.0 for r in rows])
        return vec, clf

    def proba(self, model, texts: list[str]) -> list[float]:
        from sklearn.preprocessing import normalize  # type: ignore[import-not-found, import-untyped, unused-ignore]

        vec, clf = model
        return [float(p) for p in clf.predict_proba(normalize(vec.transform(texts)))[:, 1]]


def rule_flags(texts: list[str]) -> list[bool]:
    from incidents.review.blameless import _names, parts

    names = _names([])
    return [bool(parts.find(t, names)) for t in texts]


def neutral_flags(texts: list[str]) -> list[bool]:
    from incidents.review.blameless import _names
    from incidents.review.blameless.model import neutral_reading

    names = _names([])
    return [neutral_reading(t, names) for t in texts]


def combos(rules: bool, p: float, neutral: bool) -> dict[str, bool]:
    from incidents.review.blameless.model import FLAG_AT, VETO_BELOW

    return {
        "rules": rules,
        "model": p >= 0.5,
        "rules or model": rules or p >= 0.5,
        "combined": (rules and p >= VETO_BELOW) or (not rules and p >= FLAG_AT and not neutral),
    }


def tally(rows: list[dict], decisions: list[dict[str, bool]]) -> dict[str, tuple[int, int, int, int]]:
    out: dict[str, list[int]] = {}
    for r, d in zip(rows, decisions, strict=True):
        for name, flag in d.items():
            t = out.setdefault(name, [0, 0, 0, 0])  # caught, blaming, flagged, neutral
            if r["blaming"]:
                t[0] += flag
                t[1] += 1
            else:
                t[2] += flag
                t[3] += 1
    return {k: (a, b, c, d) for k, (a, b, c, d) in out.items()}


def line(name: str, t: tuple[int, int, int, int]) -> str:
    a, b, c, d = t
    return f"{name:18} recall {a}/{b} = {a / b:.1%}   false positives {c}/{d} = {c / d:.1%}"


RAW: list[tuple] = []


def sweep(only=None) -> None:
    """Pooled LOWO figures of the combination for other thresholds (to choose them; tuning halves only)."""
    global RAW
    keep = RAW
    if only:
        RAW = [r for r in RAW if r[4] in only]
    for veto in (0.0, 0.2, 0.3, 0.4):
        for flag in (0.55, 0.6, 0.65, 0.7, 0.76):
            for use_neutral in (True,):
                caught = sum(
                    1
                    for b, rf, p, nf, _ in RAW
                    if b and ((rf and p >= veto) or (not rf and p >= flag and not (use_neutral and nf)))
                )
                flagged = sum(
                    1
                    for b, rf, p, nf, _ in RAW
                    if not b and ((rf and p >= veto) or (not rf and p >= flag and not (use_neutral and nf)))
                )
                nb = sum(1 for r in RAW if r[0])
                print(
                    f"    veto<{veto} flag>={flag} neutral={use_neutral}: {caught / nb:.1%} / {flagged / (len(RAW) - nb):.1%}"
                )
    RAW = keep


def lowo(trainer: Trainer, by_writer: dict[str, list[dict]], own: list[dict]) -> dict:
    """Leave one writer out: per writer and pooled, each decision's (caught, blaming, flagged, neutral)."""
    per: dict[str, dict] = {}
    pooled: dict[str, list[int]] = {}
    for w, rows in by_writer.items():
        train = own + [r for o, rs in by_writer.items() if o != w for r in rs]
        model = trainer.fit(train)
        texts = [r["text"] for r in rows]
        ps = trainer.proba(model, texts)
        decisions = [
            combos(rf, p, nf) for rf, p, nf in zip(rule_flags(texts), ps, neutral_flags(texts), strict=True)
        ]
        per[w] = tally(rows, decisions)
        RAW.extend(
            (r["blaming"], rf, p, nf, w)
            for r, rf, p, nf in zip(rows, rule_flags(texts), ps, neutral_flags(texts), strict=True)
        )
        for k, v in per[w].items():
            acc = pooled.setdefault(k, [0, 0, 0, 0])
            for i in range(4):
                acc[i] += v[i]
    return {"per_writer": per, "pooled": {k: tuple(v) for k, v in pooled.items()}}


def export(trainer: Trainer, model, rows: list[dict], samples: list[str], measured: dict | None) -> dict:
    vec, clf = model
    vocab = vec.vocabulary_
    coef = clf.coef_[0]
    weights = {f: round(float(coef[i]), 5) for f, i in sorted(vocab.items())}
    probs = trainer.proba(model, samples)
    return {
        "about": "Logistic regression weights for incidents/review/blameless/model.py, written by "
        f"scripts/train_blameless_model.py (scikit-learn, C={C}, class_weight balanced, min_df {MIN_DF}, binary "
        f"features scaled to unit length, the project's own sentences weighted {OWN_WEIGHT}). Trained on the "
        "writers' tuning halves and the project's own sentences only.",
        "training_sha256": sha_of(rows),
        "training_sentences": len(rows),
        "intercept": round(float(clf.intercept_[0]), 6),
        "lowo": measured,  # leave one writer out, per decision: [caught, blaming, flagged, neutral]
        "reference": [{"text": t, "probability": round(p, 6)} for t, p in zip(samples, probs, strict=True)],
        "weights": weights,
    }


def training_rows() -> tuple[dict[str, list[dict]], list[dict]]:
    """The writers' tuning halves and the project's own sentences (as the test checks the sha against)."""
    import django

    django.setup()
    exclude = {r["text"] for rows in held_back().values() for r in rows}
    by_writer = writers()
    for rows in by_writer.values():
        assert not exclude & {r["text"] for r in rows}
    return by_writer, own_sentences(exclude)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="measure only; do not write the weights")
    parser.add_argument(
        "--no-lowo",
        action="store_true",
        help="skip leave-one-writer-out (the weights then carry no LOWO figures)",
    )
    args = parser.parse_args()
    by_writer, own = training_rows()
    trainer = Trainer()
    result = None
    if not args.no_lowo:
        result = lowo(trainer, by_writer, own)
        print("leave one writer out (each writer scored by a model trained without it):")
        for w, t in result["per_writer"].items():
            print(
                f"  writer {w}: " + "; ".join(f"{k} {a / b:.1%}/{c / d:.1%}" for k, (a, b, c, d) in t.items())
            )
        print("  pooled:")
        for k, t in result["pooled"].items():
            print("    " + line(k, t))
        sweep()
        print("  writers 8 and 10 only:")
        sweep({"8", "10"})
    rows = own + [r for rs in by_writer.values() for r in rs]
    model = trainer.fit(rows)
    for name, held in held_back().items():
        texts = [r["text"] for r in held]
        ps = trainer.proba(model, texts)
        decisions = [
            combos(rf, p, nf) for rf, p, nf in zip(rule_flags(texts), ps, neutral_flags(texts), strict=True)
        ]
        print(f"{name} (never trained on):")
        for k, t in tally(held, decisions).items():
            print("    " + line(k, t))
    samples = [r["text"] for r in rows[:: max(1, len(rows) // 12)]][:12]
    measured = None
    if result is not None:
        measured = {"pooled": result["pooled"], "per_writer": result["per_writer"]}
    data = export(trainer, model, rows, samples, measured)
    fitted = trainer.proba(model, [r["text"] for r in rows])
    wrong = [r for r, p in zip(rows, fitted, strict=True) if (p >= 0.5) != r["blaming"]]
    print(
        f"{len(rows)} training sentences, {len(data['weights'])} weights, {len(wrong)} wrong in-sample "
        f"({sum(r['kind'].startswith('own:') for r in wrong)} of them the project's own)"
    )
    if not args.check:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
        print(f"-> {OUT.relative_to(ROOT)} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
