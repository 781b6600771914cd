"""Stance: (actor, topic, evidence) -> against / neutral / favor, with the evidence.

Requires: the tables of a batch (paragraphs with topics, sentences, mentions, quotes) and the
engine (encoder, stance model, optional spaCy pipeline). Produces: the stances table
(schema.STANCE_STORE_COLUMNS).

Candidates. An actor and a topic meet in a paragraph through
  - a quote whose speaker is the actor (evidence = the quote, kind "quote"), or
  - a sentence where the actor is the subject of a stance-bearing verb (STANCE_VERBS, reporting
    verbs included: "X said she supported ...") (evidence = the sentence, kind "sentence").
The topics of a candidate are the paragraph's topics that its sentence is about
(dashboard.topics.sentence_topics).

Model. A cross-encoder: the embedded MiniLM reads "actor | topic: description [SEP] evidence
[SEP] paragraph context" (the context: the evidence's paragraph with the evidence replaced by "…",
so a quote comes with its attribution and a sentence with its neighbours) and a head fine-tuned
here (the top layers + a classifier, models/train_stance.py) says against / neutral / favor.
A head saved without the context in its input format is given none. One row per (paragraph,
actor, topic): the candidate with the most confident side; a pair whose every candidate is
neutral is kept as neutral.

Aggregation (pure pandas): `aggregate_stances`, `stance_matrix`, `stance_timeline`.
Re-assigning topics after the topic list changes, without re-encoding: `reassign_store_topics`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import schema
from .schema import STANCE_LABELS

# Stance-bearing verbs (lemmas) whose subject takes a position; reporting verbs bring indirect
# speech ("she said she supported ...") in. Lists live here, not inline (textacy's habit).
STANCE_VERBS = frozenset("""
support back endorse favour favor welcome hail praise applaud champion defend embrace approve
accept agree sign push press urge call demand insist seek want need propose promise pledge vow
advocate argue campaign lobby fight offer commit plan announce confirm
oppose reject dismiss rule refuse resist block veto condemn criticise criticize denounce
attack slam warn question doubt challenge object protest boycott decline deny scrap abandon
cancel halt suspend freeze withdraw drop oppose fear threaten accuse
consider weigh hint signal suggest
recommend raise impose introduce adopt launch lift ease extend renew expand increase tighten lower
hike hold maintain delay postpone end stop vote pass unveil order authorise authorize ban allow grant
deploy send supply cut close
""".split())
REPORTING_VERBS = frozenset("""
say tell add state stress note claim insist argue declare assert told said says explain
reiterate emphasise emphasize write acknowledge admit concede describe call
""".split())
STANCE_ADJECTIVES = frozenset("""
open ready willing keen eager determined opposed against reluctant unwilling hostile sceptical skeptical
supportive favourable favorable confident wary
""".split())
SUBJECT_DEPS = {"nsubj", "nsubjpass"}

MIN_CONFIDENCE_SIDE = 0.5  # a favor/against row needs at least this probability


def pair_text(actor: str, topic_name: str, topic_description: str) -> str:
    """The first segment of the cross-encoder input (the evidence is the second)."""
    desc = f": {topic_description}" if topic_description else ""
    return f"{actor} | {topic_name}{desc}"


# ---- the model --------------------------------------------------------------------------------

class StanceModel:
    """The trained cross-encoder head (registry role `stance`), or a zero-shot NLI backend when
    the registry's `nli` role names a model (models/nli.py)."""

    def __init__(self, encoder, head=None, nli=None, spec=None):
        self.encoder = encoder
        self.head = head
        self.nli = nli
        self.spec = spec
        # a head trained with the paragraph context reads it (its saved input format says so)
        self.uses_context = head is not None and getattr(head, "meta", {}).get("input") == CONTEXT_INPUT

    @classmethod
    def load(cls, encoder, registry) -> "StanceModel":
        nli_spec = registry.get("nli")
        if nli_spec is not None and nli_spec.kind == "nli":
            from models.nli import NLIStance

            return cls(encoder, nli=NLIStance.load(nli_spec), spec=nli_spec)
        spec = registry["stance"]
        if spec.kind != "head":
            raise ValueError(f"the stance role takes a trained head (.safetensors), got {spec.name_or_path!r}; "
                             "for a zero-shot model use the nli role")
        from models.heads import load_head

        head = load_head(spec.resolved_path(), encoder.float_model)  # one head or an ensemble of them
        return cls(encoder, head=encoder.prepare_head(head), spec=spec)

    def predict(self, items: list[tuple], batch_size: int = 32) -> np.ndarray:
        """items: (actor, topic name, topic description, evidence[, paragraph context]) ->
        probabilities (n, 3) in STANCE_LABELS order. The context is read only by a head
        trained with it."""
        if not items:
            return np.zeros((0, len(STANCE_LABELS)), dtype=np.float32)
        if self.nli is not None:
            return self.nli.predict([tuple(i[:4]) for i in items])
        if not self.uses_context:
            items = [tuple(i[:4]) for i in items]
        return predict_head(self.head, self.encoder, items, batch_size=batch_size)


