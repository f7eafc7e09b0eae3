"""Trust, access and supervision of ONE person: what a sentence would do to someone after an incident.

The SRE book's postmortem chapter and Dekker's Field Guide to Understanding Human Error both say the same:
people who expect to be punished stop reporting. So a sentence that takes rights away from a person, sets
someone to watch over them, declares no confidence in them, or moves them down as a consequence blames that
person, whatever verb it uses. The same change made for everyone, for a role by policy, or for a service
account is a safeguard the work needs whoever does it, which is what a blameless review asks for. The parts:

- access taken from a person (`trust`): "Dmitri should lose his prod access", "revoke Carla's deploy
  rights", "strip the data team of their admin role", "is it wise to let Priya keep admin rights?", "why
  does the new guy still have write access?";
- supervision of a person (`trust`): "should not be allowed to touch the LB unsupervised", "the junior DBA
  needs someone watching", "every change Mateus makes needs a second sign-off", "supervise Ravi's deploys",
  "on a short leash";
- no confidence in a person (`trust`): "zero confidence in the release team", "I don't trust Bogdan",
  "how can we trust the vendor engineers", "my confidence in Aleksei is gone";
- demotion and punishment (`sanction`): "demoted off the primary rotation", "kick the web team off the
  deploy rota", "as punishment", "no more Friday deploys for Nikos".

A person here is specific: a name, a pronoun, or a role or team with a determiner ("the intern", "our
DBAs"). A bare plural ("interns", "contractors"), "everyone", "all engineers" and "whoever" are a policy.
"""

from __future__ import annotations

import re

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.parse import Clause, Names, Subject, Token
from incidents.review.blameless.people import person_np


def _alt(name: str) -> str:
    return lx.alternation(name)


