"""Findings that teach: a plain-language reason for each part, and a system-focused rewording built from the
sentence (its object, its verb), so the writer sees what to say instead and not only what to avoid.
"""

from __future__ import annotations

import re

from incidents.review.blameless import (
    caused,
    culprit,
    everyone,
    judgedwork,
    mocked,
    pinned,
    praised,
    remarks,
    standing,
    supervised,
    taught,
    weaklink,
)
from incidents.review.blameless.parts import Hit

LABELS = {
    "person_subject": "A person as the cause",
    "passive_blame": "Blame without a name",
    "fault": "Fault pinned on someone",
    "judgement": "A judgement of a person",
    "human_error": '"Human error" as the cause',
    "hindsight": "Hindsight",
    "counterfactual": "What someone should have done",
    "minimiser": "A word that makes it sound trivial",
    "trust": "A remark on trust or competence",
    "sarcasm": "Sarcasm",
    "sanction": "A remedy aimed at a person",
    "sequence": "Blame by what came next",
    "model": "Reads as blame",
}

_IRREGULAR = {
    "forgot": "forget",
    "broke": "break",
    "took": "take",
    "ran": "run",
    "made": "make",
    "left": "leave",
    "let": "let",
    "lost": "lose",
    "gave": "give",
    "wrote": "write",
    "sent": "send",
    "put": "put",
    "set": "set",
    "kept": "keep",
    "began": "begin",
    "brought": "bring",
    "caught": "catch",
    "chose": "choose",
    "misread": "misread",
    "mistook": "mistake",
    "overrode": "override",
    "blew": "blow",
    "slept": "sleep",
    "did": "do",
    "had": "have",
    "was": "be",
    "were": "be",
    "went": "go",
    "got": "get",
    "read": "read",
}
_PARTICIPLE = {
    "break": "broken",
    "take": "taken",
    "run": "run",
    "make": "made",
    "leave": "left",
    "let": "let",
    "lose": "lost",
    "give": "given",
    "write": "written",
    "send": "sent",
    "put": "put",
    "set": "set",
    "keep": "kept",
    "begin": "begun",
    "bring": "brought",
    "catch": "caught",
    "choose": "chosen",
    "read": "read",
    "forget": "forgotten",
    "do": "done",
    "have": "had",
    "be": "been",
    "go": "gone",
    "get": "got",
    "drive": "driven",
    "see": "seen",
    "know": "known",
    "tell": "told",
    "pay": "paid",
}


def base_form(verb: str) -> str:
    """ "caused" -> "cause", "dropped" -> "drop", "broke" -> "break" (good enough for a suggestion)."""
    v = verb.lower()
    if v in _IRREGULAR:
        return _IRREGULAR[v]
    if v.endswith("ied"):
        return v[:-3] + "y"
    if v.endswith("ed"):
        stem = v[:-2]
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "ls":
            return stem[:-1]
        if (
            stem.endswith(
                (
                    "at",
                    "ut",
                    "iz",
                    "is",
                    "ov",
                    "ir",
                    "ur",
                    "ag",
                    "ok",
                    "as",
                    "id",
                    "ig",
                    "in",
                    "uc",
                    "ip",
                    "ap",
                    "ys",
                    "ur",
                    "av",
                )
            )
            or stem[-1] in "cv"
        ):
            return stem + "e"
        if v.endswith(("ced", "sed", "zed", "ved", "ted", "ged", "ped", "ked", "red")) and not stem.endswith(
            ("ck", "ss", "rt", "st", "ct", "nt", "lt", "pt", "ft", "xt", "rk", "sk", "lk", "nk", "rn")
        ):
            return stem + "e" if not stem.endswith(("ee", "ew")) else stem
        return stem
    if v.endswith("ing") and len(v) >= 5:
        stem = v[:-3]
        if stem[-1] == stem[-2] and stem[-1] not in "ls":
            return stem[:-1]  # "skipping" -> "skip"
        if stem[-1] in "cvz" or stem.endswith(
            ("at", "ut", "iz", "ov", "ag", "ak", "ok", "id", "ur", "as", "os")
        ):
            return stem + "e"  # "making" -> "make", "using" -> "use"
        return stem
    if v.endswith("es") and v[:-2].endswith(("sh", "ch", "ss", "x")):
        return v[:-2]
    if v.endswith("s") and not v.endswith("ss"):
        return v[:-1]
    return v


