"""Quotes: direct quotes with their speaker (textacy's DQTriple: speaker, cue, content).

Requires: the spaCy docs of the article's paragraphs (parser), the ingest sentences and the
actors' mentions. Produces: Quote records whose start/end are the offsets of the quote content
(without the marks, without a trailing comma) in the paragraph text.

- Quotation marks: curly (“…”) and straight ("…"); a quote left open at the end of a paragraph
  runs on into the next paragraph, which re-opens it (one Quote per paragraph, one speaker).
- The cue is a reporting verb (REPORTING_VERBS) outside the quote, in the sentences the quote
  lies in: the verb that governs the quote in the dependency parse, else the nearest one.
- The speaker is the subject of the cue (climbing from "calling it …" to the clause's subject),
  mapped to the canonical actor mentioned there; pronouns go to the last compatible actor,
  "the bank" / "the minister" to the last actor with that word in its name or role.
- A quote with no attribution in its sentences takes the speaker of the adjacent quote in the
  same paragraph, or of the quote it continues from the previous paragraph.
- A short quoted phrase is a quote only when someone said it: scare quotes ("the so-called
  “soft landing”") with no governing reporting verb and speaker are left out.
"""
from __future__ import annotations

import re

from .actors import doc_text
from .schema import Article, Mention, Quote, Sentence

# ---- word lists (constants, not inline) -------------------------------------------------------

# lemmas of verbs (and "according") that introduce or frame what someone said
REPORTING_VERBS = frozenset("""
    say tell add state declare announce insist argue claim warn note explain write reply respond
    answer assert affirm acknowledge admit remark comment observe suggest stress emphasise emphasize
    reiterate repeat maintain contend conclude confirm deny dismiss describe call brand label term
    dub characterise characterize praise criticise criticize condemn accuse urge vow pledge promise
    predict caution concede complain lament boast joke quip recall report tweet post testify mention
    point hail welcome ask question wonder demand plead proclaim shout whisper counter retort rebut
    reject protest hint reveal estimate forecast thank quote recount express voice signal
    indicate tout decry slam blast attack defend acclaim muse sigh scoff laugh cry exclaim
    according
""".split())
# inflected forms, for when the lemmatiser misses ("said" tagged as a noun in a heading)
REPORTING_FORMS = frozenset("said says told tells added adds stated declared announced insisted argued "
                            "claimed warned noted explained wrote replied responded asserted".split())
# a phrase in quotation marks right after these is a scare quote, not speech
SCARE_MARKERS = ("so-called", "so called", "self-styled", "self-proclaimed", "known as", "dubbed the",
                 "nicknamed")
OPEN_MARKS = "“"
CLOSE_MARKS = "”"
STRAIGHT = '"'
SUBJECT_DEPS = {"nsubj", "nsubjpass"}
# dependency relations of clauses whose subject is the subject of the clause they hang on
CLIMB_DEPS = {"xcomp", "advcl", "conj", "pcomp", "acl", "ccomp", "dep", "prep", "pobj"}
RELATIVE_PRONOUNS = {"who", "which", "that"}
PERSON_PRONOUNS = {"he", "she", "him", "her"}
MALE_PRONOUNS = {"he", "him", "his", "himself"}
FEMALE_PRONOUNS = {"she", "her", "hers", "herself"}
MALE_TITLES = ("Mr", "Mr.", "Sir", "King", "Prince", "Lord")
FEMALE_TITLES = ("Mrs", "Mrs.", "Ms", "Ms.", "Miss", "Dame", "Queen", "Princess", "Lady")
# people who speak for a body: "a spokesperson for X said … the spokesperson said"
SPOKES_NOUNS = frozenset("spokesperson spokesman spokeswoman representative official aide adviser advisor "
                         "source sources officials statement".split())