_ACCESS = "|".join(sorted(lx.words("access_nouns"), key=len, reverse=True))
# "his production access", "Carla's deploy rights", "the intern's write access": an owner, up to three
# modifiers, and an access noun (the owner is checked to be a specific person)
_OWNED_ACCESS = re.compile(
    rf"(?P<owner>his|her|their|[\w@-]+(?: [\w-]+){{0,2}}?(?:'s|s'))(?: [\w-]+){{0,3}}? (?:{_ACCESS})(?![\w'])"
)
_REMOVE = re.compile(
    r"(?<![\w'])(?:revok|pull|suspend|strip|remov|yank|cut|disabl|freez|restrict|downgrad|kill|"
    r"tak(?=e|es|en|ing)|took|lock|clawback|claw back)\w*(?: (?:away|back|off|down))?(?: (?:all|of|every))? "
)
REL = r"(?:(?:who|that) (?:[\w'-]+ ){1,8}?|(?:from|on|in|at|of) (?:[\w'-]+ ){1,3}?)?"  # "The SRE who ran the script should be locked out"
_LOSE = re.compile(
    rf"{REL}(?:(?:should|must|needs? to|has to|ought to|will|is going to|deserves? to|gets? to|could|might|"
    r"can|may|has|have|had)(?: \w+ly| just| really| now)? )?(?:lose|loses|losing|lost|forfeit\w*)(?: (?:all|any))? "
)
_MODAL = re.compile(
    r"(?<![\w'])(?:should|must|needs? to|has to|have to|ought to|deserves? to|it'?s time|time (?:for|that)|will|"
    r"is going to|are going to|gets? to|recommend|suggest|propose|i'?d|we'?d|let'?s|maybe)(?![\w'])"
)
# A credential revoked because of the credential, or on a schedule: hygiene, not a sanction
_HYGIENE = re.compile(
    r"(?<![\w'])(?:after it|because it|since it|once it|when it|as it|automatically|by default|on (?:their|his|her) "
    r"last day|when (?:they|he|she) (?:leave|leaves|left)|offboard\w*|per (?:the )?policy|every \d+|expired|"
    r"leaked|exposed|compromised|rotat\w+|when the|while the|during the|because the|due to)(?![\w'])"
)
# Keeping rights questioned: "is it wise to let Priya keep admin rights", "why does the new guy still have ..."
_KEEP = re.compile(
    r"(?<![\w'])(?:still )?(?:keep|keeps|keeping|have|has|having|hold|holds|holding|retain|retains|be holding|get|gets)"
    r"(?: (?:on )?to)?(?: (?:his|her|their|the|any|all|write|read|admin|root|prod|production|deploy|merge|commit|"
    rf"sudo|[\w-]+))*? (?:{_ACCESS})(?![\w'])"
)
_DOUBT_KEEP = re.compile(
    r"(?:is it|was it|would it be) (?:\w+ )?(?:wise|smart|safe|sensible|a good idea|okay|ok|right) (?:to )?(?:let |for )|"
    r"(?:do|did|should|would) (?:we|you|they) (?:really |honestly |still )?(?:want|let|allow)|why (?:does|do|did|is|are|would)|"
    r"should (?=\S+ (?:really |honestly )?still)|(?:how|why) (?:is|are) "
)
_ACCESS_RE = re.compile(rf"(?<![\w'-])(?:{_ACCESS}|locked out)(?![\w'])")
_DENIED_ACCESS = re.compile(
    rf"{REL}"
    r"(?:no longer (?:gets?|has|have|keeps?|holds?)|(?:shouldn'?t|should not|mustn'?t|must not|won'?t|will not) "
    rf"(?:get|have|keep|hold|be given|be allowed)|(?:gets?|has|have) no) (?:[\w-]+ ){{0,2}}?(?:{_ACCESS})(?![\w'])"
)
# "should have his sudo taken away": the rights named, then taken
_TAKEN = re.compile(
    rf"{REL}(?:should|must|needs? to|has to|ought to|deserves? to|will|is going to)(?: \w+ly)? (?:have|get) "
    rf"(?:his|her|their) (?:[\w-]+ ){{0,2}}?(?:{_ACCESS}) (?:taken|revoked|pulled|removed|suspended|stripped|yanked|cut)"
)
_LOCKED_OUT = re.compile(
    rf"{REL}"
    r"(?:should|must|needs? to|has to|ought to|will|deserves? to|gets?|got|was|were)(?: \w+ly)? (?:be |get |been )?"
    r"(?:locked|shut|kept|cut) (?:out|off)(?![\w'])"
)
_NO_MORE = re.compile(r"(?<![\w'])no (?:more|further) (?:[\w-]+ ){1,3}?for ")
SUPERVISION = re.compile(rf"(?<![\w'-])(?:{_alt('supervision')})(?![\w'])")
_SUPERVISE = re.compile(rf"(?<![\w'-])(?:{_alt('supervise_verbs')}) ")
SOLO = re.compile(rf"(?<![\w'-])(?:{_alt('solo')})(?![\w'])")
_NOT_ALLOWED = re.compile(
    r"(?<![\w'])(?:shouldn'?t|should not|should never|mustn'?t|must not|must never|can'?t|cannot|can not|"
    r"can no longer|won'?t|will not|is not to|are not to|no longer|not)(?: (?:be|even|ever|really))* "
    r"(?:allowed|let|permitted|trusted|left|given|deploying|touching|running|doing|pushing|working|making)"
)
_NEEDS = re.compile(
    rf"{REL}(?:needs?|requires?|should (?:get|have)|must (?:get|have)|has to (?:get|have)|have to (?:get|have)|"
    r"gets?|got|is getting|will need|deserves?|could use|is on|is in|stays? on|should be on|needs to be on)"
    r"(?: (?:a lot of|some|more|much more|serious|proper|real))? "
)
_LEASH = re.compile(r"(?<![\w'])(?:short|tight|shorter|tighter) leash(?![\w'])")
# "Every change Mateus makes needs a second sign-off", "everything Hamid pushes": all of a person's work
_ALL_WORK = re.compile(
    r"(?<![\w'])(?:every(?:thing)?|anything|each|all(?: of)?(?: the)?) (?:(?:single )?([\w-]+) )?"
)
_WORK_VERB = re.compile(
    r"(?:makes|pushes|ships|touches|writes|merges|deploys|does|changes|submits|proposes|commits|runs|releases)\b"
)
_CHECKED = re.compile(
    r"(?<![\w'])(?:review\w*|sign[- ]?off|signed off|approv\w+|check\w*|double-check\w*|second pair of eyes|"
    r"looked at|look at|vett\w+|vet)(?![\w'])"
)
# No confidence: "zero confidence in", "no faith left in", "lost all trust in"
_NO_CONFIDENCE = re.compile(
    r"(?<![\w'])(?:no|zero|little|not much|not a lot of|not any|lost|lost all|lost any|losing|low|limited|"
    r"any|nil|hardly any|barely any|less|diminishing)(?: \w+)? (?:confidence|faith|trust)(?: left)? in "
)
_CONFIDENCE_IN = re.compile(r"(?<![\w'])(?:confidence|faith|trust)(?: left)? in ")
_GONE = re.compile(
    r"(?: \w+ly| pretty much| all but| now| at this point)* (?:is|are|was|'s|has been) (?:\w+ly |pretty much |all but |now )?"
    r"(?:gone|shot|zero|nil|nonexistent|non-existent|low|shaken|broken|lost|at an all-time low|at rock bottom|wavering|thin)"
)
_NOT_TRUST = re.compile(
    r"(?<![\w'])(?:don'?t|do not|doesn'?t|does not|didn'?t|did not|can'?t|cannot|won'?t|wouldn'?t|would not|"
    r"never|no longer|not|stop|stopped|hardly|barely|(?:nobody|no one)(?: (?:on|in|from|at) (?:the |our |this )?[\w-]+)?|how can (?:we|i|anyone)|why would (?:we|i|anyone)|"
    r"can (?:we|i|anyone)(?: really| honestly| ever)?)(?: (?:\w+ly|really|fully|quite|even|ever|still))* "
    r"trusts? "
)
_CREDIBILITY = re.compile(
    r"(?<![\w'])(?:lost|losing|lose|no|zero|without) (?:all |any |its |their |his |her |much )?(?:credibility|standing|goodwill)\b"
)
_DEMOTE = re.compile(rf"(?<![\w'-])(?:{_alt('demote_verbs')})(?: (?:right|straight|permanently|back|down))? ")
_DUTY = re.compile(
    r"(?:off|from|out of|to the bottom of)(?: (?:the|his|her|their|our|all|every))?(?: [\w-]+){0,2}? "
    r"(?:rotations?|rotas?|on-?call|pager|releases?|deploys?|deployments?|pushes|team|project|incidents?|"
    r"commanders?|list|roster|schedule|prod|production|shifts?|duty|duties|access|keys|console|repo|cluster)(?![\w'])"
)
_VOLUNTARY = re.compile(
    r"(?<![\w'])(?:asked|asks|volunteered|chose|opted|requested|wanted|offered|agreed|stepped|wished)(?: \w+)? to be\b"
)
PUNISHMENT = re.compile(rf"(?<![\w'-])(?:{_alt('punishment')})(?![\w'])")
_GENERIC = frozenset({"all", "every", "any", "each", "no", "most", "many", "some", "new", "more", "other"})