def participle(verb: str) -> str:
    """ "check" -> "checked", "run" -> "run", "stop" -> "stopped" (regular -ed otherwise)."""
    if verb.lower() in _PARTICIPLE.values():
        return verb.lower()  # "known", "taken": already a participle
    v = base_form(verb)
    if v in _PARTICIPLE:
        return _PARTICIPLE[v]
    if v.endswith("e"):
        return v + "d"
    if v.endswith("y") and len(v) > 2 and v[-2] not in "aeiou":
        return v[:-1] + "ied"
    if len(v) <= 4 and len(v) >= 3 and v[-1] not in "aeiouwxy" and v[-2] in "aeiou" and v[-3] not in "aeiou":
        return v + v[-1] + "ed"
    return v + "ed"


_NOT_VERBS = frozenset(
    {"the", "a", "an", "this", "that", "his", "her", "their", "our", "its", "my", "your", "it", "so"}
)
_LEAD = re.compile(r"^(?:to|not|never|even|just|simply|properly|actually|have|'ve|had|been|be)\s+", re.I)
_TRAIL = re.compile(r"\s+(?:even|just|then|again|when|and|but|or|so|because|anyway)$", re.I)
_ARTICLE = re.compile(r"^(?:a|an|the|our|their|his|her|my|that|this)\s+", re.I)


def _clean(rest: str) -> str:
    rest = rest.strip()
    for _ in range(3):
        rest = _LEAD.sub("", rest)
    for _ in range(2):
        rest = _TRAIL.sub("", rest)
    return rest.strip(" ,.;:!?")


def _verb_object(rest: str) -> tuple[str, str]:
    """Split "renew the TLS certificate before it expired" into ("renew", "the TLS certificate before ...")."""
    words = _clean(rest).split()
    if not words:
        return "", ""
    return words[0], " ".join(words[1:])


def _object_np(phrase: str) -> str:
    """The noun phrase at the start of `phrase`: "the replica lag before promoting" -> "the replica lag"."""
    out = []
    for w in phrase.split():
        if w.lower() in {
            "before",
            "after",
            "when",
            "while",
            "because",
            "during",
            "for",
            "on",
            "in",
            "at",
            "to",
            "by",
            "with",
            "without",
            "from",
            "into",
            "until",
            "and",
            "but",
            "so",
            "again",
            "anyway",
        }:
            break
        out.append(w)
    return " ".join(out).strip(" ,.;:")


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def _the(np: str) -> str:
    first = np.strip().split(" ", 1)[0].lower()
    if first in {"it", "them", "this", "that", "these", "those", "everything", "something", "anything"}:
        return "the change"  # "rushed it out the door": the pronoun stands for the work
    np = _ARTICLE.sub("", np.strip())
    return f"the {np}" if np else "the step"


_OMITTING = re.compile(
    r"^(?:forg\w+|neglect\w*|fail\w*|omit\w*|did not|didn't|never|does not|doesn't|had not|hadn't)", re.I
)
_UNSEEN = re.compile(
    r"^(?:ignor\w+|overlook\w*|miss\w*|disregard\w*|slept through|sleep through|brush\w*)", re.I
)


# Why, and what to say instead, for the parts that carry their own explanation: (reason after the quoted
# words, rewording) per `kind`
_ABOUT_ONE_PERSON = {
    **caused.EXPLAINED,
    **remarks.EXPLAINED,
    **supervised.EXPLAINED,
    **mocked.EXPLAINED,
    **pinned.EXPLAINED,
    **taught.EXPLAINED,
    **standing.EXPLAINED,
    **weaklink.EXPLAINED,
    **culprit.EXPLAINED,
    **praised.EXPLAINED,
    **judgedwork.EXPLAINED,
    **everyone.EXPLAINED,
}