GROUP_PRONOUNS = {"it", "they", "we"}
# head nouns that refer back to the last organisation ("the company said")
GENERIC_ORG_NOUNS = frozenset("""
    company firm group carmaker automaker maker manufacturer producer operator bank lender insurer
    retailer chain supplier business corporation conglomerate airline carrier developer miner
    organisation organization agency body regulator watchdog union federation association
    council authority forum alliance coalition party movement institute ministry department
    committee commission board chamber league fund charity campaign network mission office
    court tribunal bloc pact rebels militia
""".split())
# head nouns that refer back to the last country ("the government said")
GENERIC_STATE_NOUNS = frozenset("government country state administration kingdom republic nation".split())
# a quote of at most this many words with no sentence punctuation is a phrase, not a statement
PHRASE_MAX_WORDS = 12
FINAL_PUNCT = (".", "!", "?", "…")


# ---- finding quotation marks ------------------------------------------------------------------

def quote_spans(text: str) -> list[tuple[int, int, bool, bool]]:
    """(start, end, runs_on, continues) of each quote's content in a paragraph.

    runs_on: the quote is still open at the end of the paragraph; continues: the paragraph opens
    with a quotation mark (a quote carried over from the previous paragraph, if that one ran on).
    Content offsets exclude the marks, surrounding spaces and a trailing comma.
    """
    raw: list[tuple[int, int, bool]] = []
    open_at: int | None = None
    for i, ch in enumerate(text):
        if ch in OPEN_MARKS:
            if open_at is not None:  # a quote that was never closed: it ends where the next opens
                raw.append((open_at + 1, i, False))
            open_at = i
        elif ch in CLOSE_MARKS:
            if open_at is not None:
                raw.append((open_at + 1, i, False))
                open_at = None
            elif (i == 0 or text[i - 1].isspace()) and i + 1 < len(text) and text[i + 1].isalnum():
                open_at = i  # a closing mark typed where an opening one belongs
        elif ch == STRAIGHT:
            if open_at is None:
                open_at = i
            else:
                raw.append((open_at + 1, i, False))
                open_at = None
    if open_at is not None:
        raw.append((open_at + 1, len(text), True))
    out = []
    first = len(text) - len(text.lstrip())
    for s, e, runs_on in raw:
        while s < e and text[s].isspace():
            s += 1
        while e > s and (text[e - 1].isspace() or text[e - 1] == ","):
            e -= 1
        if e > s and any(ch.isalnum() for ch in text[s:e]):
            out.append((s, e, runs_on, s - 1 <= first + 1 and text[first] in OPEN_MARKS + STRAIGHT + CLOSE_MARKS))
    return out


# ---- speakers ---------------------------------------------------------------------------------

class _Context:
    """What the speaker search needs about one article."""

    def __init__(self, article: Article, mentions: list[Mention], spans: list[list[tuple]], docs, sentences):
        self.article = article
        self.spans = spans
        self.mentions = sorted(mentions, key=lambda m: (m.paragraph_index, m.start))
        self.pos = {p.index: k for k, p in enumerate(article.paragraphs)}
        self.gender = self._genders(docs, sentences)

    def _genders(self, docs, sentences) -> dict[str, str]:
        """'m' or 'f' per person: the article's own pronouns and titles, else the first name."""
        from .actors import FEMALE_NAMES, MALE_NAMES

        votes: dict[str, list[int]] = {}
        people = [m for m in self.mentions if m.actor_type == "person" and not self.in_quote(m)]
        for m in people:
            k = self.pos[m.paragraph_index]
            v = votes.setdefault(m.actor, [0, 0])
            before = self.article.paragraphs[k].text[:m.start].rstrip()
            v[0] += before.endswith(MALE_TITLES)
            v[1] += before.endswith(FEMALE_TITLES)
            sent = next((x for x in sentences[k] if x.start <= m.start < x.end), None) if k < len(sentences) else None
            if sent is None:
                continue
            others = {x.actor for x in people if x.paragraph_index == m.paragraph_index
                      and sent.start <= x.start < sent.end}
            if len(others) != 1:
                continue  # "X met Y and told her …": whose pronoun is it?
            for tok in docs[k]:
                if m.end <= tok.idx < sent.end and not any(s <= tok.idx < e for s, e, *_ in self.spans[k]):
                    v[0] += tok.lower_ in MALE_PRONOUNS
                    v[1] += tok.lower_ in FEMALE_PRONOUNS
        out = {}
        for actor, (male, female) in votes.items():
            if male != female:
                out[actor] = "m" if male > female else "f"
            else:
                first = actor.split()[0]
                if first in FEMALE_NAMES:
                    out[actor] = "f"
                elif first in MALE_NAMES:
                    out[actor] = "m"
        return out

    def in_quote(self, m: Mention) -> bool:
        k = self.pos.get(m.paragraph_index)
        return k is not None and any(s <= m.start < e for s, e, *_ in self.spans[k])

    def at(self, k: int, start: int, end: int) -> list[Mention]:
        pi = self.article.paragraphs[k].index
        return [m for m in self.mentions if m.paragraph_index == pi and m.start < end and start < m.end]

    def before(self, k: int, offset: int, kinds: tuple[str, ...]) -> list[Mention]:
        pi = self.article.paragraphs[k].index
        return [m for m in self.mentions if m.actor_type in kinds and not self.in_quote(m)
                and (m.paragraph_index, m.start) < (pi, offset)]