def specific(who: Subject, np: list[Token]) -> bool:
    """Whether a person phrase is ONE person or one group, not anyone in a role: a name, a pronoun, or a role
    or team with a determiner ("the intern", "our DBAs"); not "interns", "all engineers", "whoever"."""
    if who.kind not in ("person", "team") or not np:
        return False
    first = np[0]
    if first.low in _GENERIC or first.low in ("whoever", "anyone", "everyone", "anybody", "everybody"):
        return False
    if first.low in lx.DETERMINERS or first.low in lx.POSSESSIVE_PRONOUNS or first.low.endswith("'s"):
        return True
    if first.mention or first.low in lx.OBJECT_PRONOUNS or first.low in lx.PERSON_PRONOUNS:
        return True
    if first.cap and first.low not in lx.ROLE_NOUNS and first.low not in lx.TEAM_NOUNS:
        return True  # a name; not "Interns should not ...", capitalised only to open the sentence
    head = np[-1].low
    return not (head.endswith("s") and not head.endswith("ss"))  # "contractors get read-only access": a role


def person_at(tokens: list[Token], at: int, names: Names) -> tuple[Subject, list[Token]] | None:
    """A specific person phrase starting at character `at` (skipping "the rest of"), or None."""
    found = person_np(tokens, at, names)
    if found is not None and found[1][0].low == "whoever" and 0 <= found[1][0].start - at <= 1:
        return _whoever_did(tokens, found[1][0])
    if found is None or not 0 <= found[1][0].start - at <= 1 or not specific(*found):
        return None
    who, np = found
    for k, t in enumerate(np[1:], 1):
        # "Priyanka keep admin rights", "the frontend team keeping access": a name ends its phrase at a
        # lower-case word, and a participle ends any phrase
        after_name = (
            np[k - 1].cap and names.is_name(np[k - 1].text) and not t.cap and not t.low.endswith("'s")
        )
        participle = t.low.endswith("ing") and len(t.low) > 4 and t.low not in lx.ROLE_NOUNS | lx.TEAM_NOUNS
        if after_name or participle:
            np = np[:k]
            return Subject(who.kind, np[0].start, np[-1].end, " ".join(u.text for u in np), who.possessed), np
    return found