# the input formats a head's metadata names (models/train_stance.py writes them)
EVIDENCE_INPUT = "actor | topic: description [SEP] evidence"
CONTEXT_INPUT = "actor | topic: description [SEP] evidence [SEP] paragraph context"
CONTEXT_MAX_LENGTH = 224  # with the paragraph context (the context's end is cut first)


def evidence_context(paragraph_text: str, evidence: str) -> str:
    """The paragraph around the evidence: its text with the evidence replaced by "…" (the
    attribution of a quote, the sentences before and after a sentence)."""
    text = " ".join(str(paragraph_text).split())
    ev = " ".join(str(evidence).split())
    i = text.find(ev) if ev else -1
    return text if i < 0 else f"{text[:i]}…{text[i + len(ev):]}".strip()


def _second(item) -> str:
    """The second segment: the evidence, then its paragraph context when the item carries one."""
    ev = item[3]
    ctx = item[4] if len(item) > 4 else ""
    return f"{ev} [SEP] {ctx}" if ctx and ctx != "…" else ev


def encode_pairs(tokenizer, items, max_length: int = 160):
    """items: (actor, topic, description, evidence[, context]); with a context the second
    segment is "evidence [SEP] context" (longest-first truncation cuts the context's end)."""
    firsts = [pair_text(a, t, d) for a, t, d, *_ in items]
    seconds = [_second(i) for i in items]
    if any(len(i) > 4 and i[4] for i in items):
        max_length = max(max_length, CONTEXT_MAX_LENGTH)
    return tokenizer(firsts, seconds, padding=True, truncation="longest_first", max_length=max_length,
                     return_tensors="pt")


def branch_hidden(encoder_model, enc, branch_layer: int):
    """Hidden states entering the head's first layer, running only the frozen bottom layers."""
    import torch

    from models.heads import bidirectional_mask

    with torch.no_grad():  # not inference_mode: the trainer backpropagates through the head on top
        hidden = encoder_model.embeddings(input_ids=enc["input_ids"], token_type_ids=enc.get("token_type_ids"))
        ext = bidirectional_mask(encoder_model.config, hidden, enc["attention_mask"])
        for layer in encoder_model.encoder.layer[:branch_layer]:
            out = layer(hidden, ext)
            hidden = out[0] if isinstance(out, tuple) else out
    return hidden


def predict_head(head, encoder, items, batch_size: int = 32) -> np.ndarray:
    import torch

    tok = encoder.tokenizer
    lengths = [sum(len(x) for x in i) for i in items]
    order = np.argsort(lengths, kind="stable")
    out = np.zeros((len(items), len(STANCE_LABELS)), dtype=np.float32)
    head.eval()
    for s in range(0, len(items), batch_size):
        idx = order[s:s + batch_size]
        enc = encode_pairs(tok, [items[i] for i in idx])
        hidden = branch_hidden(encoder.model, enc, head.branch_layer)
        with torch.inference_mode():
            probs = torch.softmax(head.logits_from_branch(hidden, enc["attention_mask"]), -1)
        out[idx] = probs.float().numpy()
    return out


