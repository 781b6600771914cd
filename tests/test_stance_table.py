"""Stance candidates (who meets which topic where), the one-row-per-pair rule, and the pure
pandas aggregations. Candidate tests parse with the real spaCy pipeline."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard import schema
from dashboard.stance import (aggregate_stances, find_candidates, pick_rows, stance_matrix,
                              stance_timeline)
from dashboard.topics import Topic


class _FlatTopics:
    """A topic model whose every sentence is about every paragraph topic (no encoder needed)."""

    def __init__(self, names):
        self.topics = [Topic(n, "") for n in names]
        self.names = list(names)

    def similarity(self, emb):
        return np.ones((len(emb), len(self.names)), dtype=np.float32)


@pytest.fixture(scope="module")
def nlp(engine_factory, tmp_path_factory):
    return engine_factory(tmp_path_factory.mktemp("stance_nlp")).nlp


def _tables(sentences: list[str], mentions: list[tuple[str, str, str, int]], quotes=(), topics=("Tariffs",)):
    """One paragraph made of `sentences`; mentions: (actor, type, surface, sentence_index)."""
    text = " ".join(sentences)
    rows, start = [], 0
    for i, s in enumerate(sentences):
        rows.append({"article_id": "a", "paragraph_index": 0, "sentence_index": i, "start": start,
                     "end": start + len(s), "text": s, "embedding": np.ones(4, dtype=np.float32)})
        start += len(s) + 1
    ment = []
    for actor, kind, surface, si in mentions:
        s0 = rows[si]["start"]
        off = text.index(surface, s0)
        ment.append({"article_id": "a", "paragraph_index": 0, "sentence_index": si, "actor": actor,
                     "actor_type": kind, "start": off, "end": off + len(surface)})
    q = pd.DataFrame([{"article_id": "a", "paragraph_index": 0, "sentence_index": si, "speaker": sp, "quote": qt}
                      for sp, qt, si in quotes], columns=["article_id", "paragraph_index", "sentence_index",
                                                          "speaker", "quote"])
    paras = pd.DataFrame([{"article_id": "a", "paragraph_index": 0, "source_file": "a.txt", "text": text,
                           "topics": list(topics)}])
    return {"paragraphs": paras, "sentences": pd.DataFrame(rows), "mentions": pd.DataFrame(ment), "quotes": q}


def test_stance_candidates_subjects_quotes_and_nothing(nlp):
    tables = _tables(
        ["Trade Minister Lena Ost ruled out new tariffs on steel.",
         "Karl Brenn arrived in the capital on Monday.",
         "He said he would never accept the duties.",
         "“We will fight these tariffs in every court,” Brenn said."],
        [("Lena Ost", "person", "Lena Ost", 0), ("Karl Brenn", "person", "Karl Brenn", 1),
         ("Karl Brenn", "person", "Brenn", 3)],
        quotes=[("Karl Brenn", "We will fight these tariffs in every court", 3)])
    got = sorted((c.actor, c.sentence_index, c.kind, c.evidence.split()[0], c.topics) for c in
                 find_candidates(tables, _FlatTopics(["Tariffs"]), nlp))
    assert got == [
        ("Karl Brenn", 2, "sentence", "He", ("Tariffs",)),  # pronoun -> the last person named before
        ("Karl Brenn", 3, "quote", "We", ("Tariffs",)),
        ("Karl Brenn", 3, "sentence", "“We", ("Tariffs",)),
        ("Lena Ost", 0, "sentence", "Trade", ("Tariffs",)),
    ]  # "arrived in the capital" is no stance: sentence 1 yields nothing
    # each candidate carries its paragraph context: the paragraph with the evidence cut out
    quote = next(c for c in find_candidates(tables, _FlatTopics(["Tariffs"]), nlp) if c.kind == "quote")
    assert quote.context.endswith("“…,” Brenn said.") and quote.context.startswith("Trade Minister Lena Ost")


def test_stance_candidates_from_paragraph_parses_match_sentence_parses(nlp):
    """Scoring hands over the actors stage's paragraph parses (no second spaCy pass); the
    candidates must be the ones a separate parse of each sentence gives."""
    sentences = ["Trade Minister Lena Ost ruled out new tariffs on steel.",
                 "Karl Brenn arrived in the capital on Monday.",
                 "He said he would never accept the duties.",
                 "“We will fight these tariffs in every court,” Brenn said."]
    tables = _tables(sentences, [("Lena Ost", "person", "Lena Ost", 0), ("Karl Brenn", "person", "Karl Brenn", 1),
                                 ("Karl Brenn", "person", "Brenn", 3)],
                     quotes=[("Karl Brenn", "We will fight these tariffs in every court", 3)])
    docs = {("a", 0): nlp(" ".join(sentences))}
    topics = _FlatTopics(["Tariffs"])
    from_paragraph = find_candidates(tables, topics, None, docs)  # no nlp: only the given parses
    assert from_paragraph == find_candidates(tables, topics, nlp)
    assert {c.sentence_index for c in from_paragraph if c.kind == "sentence"} == {0, 2, 3}


def test_stance_per_paragraph_calls_give_the_batched_probabilities(seed_store, engine_factory, tmp_path):
    """The benchmark's naive baseline (one stance-model call per paragraph) computes the same
    thing as the batched path, only slower."""
    from dashboard.stance import score_candidates

    from dashboard.store import TABLE_COLUMNS, Store

    engine = engine_factory(tmp_path / "s")
    store = Store(seed_store)
    tables = {name: store.read_table(name, TABLE_COLUMNS[name]) for name in schema.TABLES}
    cands = find_candidates(tables, engine.topics, engine.nlp)
    assert len({(c.article_id, c.paragraph_index) for c in cands}) >= 3
    batched = score_candidates(cands, engine.stance, engine.topics)
    naive = score_candidates(cands, engine.stance, engine.topics, per_paragraph_calls=True)
    cols = ["p_against", "p_neutral", "p_favor"]
    np.testing.assert_allclose(naive[cols].to_numpy(), batched[cols].to_numpy(), atol=2e-3)
    assert (naive.drop(columns=cols) == batched.drop(columns=cols)).all().all()


@pytest.mark.parametrize("sentence,surface", [
    ("Caldoria's government on Wednesday approved a lithium mine in the north.", "Caldoria"),
    ("The government of Caldoria will impose tariffs on imported steel.", "Caldoria"),
    ("The Bank of Caldoria raised its main interest rate by half a point.", "Bank of Caldoria"),
])
def test_stance_candidates_policy_verbs_and_possessive_subjects(nlp, sentence, surface):
    """A state acts through its government ("Caldoria's government approved", "the government of
    Caldoria will impose"): the actor is part of the subject; policy verbs make a candidate."""
    tables = _tables([sentence], [("Caldoria", "country", surface, 0)])
    cands = find_candidates(tables, _FlatTopics(["Tariffs"]), nlp)
    assert [(c.actor, c.kind) for c in cands] == [("Caldoria", "sentence")]


def test_stance_candidates_need_a_topic(nlp):
    tables = _tables(["Lena Ost rejected the plan."], [("Lena Ost", "person", "Lena Ost", 0)], topics=())
    assert find_candidates(tables, _FlatTopics(["Tariffs"]), nlp) == []


def test_stance_short_quote_is_judged_with_its_sentence(nlp):
    tables = _tables(["Ost called the deal a “great deal” for both countries."],
                     [("Lena Ost", "person", "Ost", 0)], quotes=[("Lena Ost", "great deal", 0)])
    kinds = {(c.kind, c.evidence) for c in find_candidates(tables, _FlatTopics(["Tariffs"]), nlp)}
    assert kinds == {("sentence", "Ost called the deal a “great deal” for both countries.")}


def _scored(rows):
    cols = ["article_id", "paragraph_index", "sentence_index", "actor", "topic", "evidence", "evidence_kind",
            "p_against", "p_neutral", "p_favor"]
    return pd.DataFrame(rows, columns=cols)


def test_stance_pick_rows_one_per_pair_most_confident_side():
    scored = _scored([
        ["a", 1, 0, "Ost", "Tariffs", "weak", "sentence", 0.2, 0.5, 0.3],
        ["a", 1, 1, "Ost", "Tariffs", "strong", "quote", 0.9, 0.05, 0.05],
        ["a", 2, 0, "Ost", "Tariffs", "unsure", "sentence", 0.45, 0.1, 0.45],
        ["a", 2, 0, "Brenn", "Tariffs", "calm", "sentence", 0.1, 0.8, 0.1],
    ])
    out = pick_rows(scored, {"a": "a.txt"})
    assert list(out.columns) == schema.STANCE_STORE_COLUMNS
    got = [tuple(r) for r in out[["paragraph_index", "actor", "stance", "confidence", "evidence", "evidence_kind"]]
           .itertuples(index=False)]
    assert got == [(1, "Ost", "against", 0.9, "strong", "quote"),
                   (2, "Brenn", "neutral", 0.8, "calm", "sentence"),
                   (2, "Ost", "neutral", 0.1, "unsure", "sentence")]  # no side reaches MIN_CONFIDENCE_SIDE
    assert set(out["source_file"]) == {"a.txt"}


def _stances():
    rows = [("a1", 0, "Ost", "Tariffs", "against", 0.9, "no tariffs"),
            ("a1", 2, "Ost", "Tariffs", "against", 0.7, "never"),
            ("a2", 1, "Ost", "Tariffs", "favor", 0.8, "fine, tariffs"),
            ("a2", 1, "Brenn", "Tariffs", "favor", 0.6, "yes"),
            ("a2", 3, "Brenn", "Aid", "neutral", 0.9, "later")]
    return pd.DataFrame([{"article_id": a, "source_file": f"{a}.txt", "paragraph_index": p, "actor": ac,
                          "topic": t, "stance": s, "confidence": c, "evidence": e, "evidence_kind": "sentence"}
                         for a, p, ac, t, s, c, e in rows])


ARTICLES = pd.DataFrame({"article_id": ["a1", "a2"], "title": ["One", "Two"], "date": ["2024-01-10", "2024-03-02"]})


def test_stance_aggregate_per_article_and_corpus():
    art = aggregate_stances(_stances(), ARTICLES, level="article")
    got = {(r.article_id, r.actor, r.topic): (r.n, r.net, r.stance, r.evidence) for r in art.itertuples()}
    assert got == {("a1", "Ost", "Tariffs"): (2, -0.8, "against", "no tariffs"),
                   ("a2", "Brenn", "Aid"): (1, 0.0, "neutral", "later"),
                   ("a2", "Brenn", "Tariffs"): (1, 0.6, "favor", "yes"),
                   ("a2", "Ost", "Tariffs"): (1, 0.8, "favor", "fine, tariffs")}
    corp = aggregate_stances(_stances(), ARTICLES, level="corpus")
    ost = corp[(corp["actor"] == "Ost") & (corp["topic"] == "Tariffs")].iloc[0]
    assert (ost["n"], ost["favor"], ost["against"], ost["articles"]) == (3, 1, 2, 2)
    assert ost["net"] == pytest.approx((-0.9 - 0.7 + 0.8) / 3, abs=1e-4) and ost["stance"] == "against"
    assert (ost["first_date"], ost["last_date"]) == ("2024-01-10", "2024-03-02")
    m = stance_matrix(_stances())
    assert m.loc["Brenn", "Tariffs"] == 0.6 and np.isnan(m.loc["Ost", "Aid"])


def test_stance_timeline_shows_the_change():
    tl = stance_timeline(_stances(), ARTICLES, freq="M")
    ost = tl[(tl["actor"] == "Ost") & (tl["topic"] == "Tariffs")]
    assert list(ost["period"]) == ["2024-01", "2024-03"]
    assert list(ost["stance"]) == ["against", "favor"]
    assert list(ost["net"]) == [-0.8, 0.8] and ost["change"].iloc[1] == pytest.approx(1.6)
    assert stance_timeline(_stances().iloc[:0], ARTICLES).empty


def test_stance_aggregate_empty():
    empty = pd.DataFrame(columns=schema.STANCE_STORE_COLUMNS)
    assert aggregate_stances(empty, ARTICLES).empty
    assert aggregate_stances(empty, level="corpus").empty
    with pytest.raises(ValueError, match="level"):
        aggregate_stances(empty, level="week")
