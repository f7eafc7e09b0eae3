"""The vocabulary of blame and of its neutral side, grouped by the part of a sentence it fills.

Sources: Etsy's Debriefing Facilitation Guide (avoid "why didn't you", counterfactuals, "just", "obviously"),
Sidney Dekker's Field Guide to Understanding Human Error (counterfactuals, judgement, "human error" as a
conclusion, local rationality: what people knew at the time), the Google SRE book's postmortem chapter
(blameless wording, the "people problem" framing) and the wording of published postmortems. The lists are
words and word forms, never whole sentences: a part of a sentence is found by combining them (see `parts.py`).

The lists live in `data/words/*.txt` (one word a line) and `data/patterns/*.txt` (one regular expression over
lower-case text a line, each an alternative); each file says at its top what it holds. They are read once,
when this module is imported.
"""

from __future__ import annotations

import re
from importlib.resources import files

_DATA = files(__package__) / "data"


def _lines(folder: str, name: str) -> list[str]:
    text = (_DATA / folder / f"{name}.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def words(name: str) -> frozenset[str]:
    """The words of `data/words/<name>.txt`, lower case; a contraction also without its apostrophe, as chat
    writes it ("didnt", "wasnt")."""
    out = {w.lower() for w in _lines("words", name)}
    return frozenset(out | {w.replace("n't", "nt") for w in out if w.endswith("n't")})


def _apostrophe_optional(pattern: str) -> str:
    """ "didn't" in a pattern also matches "didnt" (chat drops the apostrophe), except inside a look-behind,
    which must keep a fixed width."""
    loose = pattern.replace("n't", "n'?t")
    try:
        re.compile(loose)
    except re.error:
        return pattern
    return loose


# "(?<!a )miss..." in a pattern means "not after the word 'a'": tied to a word start, so "the DBA caused" or
# "Sasha missed" is not read as "a caused"
_WORD_BEHIND = re.compile(r"\(\?<!([a-z]+) \)")


def _whole_word_behind(pattern: str) -> str:
    return _WORD_BEHIND.sub(lambda m: rf"(?<!\b{m.group(1)} )", pattern)


def patterns(name: str) -> tuple[str, ...]:
    """The regular expressions of `data/patterns/<name>.txt`, one alternative each ("n't" also without its
    apostrophe; a look-behind for a word matches that whole word only)."""
    return tuple(_apostrophe_optional(_whole_word_behind(p)) for p in _lines("patterns", name))


def alternation(name: str) -> str:
    """The patterns of `data/patterns/<name>.txt` as one alternation, to embed in a larger expression."""
    return "|".join(f"(?:{p})" for p in patterns(name))


# --- person mentions ----------------------------------------------------------------------------------------
# people's roles: the check's own list and the occupations of Faker's job titles (scripts/build_role_nouns.py)
ROLE_NOUNS = words("role_nouns") | words("occupations")
TEAM_NOUNS = words("team_nouns")
TEAM_NAMES = words("team_names")
SYSTEM_GROUPS = words("system_groups")  # "consumer group", "autoscaling group": software, not people
PERSON_PRONOUNS = words("person_pronouns")
SELF_PRONOUNS = words("self_pronouns")
OBJECT_PRONOUNS = words("object_pronouns")
POSSESSIVE_PRONOUNS = words("possessive_pronouns")
UNIVERSAL = words("universal")
DETERMINERS = words("determiners")
PREPOSITIONS = words("prepositions")
COORDINATORS = words("coordinators")
SUBORDINATORS = words("subordinators")
RELATIVES = words("relatives")
WH_WORDS = words("wh_words")
AUXILIARIES = words("auxiliaries")
NEGATIONS = words("negations")
VERB_ADVERBS = words("verb_adverbs")
IRREGULAR_PAST = words("irregular_past")

# --- predicates: what a person is said to have done wrong ---------------------------------------------------
FAILURE_PERSON_ONLY = patterns("failure_person_only")
FAILURE_GENERAL = patterns("failure_general")
NEGATED_INTENT = alternation("negated_intent")
OMISSION = patterns("omission")
PASSIVE_PERSON_ONLY = alternation("passive_person_only")
PASSIVE_AUX = alternation("passive_aux")
PERSON_PREDICATES = patterns("person_predicates")  # "is the weakest link", "can't read a diff"
CAUSE_NOUNS = words("cause_nouns")  # "The root cause is <a person>"
PERSON_AS_CAUSE = patterns("person_as_cause")  # "comes down to <a person>"
INCIDENT_NOUNS = words("incident_nouns")  # "The whole outage is on <a person>"
PERSON_REMEDIES = patterns("person_remedies")  # "retrain the on-call staff"
PLANNED = patterns("planned")  # "as planned": an ordinary verb carrying out the plan

# --- judgement, hindsight, counterfactuals, trust, sarcasm --------------------------------------------------
JUDGEMENT = patterns("judgement")
HUMAN_ERROR = patterns("human_error")
FAULT = patterns("fault")
HINDSIGHT = patterns("hindsight")
HINDSIGHT_FRAMES = alternation("hindsight_frames")
MODAL_PERFECT = alternation("modal_perfect")
MINIMISERS = patterns("minimisers")
TRUST = patterns("trust")
IRONIC_PRAISE = patterns("ironic_praise")
CHOICE_PRAISE = alternation("choice_praise")
NEGATIVE_OUTCOME = alternation("negative_outcome")
NEGATIVE_OUTCOME_PATTERNS = patterns("negative_outcome")
SARCASTIC_TURNS = patterns("sarcastic_turns")
MOCK_PRAISE = patterns("mock_praise")  # sarcasm only with a person in the sentence
SARCASTIC_FRAMES = patterns("sarcastic_frames")  # likewise
PERSON_JABS = patterns("person_jabs")  # "Typical Jonas"
IF_ONLY = alternation("if_only")
SANCTION = patterns("sanction")  # calls to punish someone

# --- what a person owns -------------------------------------------------------------------------------------
FAULT_NOUNS = words("fault_nouns")
ACTION_NOUNS = words("action_nouns")
BAD_ADJECTIVES = words("bad_adjectives")
JUDGING_ADJECTIVES = words("judging_adjectives")  # judge the work's care or skill, whatever the work
JUDGED_ACTS = words("judged_acts")  # "careless handling": a judgement adjective on what a person did
ACTION_FAILS = patterns("action_fails")

# --- the neutral side: software whose names are people's names ----------------------------------------------
PRODUCTS = words("products")

# --- people's behaviour as the remedy, trust and readiness, a system cleared, exasperation (people.py) -----
BEHAVIOUR_REMEDIES = alternation("behaviour_remedies")
REMEDY_FRAMES = alternation("remedy_frames")
LEARNING_REMEDIES = alternation("learning_remedies")  # "needs to learn how ...", a person as the subject
SANCTION_NOUNS = patterns("sanction_nouns")
READINESS = patterns("readiness")
RELIANCE = patterns("reliance")
LOST_TRUST = patterns("lost_trust")
EXCUSE_STRONG = patterns("excuse_strong")
EXCUSE_WEAK = patterns("excuse_weak")
EXASPERATION = patterns("exasperation")
KNEW = alternation("knew")
PROCEEDED = alternation("proceeded")