# ---- candidates -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    article_id: str
    paragraph_index: int
    sentence_index: int
    actor: str
    evidence: str
    kind: str  # "quote" | "sentence"
    topics: tuple[str, ...]
    context: str = ""  # the paragraph around the evidence (evidence_context)


PRONOUNS = {"he", "she"}
MIN_QUOTE_WORDS = 5  # a shorter quote ("a “great deal”") is judged with its whole sentence
_WORD = re.compile(r"[A-Za-z']+")


def _parse(nlp, texts: list[str]) -> list:
    if nlp is None or not texts:
        return [None] * len(texts)
    return list(nlp.pipe(texts, batch_size=64))


def _stance_head(head) -> bool:
    """Does this verb make its subject take a position? A stance or reporting verb, a negated
    verb ("will not provide guarantees"), or "be" with a stance adjective ("is open to")."""
    lemma = head.lemma_.lower()
    return (lemma in STANCE_VERBS or lemma in REPORTING_VERBS or any(c.dep_ == "neg" for c in head.children)
            or (lemma == "be" and any(c.lemma_.lower() in STANCE_ADJECTIVES for c in head.children)))


def _subject_spans(doc, offset: int = 0) -> list[tuple[int, int, str]]:
    """(start, end, lemma of the verb) of every subject of a stance or reporting verb: the
    subject token with its compound / appositive / flat tokens (names like "Foreign Minister
    Ilse Varnholt" or "the negotiator, Dorian Kask"). `doc` is a Doc or a Span; offsets are
    character offsets minus `offset` (a sentence's start when it is a span of its paragraph)."""
    out = []
    for tok in doc:
        if tok.dep_ not in SUBJECT_DEPS:
            continue
        if not _stance_head(tok.head):
            continue
        lemma = tok.head.lemma_.lower()
        toks = [tok]
        stack = [tok]
        while stack:
            t = stack.pop()
            for c in t.children:
                # "Foreign Minister X", "the negotiator, X", "Caldoria's government",
                # "the government of Corrandia"
                if (c.dep_ in {"compound", "appos", "flat", "amod", "det", "punct", "poss", "case", "pobj"}
                        or (c.dep_ == "prep" and c.lower_ == "of")):
                    toks.append(c)
                    stack.append(c)
        for t in toks:
            out.append((t.idx - offset, t.idx - offset + len(t.text), lemma))
    return out