def _whoever_did(tokens: list[Token], first: Token) -> tuple[Subject, list[Token]] | None:
    """ "whoever did this", "whoever pushed that change": one person, known by what they did (not "whoever is
    on call", a role)."""
    k = tokens.index(first)
    rest = tokens[k + 1 : k + 6]
    past = bool(rest) and (rest[0].low in lx.IRREGULAR_PAST | {"did"} or rest[0].low.endswith("ed"))
    if not past or rest[0].low in ("was", "were"):
        return None
    end = next((j for j, t in enumerate(rest) if j and (t.low in lx.AUXILIARIES or not t.is_word)), None)
    if end is None or end < 1:
        return None
    np = [first, *rest[:end]]
    return Subject("person", first.start, np[-1].end, " ".join(t.text for t in np)), np


_OPENS_NP = lx.DETERMINERS | lx.POSSESSIVE_PRONOUNS | lx.OBJECT_PRONOUNS | lx.PERSON_PRONOUNS


def people(tokens: list[Token], names: Names) -> list[tuple[Subject, list[Token]]]:
    """Every specific person phrase in the sentence, left to right, none inside another."""
    out: list[tuple[Subject, list[Token]]] = []
    after = -1
    for t in tokens:
        if t.start < after or not t.is_word:
            continue
        if not (t.cap or t.mention or t.low in _OPENS_NP or t.low in lx.ROLE_NOUNS or t.low in lx.TEAM_NAMES):
            continue
        found = person_at(tokens, t.start, names)
        if found is not None:
            out.append(found)
            after = found[1][-1].end
    return out


def _owner_is_person(text: str, low: str, m: re.Match[str], tokens: list[Token], names: Names) -> bool:
    owner = m.group("owner")
    if owner in ("his", "her"):
        return True
    if owner == "their":
        return False  # "their" may be a role's by policy ("contractors lose their access when they leave")
    return person_at(tokens, m.start("owner"), names) is not None


def after_adverbs(low: str, at: int) -> int:
    """`at` moved past adverbs ("still", "clearly", "honestly") in `low`."""
    m = re.match(r"(?:(?:\w+ly|still|now|also|then|just|really|honestly|basically) )+", low[at:])
    return at + (m.end() if m else 0)


def _hit(rule: str, spans: list[tuple[int, int]], text: str, kind: str, who: str = "") -> Hit:
    a, b = min(s for s, _ in spans), max(e for _, e in spans)
    return Hit(rule, spans, who=who, words=text[a:b], extra={"kind": kind})


