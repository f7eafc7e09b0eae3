"""Learning asked of ONE person as the remedy (`sanction`): the "retrain the operator" answer that Dekker's
Field Guide to Understanding Human Error names as the old view, which changes the person and leaves the
system that set them up as it was. The shapes:

- a person who needs to learn: "Ravi needs more training on Terraform", "the on-call clearly needs to
  brush up on DNS", "the release manager needs mentoring", "our SREs need to get better at reading
  dashboards", "she needs to actually read the docs";
- a person sent to be taught, or made to study: "sign the backend team up for a Kubernetes course", "send
  Piotr back through onboarding", "make the new hire read the deploy guide", "walk Ingrid through the
  runbook again, slowly".

The neutral side: training or onboarding as a process for everyone ("We added a Kafka course to onboarding
for all new engineers"), learning the team asked for, what the team learned, documents that need work, and
a person teaching others ("Ravi ran a Terraform workshop").
"""

from __future__ import annotations

import re

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.parse import Clause, Names
from incidents.review.blameless.supervised import REL, after_adverbs, people, person_at

_NEED = (
    r"(?:needs?|need to|needs to|should|must|has to|have to|ought to|will have to|will need to|is going to have to|"
    r"could do with|could use|would benefit from|is to|are to)"
)
_TAUGHT = lx.alternation("taught")
NEEDS_LEARNING = re.compile(
    rf"{REL}{_NEED}(?: (?:\w+ly|really|just|also|still|now|all|both|first|actually|seriously|definitely))*"
    rf" (?:(?:to |be )?(?:{_TAUGHT}))(?![\w'])"
)
_TAUGHT_ANYWHERE = re.compile(rf"(?<![\w'-])(?:{_TAUGHT})(?![\w'])")  # a cheap test before looking for people
# "send Piotr back through onboarding", "sign the backend team up for a course": a person sent to be taught
_SEND = re.compile(
    r"(?<![\w'])(?:send|sending|sent|sign|signing|signed|enrol|enroll|enrolling|enrolled|put|putting|drag|"
    r"dragging|book|booking|booked|register|registering|registered) "
)
_TO_TRAINING = re.compile(
    r"\s*(?:back |up |straight )?(?:up )?(?:for|on|to|through|into|onto|in) (?:a |an |the |some |more |mandatory |"
    r"extra |additional |refresher |remedial |basic |another |proper )*(?:[\w-]+ )?(?:training|course|courses|"
    r"refresher|workshop|class|classes|bootcamp|session|onboarding|tutorial|lessons?|school|basics|certification)\b"
)
# "make the new hire read the deploy guide": a person made to study
_MAKE = re.compile(
    r"(?<![\w'])(?:make|making|made|have|force|forcing|forced|get|require|requiring|required) "
)
_STUDY = re.compile(
    r"\s*(?:to )?(?:read|re-?read|learn|study|review|redo|retake|repeat|memori[sz]e|practi[cs]e|go through|sit through)"
    r"(?: (?:up )?on)? (?:the |our |a |every |all )?(?:[\w-]+ )?(?:docs|documentation|runbooks?|manual|guide|handbook|"
    r"playbook|wiki|basics|course|training|onboarding|tutorial|checklist|procedure)\b"
)
_WALK = re.compile(r"(?<![\w'])(?:walk|take|talk|run) ")
# "Someone needs to teach Bill how feature flags work": a person to be taught, asked for (a person teaching
# others, "Ravi taught the new hires how ...", is not)
_TEACH = re.compile(
    r"(?<![\w'])(?:needs? to|should|must|has to|have to|ought to|got to|gotta|will have to|please|let's|can someone)"
    r"(?: \w+ly| really| just)? (?:teach|show|school|educate) "
)
_HOW = re.compile(r"\s*(?:how|what|why|the basics|about|the difference)\b")
_AGAIN = re.compile(
    r"\s*through (?:\w+ ){1,5}?(?:again|one more time|once more|slowly|step by step|from the (?:start|top|beginning))\b"
)


def find(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """The hits of these shapes in one sentence (offsets as in `low`)."""
    if not clauses:
        return []
    tokens = [t for c in clauses for t in c.tokens]
    for who, np in people(tokens, names) if _TAUGHT_ANYWHERE.search(low) else ():
        m = NEEDS_LEARNING.match(low, after_adverbs(low, np[-1].end + 1))
        if m is not None and not low.startswith("if", max(0, np[0].start - 3)):
            return [_hit([(np[0].start, np[-1].end), m.span()], text, who.text)]
    for verb, then in ((_SEND, _TO_TRAINING), (_MAKE, _STUDY), (_WALK, _AGAIN), (_TEACH, _HOW)):
        for v in verb.finditer(low):
            found = person_at(tokens, v.end(), names)
            if found is None:
                continue
            m = then.match(low, found[1][-1].end)
            if m is not None:
                return [_hit([(v.start(), m.end())], text, found[0].text)]
    return []


def _hit(spans: list[tuple[int, int]], text: str, who: str) -> Hit:
    a, b = min(s for s, _ in spans), max(e for _, e in spans)
    return Hit("sanction", spans, who=who, words=text[a:b], extra={"kind": "taught"})


EXPLAINED = {
    "taught": (
        "makes a person's learning the remedy. Retraining one person leaves in place whatever made the "
        "step easy to get wrong, for the next person too",
        '"What did the tooling, the documentation or the process not show, and how would it show it to anyone?"',
    ),
}