def find_candidates(tables: dict, topic_model, nlp=None, docs: dict | None = None) -> list[Candidate]:
    """Quotes by an actor, and sentences whose subject (of a stance or reporting verb) is an
    actor, in paragraphs that have topics. `docs`: the paragraphs' spaCy parses by (article id,
    paragraph index), when the caller has them (scoring does: the actors stage parsed them);
    otherwise each candidate sentence is parsed here with `nlp`."""
    from .topics import _sentence_groups, quote_sentences, sentence_topics

    paras, sents = tables["paragraphs"], tables.get("sentences")
    mentions, quotes = tables.get("mentions"), tables.get("quotes")
    if paras.empty or sents is None or sents.empty:
        return []
    ptopics = {(a, p): list(t) for a, p, t in zip(paras["article_id"], paras["paragraph_index"], paras["topics"])
               if len(t)}
    if not ptopics:
        return []
    groups = _sentence_groups(sents)
    text_of = {(a, p, s): t for a, p, s, t in sents[["article_id", "paragraph_index", "sentence_index", "text"]]
               .itertuples(index=False)}
    start_of = {(a, p, s): st for a, p, s, st in sents[["article_id", "paragraph_index", "sentence_index", "start"]]
                .itertuples(index=False)}
    out: list[Candidate] = []

    def topics_for(aid, pi, si):
        return tuple(sentence_topics(topic_model, groups.get((aid, pi)), si, ptopics[(aid, pi)]))

    spanned = quote_sentences(sents)

    if quotes is not None and not quotes.empty:
        for q in quotes.itertuples(index=False):
            if not q.speaker or (q.article_id, q.paragraph_index) not in ptopics:
                continue
            ev = str(q.quote).strip()
            kind = "quote"
            if len(_WORD.findall(ev)) < MIN_QUOTE_WORDS:
                ev, kind = text_of.get((q.article_id, q.paragraph_index, q.sentence_index), ev), "sentence"
            span = (spanned(q.article_id, q.paragraph_index, q.sentence_index, getattr(q, "start", None),
                            getattr(q, "end", None)) if kind == "quote" else q.sentence_index)
            out.append(Candidate(q.article_id, int(q.paragraph_index), int(q.sentence_index), q.speaker, ev, kind,
                                 topics_for(q.article_id, q.paragraph_index, span)))

    ptext = dict(zip(zip(paras["article_id"], paras["paragraph_index"]), paras["text"])) if "text" in paras else {}
    if mentions is None or mentions.empty:
        return _with_context(_unique(out), ptext)
    ment = mentions[[(a, p) in ptopics for a, p in zip(mentions["article_id"], mentions["paragraph_index"])]]
    # the last person mentioned before each sentence (for "he said ..." / "she said ...")
    persons = mentions[mentions["actor_type"] == "person"].sort_values(["article_id", "paragraph_index", "start"])
    by_sentence: dict[tuple, list] = {}
    for m in ment.itertuples(index=False):
        by_sentence.setdefault((m.article_id, m.paragraph_index, m.sentence_index), []).append(m)
    keys = sorted(set(by_sentence) | {k for k in text_of if (k[0], k[1]) in ptopics
                                      and PRONOUNS & {w.lower() for w in _WORD.findall(text_of[k])}})
    if docs is not None:  # each sentence as a span of its paragraph's parse
        views = []
        for k in keys:
            doc = docs.get((k[0], k[1]))
            span = None if doc is None else doc.char_span(start_of[k], start_of[k] + len(text_of[k]),
                                                           alignment_mode="expand")
            views.append((span, start_of[k]) if span is not None else (None, 0))
        missing = [i for i, (v, _) in enumerate(views) if v is None]
        for i, d in zip(missing, _parse(nlp, [text_of[keys[i]] for i in missing])):
            views[i] = (d, 0)
    else:
        views = [(d, 0) for d in _parse(nlp, [text_of[k] for k in keys])]
    seen = set()
    for key, (doc, off) in zip(keys, views):
        aid, pi, si = key
        text, s0 = text_of[key], start_of[key]
        subjects = _subject_spans(doc, off) if doc is not None else None
        actors = []
        for m in by_sentence.get(key, []):
            ms, me = m.start - s0, m.end - s0
            if subjects is None:  # no parser: the actor is named before a stance verb
                after = [w.lower() for w in _WORD.findall(text[me:])][:6]
                ok = any(w.rstrip("sed") in STANCE_VERBS or w in REPORTING_VERBS or w.rstrip("s") in STANCE_VERBS
                         for w in after)
            else:
                ok = any(s < me and ms < e for s, e, _ in subjects)
            if ok:
                actors.append(m.actor)
        if doc is not None:
            for tok in doc:
                if tok.lower_ in PRONOUNS and tok.dep_ in SUBJECT_DEPS and _stance_head(tok.head):
                    prev = persons[(persons["article_id"] == aid) & (
                        (persons["paragraph_index"] < pi) | ((persons["paragraph_index"] == pi)
                                                             & (persons["start"] < s0 + tok.idx - off)))]
                    if len(prev):
                        actors.append(prev.iloc[-1]["actor"])
        for actor in dict.fromkeys(actors):
            if (key, actor) in seen:
                continue
            seen.add((key, actor))
            out.append(Candidate(aid, int(pi), int(si), actor, text, "sentence", topics_for(aid, pi, si)))
    return _with_context(_unique(out), ptext)


