"""Parts about what is asked of people, and about people set against a system that worked.

- remedies aimed at a person's behaviour (`sanction`): a person or everyone as the subject of "must be more
  careful", "to pay more attention", "needs to slow down" (the "be more careful" non-remedy of Dekker's Field
  Guide), and formal sanctions named anywhere ("disciplinary review", "performance improvement plan");
- trust and competence (`trust`): a person "not ready for" or "too junior to", "can't rely on" a person,
  a team that "lost our confidence";
- a system cleared and a person left as the cause (`fault`): "Kafka isn't to blame here; Olivia set retention
  to one hour", "The alert fired on time; Raj simply didn't look at it", and "blame whoever wrote it";
- exasperation aimed at a person in chat (`sarcasm`): "smh kev did it again", "given who was on call".

Each needs a person in the sentence in the place the part says; the same words about a system are neutral.
"""

from __future__ import annotations

import re

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.parse import PERSONISH, Clause, Names, Subject, Token, classify_np


def _alt(patterns: tuple[str, ...] | str) -> re.Pattern[str]:
    body = patterns if isinstance(patterns, str) else "|".join(f"(?:{p})" for p in patterns)
    return re.compile(rf"(?<![\w'-])(?:{body})(?![\w'])")


BEHAVIOUR = re.compile(
    rf"(?:{lx.REMEDY_FRAMES})(?: (?:\w+ly|really|just|all|now|also|always|then|both|each|each and every one of them))*"
    rf" (?:{lx.BEHAVIOUR_REMEDIES})(?![\w'])"
)
LEARNING = re.compile(
    rf"(?:{lx.REMEDY_FRAMES})(?: (?:\w+ly|really|just|all|now|also|still|first))* (?:{lx.LEARNING_REMEDIES})(?![\w'])"
)
REMEDY_BARE = re.compile(rf"(?:{lx.BEHAVIOUR_REMEDIES})(?![\w'])")
# "We recommend that the responsible developer attend a refresher": a remedy in the subjunctive
RECOMMEND_THAT = re.compile(
    r"(?<![\w'])(?:recommend|suggest|propose|ask|require|request|insist|advise|agreed)(?:s|ed)? (?:that )"
)
SANCTION_NOUNS = _alt(lx.SANCTION_NOUNS)
READINESS = _alt(lx.READINESS)
RELIANCE = _alt(lx.RELIANCE)
LOST_TRUST = _alt(lx.LOST_TRUST)
EXCUSE_STRONG = _alt(lx.EXCUSE_STRONG)
EXCUSE_WEAK = _alt(lx.EXCUSE_WEAK)
EXASPERATION = _alt(lx.EXASPERATION)
KNEW = _alt(lx.KNEW)
PROCEEDED = _alt(lx.PROCEEDED)
# A behaviour remedy as an imperative with no subject ("Action: pay more attention during handovers"), and
# "for <person> to <remedy>" ("The fix is for the release manager to stop cutting corners").
IMPERATIVE = re.compile(rf"(?:(?:always|just|please|simply) )?(?:{lx.BEHAVIOUR_REMEDIES})(?![\w'])")
FOR_TO = re.compile(r"(?<![\w'])for ")
# Scare quotes round one or two words of a person's action ("Kevin "tested" it", "the DBA's "harmless" change")
SCARE = re.compile(r"[\"\u201c]([\w'-]+(?: [\w'-]+)?)[\"\u201d]")
_COPULA = re.compile(
    r"(?:is|are|was|were|'s|'re|be|been|being|seems?|seemed|looks?|looked|feels?|felt)(?:n'?t)?\b"
)
_NEGATED = re.compile(r"(?<![\w'])(?:not|never|\w+n'?t|no longer|hardly|barely|far from)(?![\w'])")
_DOUBTING = re.compile(
    r"(?<![\w'])(?:(?:don'?t|do not|doesn'?t|does not) (?:think|believe|feel)|doubt|not sure|not convinced|"
    r"not confident|wonder if|wonder whether|question whether)(?![\w'])"
)
_DENIED = re.compile(r"(?<![\w'])(?:no|not|never|without|\w+n'?t|avoid\w*|nobody|none)(?![\w'])")
_BLAME = re.compile(r"(?<![\w'])blam(?:e|es|ed|ing)(?: it)?(?: (?:all |squarely |entirely )?on)? ")
_SOFT = re.compile(r"(?<![\w'])(?:just|simply|only|merely|never|not|\w+n'?t|instead|anyway)(?![\w'])")
_PEOPLE = frozenset({"person", "team", "universal"})
# "decided to", "tried to": an intention before a quoted verb ("Ingrid decided to "improve" the retry logic")
_INTENDED_TO = re.compile(
    r"(?:decided|decides|chose|chooses|tried|tries|wanted|attempted|offered|opted|volunteered|set out|managed|went on) to\s*$"
)
_VALUES = frozenset(
    {"true", "false", "on", "off", "yes", "no", "null", "none", "enabled", "disabled", "default"}
)
# "it's just that <person> ...": the person set apart as the cause after a system is cleared
_SOFT_CLEFT = re.compile(
    r"(?:it'?s|it is|it was|the (?:problem|issue|thing) is) (?:just |simply |only |really )?that\s*$"
)
# What a responder does: after a system is cleared, these are the person helping, not the cause.
_RESPONDED = re.compile(
    r"(?:noticed|spotted|saw|found|caught|reported|raised|flagged|fixed|escalated|paged|diagnosed|discovered|"
    r"identified|traced|rolled|mitigated|restored|recovered|scaled|restarted|failed over|asked|confirmed|checked)\b"
)