def _access(text: str, low: str, clauses: list[Clause], tokens: list[Token], names: Names) -> list[Hit]:
    """Rights or credentials taken from one person, or their keeping them questioned."""
    for m in _REMOVE.finditer(low):
        owned = _OWNED_ACCESS.match(low, m.end())
        of = None
        if owned is None:  # "strip the data team of their admin role", "lock the SRE out of the cluster"
            of = person_at(tokens, m.end(), names)
            if of is None:
                continue
            rest = low[of[1][-1].end : of[1][-1].end + 60]
            if not re.match(rf"\s+(?:of|out of)\b(?: (?:\w+ ){{0,3}}?(?:{_ACCESS}|the \w+))?", rest):
                continue
        elif not _owner_is_person(text, low, owned, tokens, names):
            continue
        end = owned.end() if owned is not None else of[1][-1].end  # type: ignore[index]
        if _HYGIENE.search(low, end, end + 50):
            continue  # "We revoked Carla's API token after it showed up in a log": the credential's fault
        return [_hit("trust", [(m.start(), end)], text, "access")]
    for who, np in people(tokens, names) if _ACCESS_RE.search(low) else ():
        at = np[-1].end + 1
        lose = _LOSE.match(low, after_adverbs(low, at))
        if lose is not None:
            owned = _OWNED_ACCESS.match(low, lose.end())
            bare = re.match(rf"(?:[\w-]+ ){{0,2}}(?:{_ACCESS})(?![\w'])", low[lose.end() :])
            modal = _MODAL.search(low, max(0, np[0].start - 25), lose.end()) or " lose" in f" {lose.group(0)}"
            end = owned.end() if owned is not None else lose.end() + bare.end() if bare is not None else 0
            event = low.startswith("access to", lose.end())  # "lost access to the VPN when ...": an event
            if (
                (owned is not None or (bare is not None and modal))
                and not event
                and not _HYGIENE.search(low, end, end + 50)
            ):
                return [
                    _hit("trust", [(np[0].start, np[-1].end), (lose.start(), end)], text, "access", who.text)
                ]
        denied = _DENIED_ACCESS.match(low, after_adverbs(low, at))
        if denied is not None:
            return [_hit("trust", [(np[0].start, np[-1].end), denied.span()], text, "access", who.text)]
        locked = _LOCKED_OUT.match(low, after_adverbs(low, at)) or _TAKEN.match(low, after_adverbs(low, at))
        if locked is not None:
            return [_hit("trust", [(np[0].start, np[-1].end), locked.span()], text, "access", who.text)]
    for q in _DOUBT_KEEP.finditer(low):
        found = person_at(tokens, q.end(), names)
        if found is None:
            continue
        keep = _KEEP.match(low, found[1][-1].end + 1)
        if keep is not None:
            return [_hit("trust", [(q.start(), keep.end())], text, "access", found[0].text)]
    return []


def _supervision(text: str, low: str, clauses: list[Clause], tokens: list[Token], names: Names) -> list[Hit]:
    """Someone set to watch over one person, or a person not to be let work alone."""
    supervised = SUPERVISION.search(low) is not None
    for who, np in people(tokens, names) if supervised or SOLO.search(low) else ():
        at = after_adverbs(low, np[-1].end + 1)
        needs = _NEEDS.match(low, at) if supervised else None
        if needs is not None and not low.startswith("if", max(0, np[0].start - 3)):
            supervision = SUPERVISION.match(low, needs.end())
            if supervision is not None:
                spans = [(np[0].start, np[-1].end), (needs.start(), supervision.end())]
                return [_hit("trust", spans, text, "supervision", who.text)]
        barred = _NOT_ALLOWED.match(low, at)
        solo = SOLO.search(low, barred.end(), barred.end() + 80) if barred is not None else None
        if barred is not None and solo is not None:
            spans = [(np[0].start, np[-1].end), barred.span(), solo.span()]
            return [_hit("trust", spans, text, "supervision", who.text)]
    for m in _SUPERVISE.finditer(low):
        found = person_at(tokens, m.end(), names)
        if found is not None and not (
            m.group(0).startswith(("look", "watch"))
            and not found[0].possessed
            and found[1][-1].low != "shoulder"
        ):
            return [_hit("trust", [(m.start(), found[1][-1].end)], text, "supervision", found[0].text)]
    for m in _ALL_WORK.finditer(low):
        found = person_at(tokens, m.end(), names) or person_at(tokens, m.start(m.lastindex or 0), names)
        if found is None or found[0].possessed:
            continue
        verb = _WORK_VERB.match(low, found[1][-1].end + 1)
        if verb is not None and (_CHECKED.search(low) or SUPERVISION.search(low)):
            return [_hit("trust", [(m.start(), verb.end())], text, "supervision", found[0].text)]
    leash = _LEASH.search(low)
    if leash is not None and any(person_at(tokens, t.start, names) for t in tokens):
        return [_hit("trust", [leash.span()], text, "supervision")]
    return []