def _is_cue(tok) -> bool:
    if tok.lower_ in REPORTING_FORMS:
        return True
    return tok.lemma_.lower() in REPORTING_VERBS and (tok.pos_ in ("VERB", "AUX") or tok.lower_ == "according")


def _subject(cue):
    """The subject of a reporting verb, climbing out of "calling it …" to the clause's subject."""
    v = cue
    for _ in range(4):
        if v.lower_ == "according":
            for c in v.children:
                if c.dep_ == "prep" and c.lower_ == "to":
                    pobj = next((g for g in c.children if g.dep_ == "pobj"), None)
                    if pobj is not None:
                        return pobj
        subj = next((c for c in v.children if c.dep_ in SUBJECT_DEPS), None)
        if subj is not None and v is not cue and v.dep_ == "ccomp" and _is_cue(v.head):
            # "X revealed that A would …, calling it “…”": the caller is X, not A
            v = v.head
            continue
        if subj is not None:
            if subj.lower_ in RELATIVE_PRONOUNS and v.dep_ == "relcl":
                return v.head
            return subj
        if v.dep_ == "relcl":
            return v.head
        # "the company said, adding that …": an agent in a passive ("was described by X")
        agent = next((c for c in v.children if c.dep_ == "agent"), None)
        if agent is not None:
            pobj = next((g for g in agent.children if g.dep_ == "pobj"), None)
            if pobj is not None:
                return pobj
        if v.dep_ in CLIMB_DEPS and v.head is not v:
            v = v.head
            continue
        break
    return None


def _actor_of(tok, ctx: _Context, k: int, doc) -> str:
    """The canonical actor a subject token stands for."""
    lower = tok.lower_
    offset = tok.idx
    if lower in PERSON_PRONOUNS:
        want = "m" if lower in MALE_PRONOUNS else "f"
        cands = ctx.before(k, offset, ("person",))
        for m in reversed(cands):  # the last person the pronoun can stand for
            if ctx.gender.get(m.actor, want) == want:
                return m.actor
        return cands[-1].actor if cands else ""
    if lower in GROUP_PRONOUNS:
        cands = ctx.before(k, offset, ("organisation", "country"))
        return cands[-1].actor if cands else ""
    here = ctx.at(k, tok.idx, tok.idx + len(tok.text))
    if here:
        return here[0].actor
    # the subject's phrase, without relative clauses: "Its president, Oskar Brandvik"
    sub = [t for t in _phrase(tok)]
    found = []
    for t in sub:
        for m in ctx.at(k, t.idx, t.idx + len(t.text)):
            if m not in found and not ctx.in_quote(m):
                found.append((t, m))
    if found:
        for kind in ("person", "organisation", "country"):
            hits = [m for t, m in found if m.actor_type == kind and t.dep_ in ("appos", "compound") or
                    m.actor_type == kind and kind == "person"]
            if hits:
                return hits[0].actor
        # a possessor or a modifier: "Kalvaria's government", "Tessalian officials"
        return found[0][1].actor
    return _nominal(tok, ctx, k)