def _after_adverbs(low: str, at: int) -> int:
    m = re.match(r"(?:\w+ly |then |also |quickly |first )+", low[at:])
    return at + (m.end() if m else 0)


_OBJECT = frozenset({"him", "her", "them", "you", "u"})


def find(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """The hits of these parts in one sentence (offsets as in `low`)."""
    out: list[Hit] = []
    out.extend(_behaviour(text, low, clauses))
    out.extend(_imperative(text, low, clauses, names))
    out.extend(_trust(text, low, clauses, names))
    out.extend(_excuse(text, low, clauses, names))
    out.extend(_exasperation(text, low, clauses, names))
    out.extend(_knew(text, low, clauses))
    out.extend(_scare_quotes(text, low, clauses, names))
    for m in SANCTION_NOUNS.finditer(low):
        if not _DENIED.search(low, max(0, m.start() - 30), m.start()):
            out.append(_span("sanction", m, text))
    return out


def _span(rule: str, m: re.Match[str], text: str, who: str = "") -> Hit:
    return Hit(rule, [(m.start(), m.end())], who=who, words=text[m.start() : m.end()])


def _subject_span(c: Clause) -> list[tuple[int, int]]:
    s = c.subject
    return [(s.start, s.end)] if s.end > s.start and not s.inherited else []


def _behaviour(text: str, low: str, clauses: list[Clause]) -> list[Hit]:
    """ "Dave to be more careful", "Engineers must pay more attention", "We need to slow down"."""
    out: list[Hit] = []
    for c in clauses:
        if c.subject.kind not in PERSONISH or c.opener == "if":
            continue
        m = BEHAVIOUR.search(low, c.verb_start, c.end)
        if m is None or _NEGATED.search(low, c.verb_start, m.start()):
            continue  # "nobody needs to be more careful": denied
        spans = [*_subject_span(c), (m.start(), m.end())]
        out.append(
            Hit(
                "sanction",
                spans,
                who=c.subject.text,
                words=text[min(a for a, _ in spans) : m.end()],
                extra={"kind": "behaviour"},
            )
        )
    out.extend(_learning(text, low, clauses))
    return out


_EMBEDDED = frozenset({"that", "how", "what", "when", "why", "where", "whether", "which"})


def _learning(text: str, low: str, clauses: list[Clause]) -> list[Hit]:
    """ "She has to learn that ...", "the ops folks need to learn how kubernetes works": a person taught."""
    for k, c in enumerate(clauses):
        if c.subject.kind not in ("person", "team") or c.opener == "if":
            continue
        nxt = clauses[k + 1] if k + 1 < len(clauses) else None
        end = nxt.end if nxt is not None and nxt.opener in _EMBEDDED else c.end
        m = LEARNING.search(low[:end], c.verb_start)
        if m is None or (m.group(0).endswith("learn") and end == c.end):
            continue  # a bare "learn" only before "that ...", "how ...": "the team wants to learn" is not one
        if _NEGATED.search(low, c.verb_start, m.start()):
            continue
        spans = [*_subject_span(c), (m.start(), m.end())]
        words = text[min(a for a, _ in spans) : m.end()]
        return [Hit("sanction", spans, who=c.subject.text, words=words, extra={"kind": "behaviour"})]
    return []


def _imperative(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    out: list[Hit] = []
    for c in clauses:
        if c.subject.kind == "none" and not c.opener:
            m = IMPERATIVE.match(low, c.start)
            if m is not None and not _OBJECT_AFTER.match(low, m.end()):
                out.append(Hit("sanction", [(m.start(), m.end())], words=text[m.start() : m.end()]))
    tokens = [t for c in clauses for t in c.tokens]
    for r in RECOMMEND_THAT.finditer(low):
        found = person_np(tokens, r.end(), names)
        if found is None or found[1][0].start != r.end() or found[0].possessed:
            continue
        m = REMEDY_BARE.match(low, found[1][-1].end + 1)
        if m is not None:
            words = text[r.end() : m.end()]
            out.append(Hit("sanction", [(r.end(), m.end())], who=found[0].text, words=words))
    for f in FOR_TO.finditer(low):
        found = person_np(tokens, f.end(), names)
        if found is None or found[1][0].start != f.end():
            continue
        m = BEHAVIOUR.match(low, found[1][-1].end + 1)
        if m is not None and m.group(0).startswith("to "):
            out.append(
                Hit("sanction", [(f.end(), m.end())], who=found[0].text, words=text[f.end() : m.end()])
            )
    return out


_OBJECT_AFTER = re.compile(r" (?:the|a|an|our|this|that|these|those|all|rollouts?|deploys?|traffic|it)\b")


def _knew(text: str, low: str, clauses: list[Clause]) -> list[Hit]:
    """ "Mark knew the replica was lagging and deployed anyway", "She knew ... and said nothing"."""
    for c in clauses:
        if c.subject.kind not in ("person", "team") or c.subject.inherited:
            continue
        k = KNEW.match(low, c.verb_start)
        if k is None:
            continue
        m = PROCEEDED.search(low, k.end())
        if m is not None:
            spans = [*_subject_span(c), (k.start(), k.end()), (m.start(), m.end())]
            return [
                Hit(
                    "judgement",
                    spans,
                    who=c.subject.text,
                    words=text[c.subject.start : m.end()],
                    extra={"kind": "knew"},
                )
            ]
    return []


def _scare_quotes(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """Scare quotes on a person's action: right after a person as subject, or inside a person's possessive."""
    out: list[Hit] = []
    for q in SCARE.finditer(text):
        for c in clauses:
            s = c.subject
            if s.kind not in ("person", "team"):
                continue
            after_subject = not s.inherited and text[s.end : q.start()].strip() == "" and s.end <= q.start()
            possessed = s.possessed and s.start <= q.start() <= s.end + 2
            owner = re.search(r"(?:'s|s')\s*$", low[max(0, q.start() - 40) : q.start()])
            infinitive = (
                c.verb_start <= q.start() <= c.end + 2
                and _INTENDED_TO.search(low, max(0, q.start() - 30), q.start()) is not None
                and q.group(1)[:1].islower()
                and q.group(1).lower() not in _VALUES
            )  # "Ingrid decided to "improve" the retry logic": not "set the flag to "true""
            if after_subject or possessed or infinitive or (owner and s.start <= q.start() <= c.end):
                out.append(
                    Hit("sarcasm", [(q.start(), q.end())], who=s.text, words=text[q.start() : q.end()])
                )
                break
        else:
            # the word before the quote: a person, or a person's possessive ("Kevin "tested"", "the DBA's "harmless"")
            m = re.search(r"([\w-]+?)(?:'s|s')?\s*$", text[max(0, q.start() - 40) : q.start()])
            w = m.group(1) if m is not None else ""
            if w and (
                (w[:1].isupper() and names.is_name(w) and w.lower() not in lx.PRODUCTS)
                or w.lower() in lx.ROLE_NOUNS | lx.TEAM_NOUNS | {"he", "she", "they"}
            ):
                out.append(Hit("sarcasm", [(q.start(), q.end())], words=text[q.start() : q.end()]))
    return out


def _np_after(tokens: list[Token], at: int, names: Names) -> tuple[Subject, list[Token]] | None:
    np: list[Token] = []
    for t in tokens:
        if t.start < at:
            continue
        if np and (t.low in lx.PREPOSITIONS or t.low in lx.AUXILIARIES or t.start > np[-1].end + 1):
            break
        if not np and t.low in _OBJECT:
            return Subject("person", t.start, t.end, t.text), [t]
        np.append(t)
        if len(np) >= 4:
            break
    if not np:
        return None
    return classify_np(np, names), np


def person_np(tokens: list[Token], at: int, names: Names) -> tuple[Subject, list[Token]] | None:
    """The longest person phrase starting at character `at` (a person, team or everyone), with its tokens."""
    found = _np_after(tokens, at, names)
    if found is None:
        return None
    # the longest person phrase from `at`: "the offshore team for anything critical" -> "the offshore team"
    who, np = found
    while np and who.kind not in _PEOPLE:
        np = np[:-1]
        if np:
            who = classify_np(np, names)
    return (who, np) if np and who.kind in _PEOPLE else None


def _trust(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    out: list[Hit] = []
    doubting = _DOUBTING.search(low) is not None
    for c in clauses:
        if c.subject.kind not in ("person", "team"):
            continue
        for m in READINESS.finditer(low, c.verb_start, c.end):
            before = low[c.verb_start : m.start()]
            if not _COPULA.search(before) and not m.group(0).startswith(("a ", "an ", "the ")):
                continue
            too = m.group(0).startswith(("too", "way too", "far too"))
            liability = m.group(0).startswith(("a ", "an ", "the "))
            if too or liability or _NEGATED.search(before) or doubting:
                spans = [*_subject_span(c), (m.start(), m.end())]
                out.append(Hit("trust", spans, who=c.subject.text, words=text[m.start() : m.end()]))
                break
        lost = LOST_TRUST.search(low, c.verb_start, c.end)
        if lost is not None:
            out.append(
                Hit("trust", [*_subject_span(c), lost.span()], who=c.subject.text, words=lost.group(0))
            )
    tokens = [t for c in clauses for t in c.tokens]
    for d in _DOUBTING.finditer(low):
        # "I don't think Marco is ready for on-call": the person is the subject of the doubted clause
        at = re.match(r"\s*(?:that\s+)?", low[d.end() :])
        found = person_np(tokens, d.end() + (at.end() if at else 0), names)
        ready = READINESS.search(low, d.end())
        if found is not None and ready is not None and _COPULA.search(low, found[1][-1].end, ready.start()):
            who, np = found
            out.append(
                Hit("trust", [(np[0].start, np[-1].end), ready.span()], who=who.text, words=ready.group(0))
            )
    for m in RELIANCE.finditer(low):
        found = person_np(tokens, m.end() + 1, names)
        if found is not None:
            who, np = found
            out.append(
                Hit("trust", [(m.start(), np[-1].end)], who=who.text, words=text[m.start() : np[-1].end])
            )
    return out


def _excuse(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """A system cleared, then a person in a later clause; "blame <person>"."""
    out: list[Hit] = []
    tokens = [t for c in clauses for t in c.tokens]
    for m in _BLAME.finditer(low):
        before = re.split(r"[,;:.!?]", low[max(0, m.start() - 30) : m.start()])[-1]
        if _DENIED.search(before):
            continue  # "we don't blame individuals", "not about blaming Sam"
        found = person_np(tokens, m.end(), names)
        if found is not None and found[1][0].start == m.end():
            who, np = found
            out.append(
                Hit("fault", [(m.start(), np[-1].end)], who=who.text, words=text[m.start() : np[-1].end])
            )
    for k, c in enumerate(clauses):
        if c.subject.kind not in ("system", "product", "none") or c.subject.inherited:
            continue
        strong = EXCUSE_STRONG.search(low, c.verb_start, c.end) or (
            EXCUSE_STRONG.search(low, c.start, c.end) if c.subject.kind == "none" else None
        )
        weak = None if strong else EXCUSE_WEAK.search(low, c.verb_start, c.end)
        if strong is None and weak is None:
            continue
        if strong is not None and _names_person(tokens, strong, names):
            out.append(Hit("fault", [strong.span()], words=text[strong.start() : strong.end()]))
            continue
        for d in clauses[k + 1 :]:
            if d.subject.kind not in ("person", "team") or d.opener in ("and", "then", "so", "because"):
                continue
            turning = d.opener in ("until", "till", "til")  # "The platform was fine until Reza started ..."
            if weak is not None and not (
                turning or _SOFT.search(low, d.verb_start, d.end) or _SOFT_CLEFT.search(low, 0, d.start)
            ):
                continue  # "The alert fired on time; Raj acknowledged it": the person acted
            if _RESPONDED.match(low, _after_adverbs(low, d.verb_start)):
                continue  # "The queue didn't fail; Wen noticed the backlog and scaled it": a responder
            cleared = strong or weak
            assert cleared is not None
            spans = [(cleared.start(), cleared.end()), *_subject_span(d)]
            out.append(Hit("fault", spans, who=d.subject.text, words=text[d.start : d.end]))
            break
    return out


def _names_person(tokens: list[Token], m: re.Match[str], names: Names) -> bool:
    inside = [t for t in tokens if m.start() <= t.start and t.end <= m.end()]
    return any(
        (t.cap and names.is_name(t.text) and t.low not in lx.PRODUCTS) or t.low in lx.ROLE_NOUNS
        for t in inside
    )


def _exasperation(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    out: list[Hit] = []
    people = [c for c in clauses if c.subject.kind in ("person", "team") and not c.subject.inherited]
    for m in EXASPERATION.finditer(low):
        if m.group(0).startswith(("given", "considering", "what")):
            out.append(_span("sarcasm", m, text))
        elif people:
            s = people[0].subject
            out.append(Hit("sarcasm", [(m.start(), m.end()), (s.start, s.end)], who=s.text, words=m.group(0)))
    return out
