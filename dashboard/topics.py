"""Topics: a topics file (name + one-sentence description, optional keywords), assigned by
embedding similarity between the shared pass's sentence/paragraph embeddings and each topic's
embedding.

Requires: the paragraphs table (with `embedding`) and the sentences table (with `embedding`).
Produces: paragraphs.topics (list of names), paragraphs.topic_scores (JSON name -> score),
quotes.topics (list of names).

A topic's similarity to a text is the best cosine over the topic's texts (name, description,
"name: description", "name: keywords"). A paragraph's score for a topic mixes its own evidence
(the mean of its two best sentences) with its article's (the mean paragraph embedding), so a
short paragraph or a heading inherits its article's subject. The rule is generic, calibrated
once on the dev train articles (never per topic), so it applies to topic lists nobody has seen:

    assign t  iff  score(t) >= THRESHOLD  and  (score(t) >= best_score - MARGIN
                                                 or vote(t) >= SECONDARY)

where vote(t) is the best similarity of a sentence of the paragraph whose own best topic is t
(each sentence votes for one topic).

Changing the topic list only needs the stored embeddings (see `dashboard.stance.reassign_store_topics`).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

# Calibrated on the dev train articles with `python -m dashboard.eval_stance --calibrate`
# (grid search of THRESHOLD, MARGIN, SECONDARY, ARTICLE_WEIGHT and LEXICAL for micro-F1 over paragraph x topic; see models/MODEL_CARD.md).
THRESHOLD = 0.10  # below this nothing is assigned (a paragraph may have no topic)
MARGIN = 0.0  # topics this close to the best are assigned too
SECONDARY = 0.5  # a further topic that a sentence is mainly about, with this similarity, is assigned too
LEXICAL = 0.2  # a topic whose name (or keywords) the paragraph spells out needs only this score (9: off)
SENTENCE_MARGIN = 0.05  # a candidate sentence keeps its paragraph's topics this close to its best
ARTICLE_WEIGHT = 0.5  # weight of the article embedding against the paragraph's own sentences


@dataclass(frozen=True)
class Topic:
    name: str
    description: str
    keywords: tuple[str, ...] = ()

    @property
    def texts(self) -> list[str]:
        """What is embedded for the topic: the description sentence, and name + keywords."""
        out = [self.name]
        if self.description:
            out += [self.description, f"{self.name}: {self.description}"]
        if self.keywords:
            out.append(f"{self.name}: {', '.join(self.keywords)}")
        return out


_STOP = frozenset("a an and the of for in on to with by from or at as its their new".split())
_WORD_RE = re.compile(r"[a-z][a-z'-]*")


def _stem(word: str) -> str:
    """A crude prefix stem: 'sanctions' -> 'sanctio', 'tariffs' -> 'tarif', 'talks' -> 'talk'."""
    return word[:max(4, len(word) - 2)] if len(word) > 4 else word


def name_terms(topic: "Topic") -> list[tuple[str, ...]]:
    """The term groups a paragraph can spell a topic out with: the content words of its name
    (all of them for a name of up to two words, else at least half), and each keyword."""
    words = [w for w in _WORD_RE.findall(topic.name.lower()) if w not in _STOP and len(w) >= 2]
    groups = []
    if words:
        groups.append(tuple(_stem(w) for w in words))
    for kw in topic.keywords:
        kws = [w for w in _WORD_RE.findall(kw.lower()) if w not in _STOP]
        if kws:
            groups.append(tuple(_stem(w) for w in kws))
    return groups


def spells_out(text_words: list[str], group: tuple[str, ...], first: bool) -> bool:
    need = len(group) if (not first or len(group) <= 2) else (len(group) + 1) // 2
    hits = sum(any(w.startswith(stem) for w in text_words) for stem in group)
    return hits >= need


class TopicsFileError(ValueError):
    pass


def load_topics(path: str | Path) -> list[Topic]:
    import yaml

    path = Path(path)
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        raise TopicsFileError(f"the topics file {path.name} is not valid YAML: {exc}") from None
    return parse_topics(data, source=path.name)


def parse_topics(data, source: str = "topics") -> list[Topic]:
    """A list of {name, description, keywords?} mappings to Topics, with clear errors."""
    if not isinstance(data, list):
        raise TopicsFileError(f"{source}: expected a list of topics (each with a name and a description)")
    out, seen = [], set()
    for i, d in enumerate(data):
        if not isinstance(d, dict) or not str(d.get("name", "")).strip():
            raise TopicsFileError(f"{source}: topic {i + 1} has no name")
        name = str(d["name"]).strip()
        if name in seen:
            raise TopicsFileError(f"{source}: topic {name!r} appears twice")
        seen.add(name)
        kws = d.get("keywords") or []
        if isinstance(kws, str):
            kws = [k.strip() for k in kws.split(",") if k.strip()]
        out.append(Topic(name, str(d.get("description", "") or "").strip(), tuple(str(k) for k in kws)))
    return out


class TopicModel:
    """Topic embeddings (computed once) and the assignment rule."""

    def __init__(self, encoder, topics: list[Topic], threshold: float = THRESHOLD, margin: float = MARGIN):
        self.encoder = encoder
        self.topics = list(topics)
        self.names = [t.name for t in self.topics]
        self.threshold = threshold
        self.margin = margin
        self._emb: list[np.ndarray] | None = None
        self._terms: list | None = None

    @property
    def embeddings(self) -> list[np.ndarray]:
        """Per topic, an array (k, dim) of normalised embeddings of its texts."""
        if self._emb is None:
            texts = [t for topic in self.topics for t in topic.texts]
            emb = self.encoder.embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)
            out, k = [], 0
            for topic in self.topics:
                n = len(topic.texts)
                out.append(emb[k:k + n])
                k += n
            self._emb = out
        return self._emb

    def similarity(self, emb: np.ndarray) -> np.ndarray:
        """Cosine of each row of `emb` (n, dim) with each topic (best over its texts): (n, topics)."""
        emb = np.asarray(emb, dtype=np.float32).reshape(-1, emb.shape[-1] if len(emb) else 1)
        if not self.topics or len(emb) == 0:
            return np.zeros((len(emb), len(self.topics)), dtype=np.float32)
        return np.stack([(emb @ te.T).max(1) for te in self.embeddings], axis=1)

    def local_scores(self, sent_emb: np.ndarray, para_emb: np.ndarray | None = None) -> np.ndarray:
        """(topics,) a paragraph's own evidence: the mean of its two best sentences per topic."""
        if sent_emb is None or len(sent_emb) == 0:
            return self.similarity(np.asarray(para_emb).reshape(1, -1))[0]
        sims = np.sort(self.similarity(np.asarray(sent_emb)), axis=0)
        return sims[-2:].mean(0)

    def sentence_votes(self, sent_emb, para_emb) -> np.ndarray:
        """(topics,): for each topic, the best similarity among the sentences whose best topic it
        is (0 where no sentence is mainly about it)."""
        emb = sent_emb if sent_emb is not None and len(sent_emb) else np.asarray(para_emb).reshape(1, -1)
        sims = self.similarity(np.asarray(emb))
        votes = np.zeros(len(self.topics), dtype=np.float32)
        for row in sims:
            j = int(row.argmax())
            votes[j] = max(votes[j], row[j])
        return votes

    def article_scores(self, para_embs: list, sent_embs: list) -> tuple[np.ndarray, np.ndarray]:
        """For the paragraphs of one article: (scores, sentence votes) arrays (paragraphs, topics)."""
        n = len(para_embs)
        if n == 0 or not self.topics:
            z = np.zeros((n, len(self.topics)), dtype=np.float32)
            return z, z
        P = np.stack([np.asarray(p, dtype=np.float32) for p in para_embs])
        art = P.mean(0)
        art = art / (np.linalg.norm(art) + 1e-9)
        a = self.similarity(art[None, :])[0]
        local = np.stack([self.local_scores(s, p) for s, p in zip(sent_embs, para_embs)])
        votes = np.stack([self.sentence_votes(s, p) for s, p in zip(sent_embs, para_embs)])
        return ARTICLE_WEIGHT * a[None, :] + (1 - ARTICLE_WEIGHT) * local, votes

    def lexical(self, text: str) -> np.ndarray:
        """(topics,) bool: does the text spell the topic out (its name's words, or a keyword)?"""
        if self._terms is None:
            self._terms = [name_terms(t) for t in self.topics]
        words = _WORD_RE.findall(str(text).lower())
        return np.array([any(spells_out(words, g, k == 0) for k, g in enumerate(groups)) for groups in self._terms],
                        dtype=bool)

    def select(self, scores: np.ndarray, local: np.ndarray | None = None, *, threshold: float | None = None,
               margin: float | None = None, secondary: float | None = None, lexical: np.ndarray | None = None,
               lexical_min: float | None = None) -> list[str]:
        threshold = self.threshold if threshold is None else threshold
        margin = self.margin if margin is None else margin
        secondary = SECONDARY if secondary is None else secondary
        lexical_min = LEXICAL if lexical_min is None else lexical_min
        if len(scores) == 0:
            return []
        local = scores if local is None else local
        lex = np.zeros(len(scores), dtype=bool) if lexical is None else lexical
        best = float(np.max(scores))
        order = np.argsort(-scores, kind="stable")
        return [self.names[i] for i in order
                if scores[i] >= threshold and (scores[i] >= best - margin or local[i] >= secondary
                                               or (lex[i] and scores[i] >= lexical_min))]