def _unique(cands: list[Candidate]) -> list[Candidate]:
    """One candidate per (paragraph, actor, evidence): a short quote judged with its sentence and
    the same sentence found through its subject are one."""
    seen, out = set(), []
    for c in cands:
        k = (c.article_id, c.paragraph_index, c.actor, c.evidence)
        if k not in seen:
            seen.add(k)
            out.append(c)
    return out


def _with_context(cands: list[Candidate], paragraph_texts: dict) -> list[Candidate]:
    """Each candidate with its paragraph context (`paragraph_texts`: (article id, paragraph
    index) -> text)."""
    from dataclasses import replace

    return [replace(c, context=evidence_context(text, c.evidence))
            if (text := paragraph_texts.get((c.article_id, c.paragraph_index))) else c for c in cands]


# ---- the table ----------------------------------------------------------------------------------

def score_candidates(candidates: list[Candidate], model: StanceModel, topic_model,
                     per_paragraph_calls: bool = False) -> pd.DataFrame:
    """One row per (candidate, topic) with the model's probabilities. All rows go to the model
    together (length-sorted batches); `per_paragraph_calls` makes one call per paragraph instead,
    the benchmark's naive baseline."""
    desc = {t.name: t.description for t in topic_model.topics}
    rows = [(c, t) for c in candidates for t in c.topics]
    items = [(c.actor, t, desc.get(t, ""), c.evidence, c.context) for c, t in rows]
    if per_paragraph_calls and rows:
        probs = np.zeros((len(rows), len(STANCE_LABELS)), dtype=np.float32)
        groups: dict[tuple, list[int]] = {}
        for i, (c, _) in enumerate(rows):
            groups.setdefault((c.article_id, c.paragraph_index), []).append(i)
        for idx in groups.values():
            probs[idx] = model.predict([items[i] for i in idx])
    else:
        probs = model.predict(items)
    return pd.DataFrame([{
        "article_id": c.article_id, "paragraph_index": c.paragraph_index, "sentence_index": c.sentence_index,
        "actor": c.actor, "topic": t, "evidence": c.evidence, "evidence_kind": c.kind,
        "p_against": float(p[0]), "p_neutral": float(p[1]), "p_favor": float(p[2]),
    } for (c, t), p in zip(rows, probs)])


def pick_rows(scored: pd.DataFrame, source_files: dict[str, str]) -> pd.DataFrame:
    """One row per (paragraph, actor, topic): the candidate with the most confident side.
    (Averaging the candidates' probabilities instead was measured out of fold on the dev train
    articles: 0.495 against 0.512 end to end; not better.)"""
    if scored.empty:
        return pd.DataFrame(columns=schema.STANCE_STORE_COLUMNS)
    df = scored.copy()
    df["side"] = df[["p_against", "p_favor"]].max(axis=1)
    df = df.sort_values(["side", "evidence_kind"], ascending=[False, True], kind="stable")
    df = df.drop_duplicates(["article_id", "paragraph_index", "actor", "topic"])
    probs = df[["p_against", "p_neutral", "p_favor"]].to_numpy()
    idx = probs.argmax(1)
    # a side needs MIN_CONFIDENCE_SIDE; otherwise the row is neutral
    side_ok = probs.max(1) >= MIN_CONFIDENCE_SIDE
    idx = np.where((idx != 1) & ~side_ok, 1, idx)
    df["stance"] = [STANCE_LABELS[i] for i in idx]
    df["confidence"] = probs[np.arange(len(df)), idx].round(4)
    df["source_file"] = df["article_id"].map(source_files).fillna("")
    df = df.sort_values(["article_id", "paragraph_index", "actor", "topic"], kind="stable")
    return df[schema.STANCE_STORE_COLUMNS].reset_index(drop=True)