def _phrase(tok):
    out = [tok]
    stack = list(tok.children)
    while stack:
        t = stack.pop()
        if t.dep_ in ("relcl", "acl", "advcl", "ccomp", "punct"):
            continue
        out.append(t)
        stack.extend(t.children)
    return sorted(out, key=lambda t: t.i)


def _nominal(tok, ctx: _Context, k: int) -> str:
    """'the bank', 'the minister', 'the company': the last actor that the noun names."""
    if tok.pos_ not in ("NOUN", "PROPN"):
        return ""
    noun = tok.lemma_.lower()
    offset = tok.idx
    if not any(c.dep_ in ("det", "poss") for c in tok.children):
        return ""
    named = [m for m in ctx.before(k, offset, ("organisation", "country", "person"))
             if re.search(r"\b" + re.escape(noun) + r"\b", m.actor.lower())
             or m.actor_type == "person" and noun in m.role.lower()]
    if named:
        return named[-1].actor
    if noun in GENERIC_ORG_NOUNS or noun in SPOKES_NOUNS:
        orgs = ctx.before(k, offset, ("organisation",))
        return orgs[-1].actor if orgs else ""
    if noun in GENERIC_STATE_NOUNS:
        states = ctx.before(k, offset, ("country",))
        return states[-1].actor if states else ""
    return ""


def _frame(sents: list[Sentence], start: int, end: int) -> tuple[int, int]:
    hit = [s for s in sents if s.start < end and start < s.end] or sents
    return (min(s.start for s in hit), max(s.end for s in hit)) if hit else (start, end)


def _inside(tok, spans) -> bool:
    return any(s - 1 <= tok.idx < e + 1 for s, e, *_ in spans)


def _find_cues(doc, spans, q, frame) -> list:
    """Reporting verbs for quote q, best first: those governing it in the parse (nearest
    first), then the others of its sentences by distance."""
    s, e = q[0], q[1]
    qtoks = [t for t in doc if s <= t.idx < e]
    cands = [t for t in doc if frame[0] <= t.idx < frame[1] and not _inside(t, spans) and _is_cue(t)]
    governing = []
    for t in qtoks:  # the governing cues of the quote tokens whose head leaves the quote
        if s <= t.head.idx < e and t.head is not t:
            continue
        child = t
        for anc in t.ancestors:
            # "X said the government would not comment and “will not second-guess” …": a quote
            # coordinated with a cue (conj) is not what that cue reports; the cue above it is
            if anc in cands and anc not in governing and not (child.dep_ == "conj" and child.head.i == anc.i):
                governing.append(anc)
            child = anc
    rest = sorted((c for c in cands if c not in governing), key=lambda c: min(abs(c.idx - s), abs(c.idx - e)))
    return governing + rest


def _speaker_near(cue, ctx, k, doc, spans) -> str:
    """No subject in the parse ("…,” said Rhos): the actor right after or before the cue."""
    for t in list(doc[cue.i + 1: cue.i + 5]) + list(reversed(doc[max(0, cue.i - 4): cue.i])):
        if _inside(t, spans):
            continue
        for m in ctx.at(k, t.idx, t.idx + len(t.text)):
            if m.actor_type in ("person", "organisation"):
                return m.actor
    return ""


def _is_phrase(para: str, start: int, end: int) -> bool:
    """A short quoted phrase inside a sentence ("called it a “great deal”"), not a statement."""
    text = para[start:end]
    if len(text.split()) > PHRASE_MAX_WORDS or text.rstrip("”’\"' ").endswith(FINAL_PUNCT) \
            or any(p in text for p in (". ", "? ", "! ")):
        return False
    before = para[:start].rstrip()
    before = before[:-1].rstrip() if before.endswith(("“", '"', "”")) else before
    return bool(before) and (before[-1].isalnum() or before[-1] in "’')")