def _sentence_groups(sentences: pd.DataFrame) -> dict[tuple, tuple[list[int], np.ndarray]]:
    out = {}
    if sentences is None or sentences.empty:
        return out
    for key, g in sentences.sort_values(["article_id", "paragraph_index", "sentence_index"]).groupby(
            ["article_id", "paragraph_index"], sort=False):
        out[key] = (list(g["sentence_index"]), np.stack(g["embedding"].to_numpy()).astype(np.float32))
    return out


def paragraph_topic_scores(tables: dict, model: TopicModel) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per paragraph row (in table order): its (topics,) scores and its own (local) evidence."""
    paras = tables["paragraphs"]
    groups = _sentence_groups(tables.get("sentences"))
    scores: list = [None] * len(paras)
    local: list = [None] * len(paras)
    pos = {k: i for i, k in enumerate(zip(paras["article_id"], paras["paragraph_index"]))}
    for aid, g in paras.groupby("article_id", sort=False):
        keys = list(zip(g["article_id"], g["paragraph_index"]))
        pe = [np.asarray(e, dtype=np.float32) for e in g["embedding"]]
        se = [groups.get(k, ([], None))[1] for k in keys]
        s, loc = model.article_scores(pe, se)
        for k, si, li in zip(keys, s, loc):
            scores[pos[k]], local[pos[k]] = si, li
    return scores, local


def assign_topics(tables: dict, model: TopicModel) -> None:
    """Fills the topics columns of paragraphs and quotes in place.

    quotes.topics: the paragraph's topics that the quote's sentence scores within MARGIN of its
    best (so a quote about one of two topics of its paragraph gets that one), else all of them.
    """
    paras = tables["paragraphs"]
    if paras.empty:
        return
    scores, local = paragraph_topic_scores(tables, model)
    topics = [model.select(s, loc, lexical=model.lexical(text))
              for s, loc, text in zip(scores, local, paras["text"])]
    paras["topics"] = topics
    paras["topic_scores"] = [json.dumps({n: round(float(v), 4) for n, v in zip(model.names, s)}) for s in scores]
    quotes = tables.get("quotes")
    if quotes is None or quotes.empty:
        return
    by_para = {(a, p): t for a, p, t in zip(paras["article_id"], paras["paragraph_index"], topics)}
    groups = _sentence_groups(tables.get("sentences"))
    qtopics = []
    for aid, pi, si in quotes[["article_id", "paragraph_index", "sentence_index"]].itertuples(index=False):
        ptop = by_para.get((aid, pi), [])
        qtopics.append(sentence_topics(model, groups.get((aid, pi)), si, ptop))
    quotes["topics"] = qtopics


def sentence_topics(model: TopicModel, group, sentence_index, paragraph_topics: list[str]) -> list[str]:
    """The paragraph's topics that one of its sentences is about (all of them when unsure)."""
    if len(paragraph_topics) <= 1 or group is None:
        return list(paragraph_topics)
    idx, emb = group
    if sentence_index not in idx:
        return list(paragraph_topics)
    sims = model.similarity(emb[idx.index(sentence_index)][None, :])[0]
    cand = {n: float(sims[model.names.index(n)]) for n in paragraph_topics}
    best = max(cand.values())
    return [n for n in paragraph_topics if cand[n] >= best - SENTENCE_MARGIN] or list(paragraph_topics)