def stances_from_tables(tables: dict, model: StanceModel, topic_model, nlp=None, docs: dict | None = None,
                        per_paragraph_calls: bool = False) -> pd.DataFrame:
    cands = find_candidates(tables, topic_model, nlp, docs)
    paras = tables["paragraphs"]
    files = dict(zip(paras["article_id"], paras["source_file"])) if "source_file" in paras else {}
    return pick_rows(score_candidates(cands, model, topic_model, per_paragraph_calls), files)


def _engine_nlp(engine):
    try:
        return engine.nlp
    except Exception:  # noqa: BLE001 - no parser: the word-order fallback in find_candidates
        return None


def stance_table(articles, tables: dict, engine, docs: dict | None = None) -> pd.DataFrame:
    """The stances table of a batch (schema.STANCE_STORE_COLUMNS). `docs`: the paragraphs'
    parses, by (article id, paragraph index), to reuse instead of parsing sentences again."""
    if not engine.topics.topics or tables["paragraphs"].empty:
        return pd.DataFrame(columns=schema.STANCE_STORE_COLUMNS)
    return stances_from_tables(tables, engine.stance, engine.topics, _engine_nlp(engine), docs,
                               per_paragraph_calls=engine.per_paragraph_calls)


# ---- re-assigning topics without re-encoding ---------------------------------------------------

def reassign_store_topics(store, engine, topics=None, version: str | None = None) -> list[str]:
    """Recompute topics and stances of every stored article from its stored embeddings (no
    encoder pass over the paragraphs; the stance model reads only candidate evidence), and write
    them back as a new store segment. `topics`: a list of dashboard.topics.Topic (default: the
    engine's topics file). Articles stored under another encoder (model key) are left alone.
    Returns the ids rewritten."""
    from .store import TABLE_COLUMNS
    from .topics import TopicModel, assign_topics

    topic_model = engine.topics if topics is None else TopicModel(engine.encoder, list(topics))
    manifest = store.manifest()
    if not manifest["articles"]:
        return []
    tables = {name: store.read_table(name, columns=TABLE_COLUMNS[name], manifest=manifest)
              for name in schema.TABLES if name != "stances"}
    paras = tables["paragraphs"]
    # every paragraph of an article must carry the engine's model key (the same encoder's embeddings)
    bad = set(paras.loc[paras["model_key"] != engine.model_key, "article_id"])
    ok = set(paras["article_id"]) - bad
    if not ok:
        return []
    tables = {k: v[v["article_id"].isin(ok)].reset_index(drop=True) for k, v in tables.items()}
    assign_topics(tables, topic_model)
    tables["stances"] = (stances_from_tables(tables, engine.stance, topic_model, _engine_nlp(engine))
                         if topic_model.topics else pd.DataFrame(columns=schema.STANCE_STORE_COLUMNS))
    tables["articles"] = tables["articles"].assign(version=version or engine.version)
    return store.write(tables, replace=True)


# ---- aggregation (pure pandas) -------------------------------------------------------------------

SIGN = {"favor": 1.0, "against": -1.0, "neutral": 0.0}
NET_THRESHOLD = 0.2  # |net| below this is "mixed" (when both sides appear) or "neutral"


def _signed(stances: pd.DataFrame) -> pd.DataFrame:
    df = stances.copy()
    df["score"] = df["stance"].map(SIGN).fillna(0.0) * df["confidence"].astype(float)
    for lab in STANCE_LABELS:
        df[lab] = (df["stance"] == lab).astype(int)
    return df


def _label(net: float, favor: int, against: int) -> str:
    if net >= NET_THRESHOLD:
        return "favor"
    if net <= -NET_THRESHOLD:
        return "against"
    return "mixed" if favor and against else "neutral"