def _scare(text: str, start: int) -> bool:
    before = text[max(0, start - 20):start].lower().rstrip(" “\"")
    return before.endswith(SCARE_MARKERS)


def _colon_speaker(doc, spans, q, frame, ctx, k) -> str:
    """'Rhos was blunt: “…”': the subject of the clause the colon ends."""
    before = doc_text(doc)[frame[0]:q[0]].rstrip(" “\"")
    if not before.endswith(":"):
        return ""
    colon = next((t for t in doc if t.idx == frame[0] + len(before) - 1), None)
    if colon is None:
        return ""
    root = colon.sent.root if colon.head is colon else colon.head
    subj = next((c for c in root.children if c.dep_ in SUBJECT_DEPS), None)
    return _actor_of(subj, ctx, k, doc) if subj is not None else ""


def extract_quotes(article: Article, docs: list, sentences: list[list[Sentence]], mentions: list[Mention],
                   actors=None) -> list[Quote]:
    """Every direct quote of the article with its cue and canonical speaker."""
    spans = [quote_spans(p.text) for p in article.paragraphs]
    ctx = _Context(article, mentions, spans, docs, sentences)
    found: list[list[dict]] = []
    for k, (para, doc) in enumerate(zip(article.paragraphs, docs)):
        sents = sentences[k] if k < len(sentences) else []
        items = []
        for q in spans[k]:
            s, e = q[0], q[1]
            frame = _frame(sents, s, e)
            cues = _find_cues(doc, spans[k], q, frame)
            cue, speaker = (cues[0] if cues else None), ""
            for c in cues:
                subj = _subject(c)
                if subj is not None and not _inside(subj, spans[k]):
                    speaker = _actor_of(subj, ctx, k, doc)
                if not speaker:
                    speaker = _speaker_near(c, ctx, k, doc, spans[k])
                if speaker:
                    cue = c
                    break
            if not speaker:
                speaker = _colon_speaker(doc, spans[k], q, frame, ctx, k)
            text = para.text[s:e]
            phrase = _is_phrase(para.text, s, e) and not q[2] and not q[3]
            if phrase and (_scare(para.text, s) or not speaker or cue is None):
                continue  # a quoted phrase nobody is said to have said: scare quotes
            si = next((x.index for x in sents if x.start <= s < x.end), sents[0].index if sents else 0)
            items.append({"s": s, "e": e, "speaker": speaker, "cue": cue.text if cue is not None else "",
                          "si": si, "runs_on": q[2], "continues": q[3], "phrase": phrase})
        found.append(items)
    _fill_adjacent(found, article)
    out = []
    for k, items in enumerate(found):
        para = article.paragraphs[k]
        for it in items:
            out.append(Quote(article.article_id, para.index, it["si"], it["speaker"], it["cue"],
                             para.text[it["s"]:it["e"]], it["s"], it["e"]))
    return out


def _fill_adjacent(found: list[list[dict]], article: Article) -> None:
    """Unattributed quotes: the adjacent quote's speaker in the paragraph, or across a run-on."""
    for _ in range(2):
        # quotes carried over paragraphs share one speaker, in both directions
        for k in range(1, len(found)):
            prev, cur = found[k - 1], found[k]
            if not cur or not cur[0]["continues"]:
                continue
            ends_open = prev and prev[-1]["runs_on"]
            ends_colon = article.paragraphs[k - 1].text.rstrip().endswith(":")
            if not (ends_open or ends_colon):
                continue
            if not cur[0]["speaker"] and prev and prev[-1]["speaker"]:
                cur[0]["speaker"] = prev[-1]["speaker"]
            elif cur[0]["speaker"] and prev and ends_open and not prev[-1]["speaker"]:
                prev[-1]["speaker"] = cur[0]["speaker"]
        for items in found:
            for i, it in enumerate(items):
                if it["speaker"]:
                    continue
                near = [items[j] for j in (i - 1, i + 1) if 0 <= j < len(items) and items[j]["speaker"]]
                if near:
                    it["speaker"] = near[0]["speaker"]
