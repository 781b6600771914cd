"""Topics: a topics file (name + one-sentence description, optional keywords), assigned by
embedding similarity between the shared pass's sentence/paragraph embeddings and each topic's
embedding.

Requires: the paragraphs table (with `embedding`) and the sentences table (with `embedding`).
Produces: paragraphs.topics (list of names), paragraphs.topic_scores (JSON name -> score),
quotes.topics (list of names).

A topic's similarity to a text is the best cosine over the topic's texts (name, description,
"name: description", "name: keywords"). Per (paragraph, topic), topic-agnostic features of
those similarities (FEATURES: the paragraph's, its sentences' and its article's similarity,
ranks and gaps among the topics, how the paragraph stands against its article, the
spelled-out-name cue) go through a learned combiner (a logistic regression trained on the dev
train articles, `python -m models.train topics`, models/weights/topics.json): a topic is
assigned at probability >= tau, and the best topic also when its mixed similarity reaches
THRESHOLD. No feature names a topic, so it applies to topic lists nobody has seen.

Without the combiner file, the calibrated rule (calibrated once on the dev train articles,
never per topic):

    assign t  iff  score(t) >= THRESHOLD  and  (score(t) >= best_score - MARGIN
                                                 or vote(t) >= SECONDARY)

where score mixes the article's embedding with the paragraph's own evidence (the mean of its
two best sentences) and vote(t) is the best similarity of a sentence of the paragraph whose own
best topic is t (each sentence votes for one topic).

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


# What the learned combiner reads per (paragraph, topic); computed by TopicModel.article_features.
FEATURES = ("article", "local", "best_sentence", "paragraph", "vote", "combined", "combined_gap", "local_gap",
            "combined_rank", "local_rank", "local_vs_article", "local_vs_topics", "spelled_out", "article_rank",
            "article_gap", "sentence_share", "log_sentences", "article_max_local", "is_best")
DEFAULT_COMBINER = Path(__file__).resolve().parent.parent / "models" / "weights" / "topics.json"


# Similarity levels (normalised per article when the combiner asks for it) and differences of
# similarities (divided by the article's spread of `local`): a topic list whose texts sit closer to
# the articles (specific names, keywords) raises every cosine, not the order within an article.
LEVEL_FEATURES = ("article", "local", "best_sentence", "paragraph", "vote", "combined", "article_max_local")
DIFF_FEATURES = ("combined_gap", "local_gap", "local_vs_article", "local_vs_topics", "article_gap")


def normalise_article(feats: np.ndarray) -> np.ndarray:
    """(paragraphs, topics, FEATURES) of ONE article with its similarity levels standardised over
    the article's (paragraph, topic) cells and its similarity differences divided by the spread of
    `local`; ranks, counts and cues unchanged."""
    out = np.array(feats, dtype=np.float32, copy=True)
    if out.size == 0:
        return out
    spread = float(out[..., FEATURES.index("local")].std()) + 1e-6
    for name in LEVEL_FEATURES:
        k = FEATURES.index(name)
        out[..., k] = (out[..., k] - out[..., k].mean()) / (out[..., k].std() + 1e-6)
    for name in DIFF_FEATURES:
        k = FEATURES.index(name)
        out[..., k] = out[..., k] / spread
    return out


def poly2(z: np.ndarray) -> np.ndarray:
    """(..., F) -> (..., F + F(F+1)/2): the features, then every product z_i z_j with i <= j
    (the order of scikit-learn's PolynomialFeatures(2, include_bias=False))."""
    i, j = np.triu_indices(z.shape[-1])
    return np.concatenate([z, z[..., i] * z[..., j]], axis=-1)


def regression_inputs(x: np.ndarray, mean, scale, mean2=None, scale2=None) -> np.ndarray:
    """Standardised features; with `mean2` / `scale2` (degree 2) their pairwise products too,
    standardised again. The one transform the trainer fits and the pipeline applies."""
    z = (x - mean) / scale
    return z if mean2 is None else (poly2(z) - mean2) / scale2


@dataclass(frozen=True)
class Combiner:
    """A logistic regression over FEATURES (trained by `python -m models.train topics`): a
    topic is assigned when its probability reaches `tau`, and the best-scoring topic also when
    its combined similarity reaches `guard` (a paragraph about something keeps one topic).
    `normalise`: the features are first normalised per article (normalise_article); `degree` 2:
    the standardised features and their pairwise products (poly2), standardised again
    (`mean2`, `scale2`), feed the regression."""
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    tau: float
    guard: float
    meta: dict
    normalise: bool = False
    degree: int = 1
    mean2: np.ndarray | None = None
    scale2: np.ndarray | None = None

    @classmethod
    def load(cls, path: str | Path) -> "Combiner | None":
        path = Path(path)
        if not path.exists():
            return None
        d = json.loads(path.read_text(encoding="utf-8"))
        if tuple(d["features"]) != FEATURES:
            raise ValueError(f"{path.name} was trained on other features; retrain with `python -m models.train topics`")
        arr = lambda key: None if d.get(key) is None else np.asarray(d[key], dtype=np.float32)  # noqa: E731
        comb = cls(arr("mean"), arr("scale"), arr("coef"), float(d["intercept"]), float(d["tau"]), float(d["guard"]),
                   dict(d.get("meta", {})), bool(d.get("normalise", False)), int(d.get("degree", 1)),
                   arr("mean2"), arr("scale2"))
        width = len(FEATURES) if comb.degree == 1 else poly2(np.zeros((1, len(FEATURES)))).shape[-1]
        if comb.degree not in (1, 2) or len(comb.coef) != width or (comb.degree == 2 and comb.mean2 is None):
            raise ValueError(f"{path.name} is inconsistent (degree {comb.degree}, {len(comb.coef)} weights); "
                             "retrain with `python -m models.train topics`")
        return comb

    def inputs(self, feats: np.ndarray) -> np.ndarray:
        """The regression's inputs for the features of one article (paragraphs, topics, FEATURES)."""
        x = normalise_article(feats) if self.normalise else np.asarray(feats, dtype=np.float32)
        second = (self.mean2, self.scale2) if self.degree == 2 else (None, None)
        return regression_inputs(x, self.mean, self.scale, *second)

    def probability(self, feats: np.ndarray) -> np.ndarray:
        """(paragraphs, topics) probabilities for the features of ONE article (normalisation is
        per article)."""
        z = self.inputs(feats) @ self.coef + self.intercept
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


def combiner_choice(probs: np.ndarray, feats: np.ndarray, tau: float, guard: float) -> np.ndarray:
    """The combiner's decision per (paragraph, topic): probability >= tau, or the paragraph's best
    topic with its combined similarity >= guard."""
    best = (feats[..., FEATURES.index("is_best")] == 1) & (feats[..., FEATURES.index("combined")] >= guard)
    return (probs >= tau) | best


def _two_best(sims: np.ndarray) -> np.ndarray:
    """(topics,) the mean of the two best rows of a (sentences, topics) similarity matrix."""
    return np.sort(sims, axis=0)[-2:].mean(0)


def _votes(sims: np.ndarray) -> np.ndarray:
    """(topics,) from a (sentences, topics) similarity matrix: for each topic, the best similarity
    among the sentences whose best topic it is (0 where none is)."""
    votes = np.zeros(sims.shape[1], dtype=np.float32)
    for row in sims:
        j = int(row.argmax())
        votes[j] = max(votes[j], row[j])
    return votes


class TopicModel:
    """Topic embeddings (computed once) and the assignment: the learned combiner, else the rule."""

    def __init__(self, encoder, topics: list[Topic], threshold: float = THRESHOLD, margin: float = MARGIN,
                 combiner: "Combiner | None | str" = "default"):
        self.encoder = encoder
        self.combiner = Combiner.load(DEFAULT_COMBINER) if combiner == "default" else combiner
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
        return _two_best(self.similarity(np.asarray(sent_emb)))

    def sentence_votes(self, sent_emb, para_emb) -> np.ndarray:
        """(topics,): for each topic, the best similarity among the sentences whose best topic it
        is (0 where no sentence is mainly about it)."""
        emb = sent_emb if sent_emb is not None and len(sent_emb) else np.asarray(para_emb).reshape(1, -1)
        return _votes(self.similarity(np.asarray(emb)))

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

    def article_features(self, para_embs: list, sent_embs: list, texts: list[str]) -> np.ndarray:
        """(paragraphs, topics, len(FEATURES)): what the learned combiner reads for each
        (paragraph, topic) of one article. Every feature is topic-agnostic (similarities, ranks,
        gaps, how the paragraph stands against its article), so it applies to any topic list."""
        n, k = len(para_embs), len(self.topics)
        if n == 0 or k == 0:
            return np.zeros((n, k, len(FEATURES)), dtype=np.float32)
        P = np.stack([np.asarray(p, dtype=np.float32) for p in para_embs])
        art = P.mean(0)
        art = art / (np.linalg.norm(art) + 1e-9)
        a = self.similarity(art[None, :])[0]
        psim = self.similarity(P)
        sims = [self.similarity(np.asarray(s)) if s is not None and len(s) else psim[i:i + 1]
                for i, s in enumerate(sent_embs)]
        local = np.stack([_two_best(s) for s in sims])
        loc_mean, loc_max = local.mean(0), local.max(0)
        a_rank = np.minimum((-a).argsort(kind="stable").argsort(), 5)
        out = np.zeros((n, k, len(FEATURES)), dtype=np.float32)
        for i, (s, loc) in enumerate(zip(sims, local)):
            comb = 0.5 * a + 0.5 * loc  # the rule's mix at ARTICLE_WEIGHT 0.5, fixed for the trained combiner
            votes = _votes(s)
            c_rank = (-comb).argsort(kind="stable").argsort()
            l_rank = (-loc).argsort(kind="stable").argsort()
            out[i] = np.stack([
                a, loc, s.max(0), psim[i], votes, comb, comb - comb.max(), loc - loc.max(),
                np.minimum(c_rank, 5), np.minimum(l_rank, 5), loc - loc_mean, loc - loc.mean(),
                self.lexical(texts[i]).astype(np.float32), a_rank, a - a.max(),
                np.bincount(s.argmax(1), minlength=k) / len(s), np.full(k, np.log(len(s))), loc_max,
                (c_rank == 0).astype(np.float32)], axis=1)
        return out

    def assign_article(self, para_embs: list, sent_embs: list, texts: list[str]) -> tuple[list[list[str]], np.ndarray]:
        """Topics of each paragraph of one article and its (paragraphs, topics) scores: with the
        learned combiner (when loaded) its probabilities, else the rule's similarity scores."""
        n = len(para_embs)
        if n == 0 or not self.topics:
            return [[] for _ in range(n)], np.zeros((n, len(self.topics)), dtype=np.float32)
        if self.combiner is None:
            scores, votes = self.article_scores(para_embs, sent_embs)
            return [self.select(s, v, lexical=self.lexical(t)) for s, v, t in zip(scores, votes, texts)], scores
        feats = self.article_features(para_embs, sent_embs, texts)
        probs = self.combiner.probability(feats)
        chosen = combiner_choice(probs, feats, self.combiner.tau, self.combiner.guard)
        return [[self.names[j] for j in np.argsort(-p, kind="stable") if c[j]] for p, c in zip(probs, chosen)], probs

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


def paragraph_topics(tables: dict, model: TopicModel) -> tuple[list[list[str]], list[np.ndarray]]:
    """Per paragraph row (in table order): its topics and its (topics,) scores."""
    paras = tables["paragraphs"]
    groups = _sentence_groups(tables.get("sentences"))
    topics: list = [None] * len(paras)
    scores: list = [None] * len(paras)
    pos = {k: i for i, k in enumerate(zip(paras["article_id"], paras["paragraph_index"]))}
    for aid, g in paras.groupby("article_id", sort=False):
        keys = list(zip(g["article_id"], g["paragraph_index"]))
        pe = [np.asarray(e, dtype=np.float32) for e in g["embedding"]]
        se = [groups.get(k, ([], None))[1] for k in keys]
        t, s = model.assign_article(pe, se, list(g["text"]))
        for k, ti, si in zip(keys, t, s):
            topics[pos[k]], scores[pos[k]] = ti, si
    return topics, scores


def assign_topics(tables: dict, model: TopicModel) -> None:
    """Fills the topics columns of paragraphs and quotes in place.

    quotes.topics: the paragraph's topics that the quote's sentences score within SENTENCE_MARGIN
    of their best (so a quote about one of two topics of its paragraph gets that one).
    """
    paras = tables["paragraphs"]
    if paras.empty:
        return
    topics, scores = paragraph_topics(tables, model)
    paras["topics"] = topics
    paras["topic_scores"] = [json.dumps({n: round(float(v), 4) for n, v in zip(model.names, s)}) for s in scores]
    quotes = tables.get("quotes")
    if quotes is None or quotes.empty:
        return
    by_para = {(a, p): t for a, p, t in zip(paras["article_id"], paras["paragraph_index"], topics)}
    groups = _sentence_groups(tables.get("sentences"))
    spanned = quote_sentences(tables.get("sentences"))
    cols = ["article_id", "paragraph_index", "sentence_index", "start", "end"]
    qtopics = []
    for aid, pi, si, st, en in (quotes[cols] if {"start", "end"} <= set(quotes) else
                                quotes[cols[:3]].assign(start=None, end=None)).itertuples(index=False):
        ptop = by_para.get((aid, pi), [])
        qtopics.append(sentence_topics(model, groups.get((aid, pi)), spanned(aid, pi, si, st, en), ptop))
    quotes["topics"] = qtopics


def sentence_topics(model: TopicModel, group, sentence_index, paragraph_topics: list[str]) -> list[str]:
    """The paragraph's topics that one of its sentences is about (all of them when unsure).
    `sentence_index` may be a list: a quote spanning several sentences is about a topic when
    one of its sentences is (the best similarity over them)."""
    if len(paragraph_topics) <= 1 or group is None:
        return list(paragraph_topics)
    idx, emb = group
    wanted = [i for i in (sentence_index if isinstance(sentence_index, (list, tuple)) else [sentence_index])
              if i in idx]
    if not wanted:
        return list(paragraph_topics)
    sims = model.similarity(emb[[idx.index(i) for i in wanted]]).max(0)
    cand = {n: float(sims[model.names.index(n)]) for n in paragraph_topics}
    best = max(cand.values())
    return [n for n in paragraph_topics if cand[n] >= best - SENTENCE_MARGIN] or list(paragraph_topics)


def quote_sentences(sentences: pd.DataFrame | None) -> "callable":
    """(article id, paragraph index, sentence index, quote start, quote end) -> the indices of
    the paragraph's sentences the quote overlaps (its own sentence when offsets are missing)."""
    spans: dict[tuple, list[tuple[int, int, int]]] = {}
    if sentences is not None and not sentences.empty:
        for a, p, si, st, en in sentences[["article_id", "paragraph_index", "sentence_index", "start", "end"]] \
                .itertuples(index=False):
            spans.setdefault((a, p), []).append((int(si), int(st), int(en)))

    def spanned(aid, pi, si, start, end) -> list[int]:
        try:
            start, end = int(start), int(end)
        except (TypeError, ValueError):
            return [int(si)]
        hit = [i for i, st, en in spans.get((aid, pi), []) if st < end and start < en]
        return hit or [int(si)]
    return spanned