def reason(hit: Hit) -> str:
    """Why the words read as blame, in plain language."""
    w = hit.words
    if hit.extra.get("kind") in _ABOUT_ONE_PERSON:
        return f'"{w}" {_ABOUT_ONE_PERSON[hit.extra["kind"]][0]}.'
    if hit.rule == "person_subject":
        if hit.extra.get("possessed"):
            return (
                f'"{w}" makes a person\'s action the cause. A blameless review asks what in the system let '
                "that action have this effect."
            )
        return (
            f'"{w}" makes a person the cause of the failure. The review looks for what in the system made '
            "that step possible or easy to get wrong: people were doing what made sense to them at the time."
        )
    if hit.rule == "passive_blame":
        return (
            f'"{w}" implies that someone is at fault, even without a name. Say what the process or the tool '
            "did, or did not do."
        )
    if hit.rule == "fault" and hit.extra.get("kind") == "framed":
        return (
            f'"{w}" frames what a person did as the cause. The act was ordinary; a root cause that stops at a '
            "person stops before the conditions that gave the act its effect."
        )
    if hit.rule == "fault":
        return f'"{w}" assigns fault to a person, which ends the inquiry before the system\'s part is understood.'
    if hit.rule == "judgement" and hit.extra.get("kind") == "knew":
        return (
            f'"{w}" judges a choice made knowing of a risk. Going ahead made sense to the person at the time; '
            "the review asks why, rather than whether they should have."
        )
    if hit.rule == "judgement":
        return f'"{w}" judges a person\'s character or attention. It explains nothing about the system.'
    if hit.rule == "human_error":
        return (
            f'"{w}" names a person as the cause. Human error is where an investigation starts, not where '
            "it ends: what made the action possible and its effect so large?"
        )
    if hit.rule == "hindsight":
        return (
            f'"{w}" reads as hindsight: what is clear now, after the outcome, was not clear to the people '
            "there at the time."
        )
    if hit.rule == "counterfactual":
        return (
            f'"{w}" judges a past choice with knowledge that was not available then, and describes a world '
            "that did not happen instead of the one that did."
        )
    if hit.rule == "minimiser":
        return f'"{w}" makes the step sound trivial, and the person foolish for not doing it.'
    if hit.rule == "sequence" and hit.extra.get("kind") == "premature":
        return (
            f'"{w}" is set against "{hit.extra.get("duty", "what went on")}", which reads as a person who closed '
            "too early. Say what the people closing it could see: which signal said it was over."
        )
    if hit.rule == "sequence":
        return (
            f'"{w}" is an ordinary act, but set beside "{hit.extra.get("duty", "the duty")}" it reads as '
            "neglect: the sentence lets the reader conclude the person walked away from the work. Say what told "
            "them it was safe to step away, and what would have called them back."
        )
    if hit.rule == "trust" and hit.extra.get("kind") == "let_down":
        return (
            f'"{w}" sets what a person was trusted or told to do against what they did, which reads as a '
            "person who let the team down. A review asks why the step depended on one person remembering it, "
            "and what would show it was missed."
        )
    if hit.rule == "trust" and hit.extra.get("kind") == "competence":
        return (
            f'"{w}" judges a person\'s knowledge or seriousness. What someone knew is a fact about the '
            "training, documentation and tools they had: say what was missing from those."
        )
    if hit.rule == "judgement" and hit.extra.get("kind") == "disposition":
        return (
            f'"{w}" makes a person\'s character or habits the problem. Habits grow where the system allows '
            "them: say what made the risky way the usual one."
        )
    if hit.rule == "judgement" and hit.extra.get("kind") == "competence":
        return f'"{w}" calls the step a beginner\'s error, which judges the person, not what made it easy.'
    if hit.rule == "fault" and hit.extra.get("kind") == "hazard":
        return (
            f'"{w}" casts a person as the danger others must guard against or clean up after. Safeguards '
            "protect the system from ordinary mistakes anyone can make: name the mistake, not the person."
        )
    if hit.rule == "fault" and hit.extra.get("kind") == "result":
        return (
            f'"{w}" points from a person\'s act straight to the outcome, making the act the cause. Say what '
            "else had to be true for that act to have this effect."
        )
    if hit.rule == "trust":
        return (
            f'"{w}" questions a person\'s trustworthiness or competence. A review asks which safeguard the '
            "task needs, whoever does it."
        )
    if hit.rule == "sanction":
        return (
            f'"{w}" aims the remedy at a person (punish, retrain, remind, watch) instead of the system. Where '
            "people expect that, they stop telling the review what really happened, and the same trap waits for "
            "the next person."
        )
    return f'"{w}" reads as sarcasm, and sarcasm lands as blame: say plainly what happened.'