def _confidence(text: str, low: str, clauses: list[Clause], tokens: list[Token], names: Names) -> list[Hit]:
    """No confidence or trust left in one person: "zero confidence in the release team", "I don't trust Bo"."""
    for pattern in (_NO_CONFIDENCE, _NOT_TRUST):
        for m in pattern.finditer(low):
            found = person_at(tokens, m.end(), names)
            if found is not None and (not found[0].possessed or found[0].possessed in _JUDGED):
                return [_hit("trust", [(m.start(), found[1][-1].end)], text, "confidence", found[0].text)]
    for m in _CONFIDENCE_IN.finditer(low):
        found = person_at(tokens, m.end(), names)
        gone = _GONE.match(low, found[1][-1].end) if found is not None else None
        if found is not None and gone is not None:
            return [_hit("trust", [(m.start(), gone.end())], text, "confidence", found[0].text)]
    for c in clauses:
        s = c.subject
        np = [t for t in c.tokens if s.start <= t.start < s.end]
        lost = _CREDIBILITY.search(low, c.verb_start, c.end)
        if lost is not None and specific(s, np):
            return [_hit("trust", [(s.start, s.end), lost.span()], text, "confidence", s.text)]
    return []


# What of a person's may be doubted with them: "Ingrid's judgement", "the new lead's calls"
_JUDGED = frozenset(
    {
        "judgement",
        "judgment",
        "calls",
        "call",
        "decisions",
        "work",
        "code",
        "changes",
        "reviews",
        "competence",
    }
    | {"ability", "abilities", "skills", "estimates", "word", "instincts", "sense", "testing", "releases"}
)


def _demotion(text: str, low: str, clauses: list[Clause], tokens: list[Token], names: Names) -> list[Hit]:
    """A person moved down or out as a consequence, or a consequence meant as a lesson."""
    for m in _DEMOTE.finditer(low):
        duty = _DUTY.match(low, m.end())
        who = None
        if duty is None:  # "kick the web team off the deploy rota": the person first, then the duty
            found = person_at(tokens, m.end(), names)
            duty = _DUTY.match(low, found[1][-1].end + 1) if found is not None else None
            who = found[0] if found is not None and duty is not None else None
        else:  # "Karim was demoted off the primary rotation": the subject of the passive
            c = next((c for c in clauses if c.start <= m.start() <= c.end), None)
            if c is not None and c.subject.kind in ("person", "team") and c.verb_start <= m.start():
                np = [t for t in c.tokens if c.subject.start <= t.start < c.subject.end]
                who = (
                    c.subject
                    if specific(c.subject, np) and not _VOLUNTARY.search(low, c.start, m.start())
                    else None
                )
        if who is not None and duty is not None:
            return [_hit("sanction", [(m.start(), duty.end())], text, "demotion", who.text)]
    for m in _NO_MORE.finditer(low):
        found = person_at(tokens, m.end(), names)
        if found is not None:
            return [_hit("sanction", [(m.start(), found[1][-1].end)], text, "demotion", found[0].text)]
    p = PUNISHMENT.search(low)
    if p is not None and any(person_at(tokens, t.start, names) for t in tokens):
        return [_hit("sanction", [p.span()], text, "demotion")]
    return []


# Why each kind reads as blame and what to say instead: (reason after the quoted words, rewording), for
# `explain.py`
EXPLAINED = {
    "access": (
        "takes rights away from one person after an incident, which reads as a punishment. The safeguard "
        "belongs to the task (just-in-time access, a second approval), for whoever does it",
        '"Which access does this task need, for anyone doing it, and what would limit the damage of a slip?"',
    ),
    "supervision": (
        "sets someone to watch over one person, which says the person is the hazard. A check the task "
        "needs applies to whoever does it",
        '"Which check does this change need, whoever makes it: a second reviewer, a dry run, a limit?"',
    ),
    "confidence": (
        "withdraws confidence from a person or a team. People who expect that stop reporting, and the "
        "conditions that shaped their work stay unexamined",
        '"What would have to change in the tooling or the process for this work to go safely next time?"',
    ),
    "demotion": (
        "moves a person down or out as a consequence, which is retribution, not a remedy: it teaches "
        "everyone to report less",
        '"Which safeguard would make this step safe for whoever is on the rotation next?"',
    ),
}


def find(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """The hits of these parts in one sentence (offsets as in `low`)."""
    if not clauses:
        return []
    tokens = [t for c in clauses for t in c.tokens]
    return [
        *_access(text, low, clauses, tokens, names),
        *_supervision(text, low, clauses, tokens, names),
        *_confidence(text, low, clauses, tokens, names),
        *_demotion(text, low, clauses, tokens, names),
    ]