def _summarise(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    cols = keys + ["n", "favor", "against", "neutral", "net", "stance", "evidence", "confidence"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df = _signed(df)
    g = df.groupby(keys, sort=True)
    out = g.agg(n=("stance", "size"), favor=("favor", "sum"), against=("against", "sum"),
                neutral=("neutral", "sum"), net=("score", "sum")).reset_index()
    # net: mean signed confidence over the rows that take a side (neutral rows do not dilute it)
    out["net"] = (out["net"] / (out["favor"] + out["against"]).clip(lower=1)).round(4)
    out["stance"] = [_label(n, f, a) for n, f, a in zip(out["net"], out["favor"], out["against"])]
    # the evidence shown: the most confident row that agrees with the aggregate (else the most confident)
    df = df.merge(out[keys + ["stance"]].rename(columns={"stance": "_agg"}), on=keys)
    df["_agrees"] = (df["stance"] == df["_agg"]).astype(int)
    best = df.sort_values(["_agrees", "confidence"], ascending=False, kind="stable").drop_duplicates(keys)
    out = out.merge(best[keys + ["evidence", "confidence"]], on=keys, how="left")
    return out[cols]


def aggregate_stances(stances: pd.DataFrame, articles: pd.DataFrame | None = None, *,
                      level: str = "article") -> pd.DataFrame:
    """Stance per (article, actor, topic) (level="article") or per (actor, topic) over the corpus
    (level="corpus"): counts per label, net = mean signed confidence of the rows that take a side
    (favor +, against -; in [-1, 1]; 0 when none does), the resulting
    stance (favor / against / mixed / neutral) and the evidence that best supports it. Corpus
    level also gives the number of articles and the dates of the first and last."""
    if level == "article":
        out = _summarise(stances, ["article_id", "actor", "topic"])
        if articles is not None and not out.empty:
            out = out.merge(articles[["article_id", "title", "date"]], on="article_id", how="left")
        return out
    if level != "corpus":
        raise ValueError("level is 'article' or 'corpus'")
    out = _summarise(stances, ["actor", "topic"])
    if out.empty:
        return out.assign(articles=pd.Series(dtype=int))
    arts = stances.groupby(["actor", "topic"])["article_id"].nunique().rename("articles").reset_index()
    out = out.merge(arts, on=["actor", "topic"])
    if articles is not None:
        dated = stances.merge(articles[["article_id", "date"]], on="article_id", how="left")
        span = dated.groupby(["actor", "topic"])["date"].agg(first_date="min", last_date="max").reset_index()
        out = out.merge(span, on=["actor", "topic"], how="left")
    return out.sort_values(["actor", "topic"]).reset_index(drop=True)


def stance_matrix(stances: pd.DataFrame) -> pd.DataFrame:
    """Actors x topics of the corpus net stance (NaN where an actor never spoke on a topic)."""
    agg = aggregate_stances(stances, level="corpus")
    if agg.empty:
        return pd.DataFrame()
    return agg.pivot(index="actor", columns="topic", values="net")


def stance_timeline(stances: pd.DataFrame, articles: pd.DataFrame, freq: str = "M") -> pd.DataFrame:
    """Net stance per (period, actor, topic) over the articles' dates, with the change from the
    actor's previous period on that topic. freq: a pandas period alias (D, W, M, Q, Y).
    Undated articles are left out."""
    cols = ["period", "actor", "topic", "n", "favor", "against", "neutral", "net", "stance", "change"]
    if stances.empty:
        return pd.DataFrame(columns=cols)
    df = stances.merge(articles[["article_id", "date"]], on="article_id", how="left")
    df["date"] = pd.to_datetime(df["date"], errors="coerce")
    df = df.dropna(subset=["date"])
    if df.empty:
        return pd.DataFrame(columns=cols)
    df["period"] = df["date"].dt.to_period(freq).astype(str)
    out = _summarise(df, ["period", "actor", "topic"])
    out = out.sort_values(["actor", "topic", "period"]).reset_index(drop=True)
    out["change"] = out.groupby(["actor", "topic"])["net"].diff().round(4)
    return out[cols]