def suggestion(hit: Hit, sentence: str = "") -> str:
    """A system-focused rewording built from the flagged sentence."""
    if hit.extra.get("kind") in _ABOUT_ONE_PERSON:
        return _ABOUT_ONE_PERSON[hit.extra["kind"]][1]
    pred = hit.predicate.strip()
    verb, obj = _verb_object(hit.rest)
    _object_np(
        obj
        if not _OMITTING.match(pred)
        and not pred.lower().startswith(("should", "ought", "must", "could", "had"))
        else obj
    )
    if hit.rule == "person_subject" and hit.extra.get("possessed"):
        thing = hit.extra["possessed"]
        thing = (
            "change"
            if thing
            in {
                "mistake",
                "mistakes",
                "error",
                "errors",
                "fault",
                "typo",
                "oversight",
                "blunder",
                "slip",
                "failure",
                "misconfiguration",
            }
            else thing
        )
        first = pred.split()[0] if pred else ""
        tail = " ".join([base_form(first), *pred.split()[1:]]) if first else ""
        return f'"What in the system let this {thing} {tail} {hit.rest}?"'.replace("  ", " ").replace(
            " ?", "?"
        )
    if hit.rule in ("person_subject", "counterfactual") and verb:
        if _OMITTING.match(pred) or hit.rule == "counterfactual":
            action_verb, action_obj = verb, _object_np(obj)
            if action_verb.lower() == "to":
                action_verb, _, action_obj = obj.partition(" ")
                action_obj = _object_np(action_obj)
            target = _the(action_obj) if action_obj else "the step"
            if action_verb.lower() in _NOT_VERBS:
                return (
                    "Describe what happened and why it made sense then; then ask what would make the safe step "
                    "the easy one."
                )
            return (
                f'"{_cap(target)} was not {participle(action_verb)}: what in the process would have prompted '
                f'it, or made it automatic?"'
            )
        if _UNSEEN.match(pred):
            target = _the(_object_np(hit.rest))
            return f'"{_cap(target)} went unnoticed: what made it easy to miss among the other signals?"'
        if "wrong" in pred.lower() or "wrong" in hit.rest.lower():
            target = (
                _object_np(hit.rest.lower().split("wrong", 1)[1]) if "wrong" in hit.rest.lower() else verb
            )
            return f'"The action reached the wrong {target.strip()}: what made the two look alike?"'
        target = _the(_object_np(hit.rest))
        return (
            f'"{_cap(target)} was {participle(pred.split()[0])}: what in the tooling let that happen without '
            'a check or a warning?"'
        )
    if hit.rule == "passive_blame":
        target = hit.rest or "The step"
        return (
            f'"{_cap(target)} did not happen as planned: what made it easy to skip, and what would catch it?"'
        )
    if hit.rule == "fault" and hit.extra.get("kind") == "framed":
        return '"What else had to be true for this step to take the service down, and what would have caught it?"'
    if hit.rule == "fault":
        thing = hit.extra.get("possessed", "") or "change"
        thing = (
            "change"
            if thing in {"mistake", "error", "fault", "typo", "oversight", "blunder", "slip"}
            else thing
        )
        return f'"What in the system let this {thing} have this effect?"'
    if hit.rule == "human_error":
        return '"Which step, tool or missing check let the action through, and why was its effect so large?"'
    if hit.rule == "hindsight":
        return "Say what the people there could see at the time, and where it was shown."
    if hit.rule == "counterfactual":
        return "Describe what happened and why it made sense then; then ask what would make the safe step the easy one."
    if hit.rule == "minimiser":
        return f'Drop "{hit.words}" and describe what the step involved.'
    if hit.rule == "sequence" and hit.extra.get("kind") == "premature":
        return '"Which signal showed the incident as over while customers were still affected?"'
    if hit.rule == "sequence":
        return (
            '"What told them the work could run unattended, and what would have called them back when it '
            'did not?"'
        )
    if hit.rule == "trust" and hit.extra.get("kind") == "let_down":
        return '"The step depended on one person remembering it: what would make it automatic, or show it was missed?"'
    if hit.rule == "trust" and hit.extra.get("kind") == "competence":
        return '"What did the documentation, training or tooling not show about how this works?"'
    if hit.rule == "judgement" and hit.extra.get("kind") in ("disposition", "competence"):
        return '"What in the process made this way of working the easy or usual one, and what would change that?"'
    if hit.rule == "trust":
        return (
            '"Which safeguard does this task need, whoever does it: a second reviewer, a dry run, a limit?"'
        )
    if hit.rule == "judgement" and hit.extra.get("kind") == "knew":
        return (
            "What made going ahead look reasonable at the time: was the risk shown as urgent, was there a "
            "safe way to wait, what was the pressure to proceed?"
        )
    if hit.rule == "judgement":
        return "Replace the judgement with what made the step easy to get wrong: a missing signal, an unclear step."
    if hit.rule == "sarcasm":
        return "Say plainly what happened and what made it possible."
    if hit.rule == "sanction":
        return '"Which safeguard, signal or practice would make this safe for whoever does it next?"'
    return "Describe what the system did."
