"""dashboard.analysis on small tables with exact expected results."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from dashboard import analysis as A
from dashboard.store import TABLE_COLUMNS


def frame(name: str, rows: list[dict]) -> pd.DataFrame:
    cols = [c for c in TABLE_COLUMNS[name] if c != "embedding"]
    return pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)


def para(aid, pi, date, sentiment, score, actors=(), topics=(), text=None, heading=False):
    return {"article_id": aid, "source_file": f"{aid}.txt", "title": f"Title {aid}", "date": date,
            "paragraph_index": pi, "is_heading": heading, "text": text or f"{aid} paragraph {pi}",
            "sentiment": sentiment, "sentiment_score": score, "actors": list(actors), "topics": list(topics)}


@pytest.fixture
def tables():
    paragraphs = [
        para("a", 0, "2025-01-06", "negative", -0.6, ["Ann", "Bo"], ["Aid"]),
        para("a", 1, "2025-01-06", "positive", 0.4, ["Ann"], ["Aid", "Talks"]),
        para("a", 2, "2025-01-06", "neutral", 0.0, [], []),
        para("b", 0, "2025-01-20", "negative", -0.8, ["Bo"], ["Talks"]),
        para("b", 1, "2025-01-20", "positive", 0.6, ["Cy", "Ann"], ["Sanctions"]),
        para("c", 0, None, "neutral", 0.1, ["Cy"], ["Aid"]),
    ]
    articles = [{"article_id": a, "source_file": f"{a}.txt", "title": f"Title {a}", "date": d,
                 "n_paragraphs": n, "added_at": "x", "version": "v"}
                for a, d, n in (("a", "2025-01-06", 3), ("b", "2025-01-20", 2), ("c", None, 1))]
    mentions = [
        {"article_id": "a", "paragraph_index": 0, "sentence_index": 0, "actor": "Ann", "actor_type": "person"},
        {"article_id": "a", "paragraph_index": 0, "sentence_index": 1, "actor": "Bo", "actor_type": "person"},
        {"article_id": "a", "paragraph_index": 1, "sentence_index": 0, "actor": "Ann", "actor_type": "person"},
        {"article_id": "b", "paragraph_index": 0, "sentence_index": 0, "actor": "Bo", "actor_type": "country"},
        {"article_id": "b", "paragraph_index": 0, "sentence_index": 0, "actor": "Bo", "actor_type": "person"},
        {"article_id": "b", "paragraph_index": 1, "sentence_index": 0, "actor": "Cy", "actor_type": "person"},
        {"article_id": "b", "paragraph_index": 1, "sentence_index": 0, "actor": "Ann", "actor_type": "person"},
        {"article_id": "c", "paragraph_index": 0, "sentence_index": 0, "actor": "Cy", "actor_type": "person"},
    ]
    sentences = pd.DataFrame([
        {"article_id": "a", "paragraph_index": 0, "sentence_index": 0, "sentiment_score": -0.9},
        {"article_id": "a", "paragraph_index": 0, "sentence_index": 1, "sentiment_score": -0.3},
        {"article_id": "a", "paragraph_index": 1, "sentence_index": 0, "sentiment_score": 0.4},
        {"article_id": "b", "paragraph_index": 0, "sentence_index": 0, "sentiment_score": -0.8},
        {"article_id": "b", "paragraph_index": 1, "sentence_index": 0, "sentiment_score": 0.6},
        {"article_id": "c", "paragraph_index": 0, "sentence_index": 0, "sentiment_score": 0.1},
    ])
    quotes = [
        {"article_id": "a", "paragraph_index": 0, "speaker": "Ann", "quote": "We will send aid", "sentiment": "positive",
         "topics": ["Aid"], "sentence_index": 0, "start": 0, "end": 5, "sentiment_score": 0.5},
        {"article_id": "b", "paragraph_index": 0, "speaker": "Bo", "quote": "No talks now", "sentiment": "negative",
         "topics": [], "sentence_index": 0, "start": 0, "end": 5, "sentiment_score": -0.7},
        {"article_id": "b", "paragraph_index": 1, "speaker": "", "quote": "Sanctions work", "sentiment": "neutral",
         "topics": ["Sanctions"], "sentence_index": 0, "start": 0, "end": 5, "sentiment_score": 0.0},
    ]
    stances = [
        {"article_id": "a", "paragraph_index": 0, "actor": "Ann", "topic": "Aid", "stance": "favor",
         "confidence": 0.9, "evidence": "Ann backs aid", "evidence_kind": "quote"},
        {"article_id": "a", "paragraph_index": 1, "actor": "Ann", "topic": "Aid", "stance": "favor",
         "confidence": 0.7, "evidence": "Ann again", "evidence_kind": "sentence"},
        {"article_id": "b", "paragraph_index": 1, "actor": "Ann", "topic": "Aid", "stance": "against",
         "confidence": 0.6, "evidence": "Ann doubts", "evidence_kind": "sentence"},
        {"article_id": "b", "paragraph_index": 0, "actor": "Bo", "topic": "Talks", "stance": "against",
         "confidence": 0.8, "evidence": "Bo refuses", "evidence_kind": "quote"},
        {"article_id": "b", "paragraph_index": 0, "actor": "Bo", "topic": "Aid", "stance": "neutral",
         "confidence": 0.5, "evidence": "Bo shrugs", "evidence_kind": "sentence"},
    ]
    return {"articles": frame("articles", articles), "paragraphs": frame("paragraphs", paragraphs),
            "sentences": sentences, "mentions": frame("mentions", mentions), "quotes": frame("quotes", quotes),
            "stances": frame("stances", stances)}


@pytest.fixture
def corpus(tables):
    return A.build_corpus(tables)


def test_analysis_build_explodes_lists_once_and_links_rows(corpus):
    assert len(corpus.paragraphs) == 6
    assert sorted(map(tuple, corpus.para_actors[["prow", "actor"]].values.tolist())) == sorted(
        [(0, "Ann"), (0, "Bo"), (1, "Ann"), (3, "Bo"), (4, "Cy"), (4, "Ann"), (5, "Cy")])
    assert corpus.para_topics["topic"].value_counts().to_dict() == {"Aid": 3, "Talks": 2, "Sanctions": 1}
    assert list(corpus.quotes["title"]) == ["Title a", "Title b", "Title b"]
    # a mention's sentiment is its sentence's
    assert corpus.mentions.loc[corpus.mentions["actor"] == "Bo", "sentiment_score"].tolist()[0] == pytest.approx(-0.3)


def test_analysis_list_columns_from_parquet_arrays(tables):
    """Parquet gives list cells back as numpy arrays (and None for missing)."""
    t = dict(tables)
    p = t["paragraphs"].copy()
    p["actors"] = [np.array(v, dtype=object) for v in p["actors"]]
    p.loc[2, "topics"] = None
    t["paragraphs"] = p
    c = A.build_corpus(t)
    assert len(c.para_actors) == 7 and len(c.para_topics) == 6


def test_analysis_filters_any_within_all_across(corpus):
    f = A.Filters(actors=("Ann", "Cy"))
    assert A.paragraph_mask(corpus, f).tolist() == [True, True, False, False, True, True]
    f = A.Filters(actors=("Ann",), topics=("Talks",))
    assert A.paragraph_mask(corpus, f).tolist() == [False, True, False, False, False, False]
    f = A.Filters(sentiments=("negative",), date_from=dt.date(2025, 1, 10))
    assert A.paragraph_mask(corpus, f).tolist() == [False, False, False, True, False, False]
    f = A.Filters(date_from=dt.date(2025, 1, 6), date_to=dt.date(2025, 1, 6))  # one day, inclusive
    assert A.paragraph_mask(corpus, f).tolist() == [True, True, True, False, False, False]
    f = A.Filters(articles=("c",))
    assert A.paragraph_mask(corpus, f).tolist() == [False] * 5 + [True]


def test_analysis_filters_on_quotes_and_stances(corpus):
    v = A.apply_filters(corpus, A.Filters(actors=("Bo",)))
    assert v.quotes["quote"].tolist() == ["No talks now"]  # spoken by Bo
    assert set(v.stances["topic"]) == {"Talks", "Aid"} and set(v.stances["actor"]) == {"Bo"}
    assert sorted(v.mentions["actor"]) == ["Ann", "Bo", "Bo", "Bo"]  # mentions in Bo's paragraphs
    v = A.apply_filters(corpus, A.Filters(topics=("Talks",)))
    assert v.quotes["quote"].tolist() == ["No talks now"]  # through its paragraph's topics
    v = A.apply_filters(corpus, A.Filters(sentiments=("neutral",)))
    assert v.quotes["quote"].tolist() == ["Sanctions work"]  # the quote's own sentiment
    assert A.apply_filters(corpus, A.Filters()) is corpus


def test_analysis_counts_and_options(corpus):
    assert A.counts(corpus) == {"articles": 3, "paragraphs": 6, "actors": 3, "quotes": 3, "stances": 5, "topics": 3}
    opts = A.filter_options(corpus)
    assert opts["actors"] == ["Ann", "Bo", "Cy"]
    assert opts["topics"] == ["Aid", "Talks", "Sanctions"]
    assert opts["date_min"] == dt.date(2025, 1, 6) and opts["date_max"] == dt.date(2025, 1, 20)
    assert opts["articles"] == ["b", "a", "c"]  # newest first, undated last
    assert opts["article_labels"]["a"] == "2025-01-06 · Title a" and opts["article_labels"]["c"] == "Title c"


def test_analysis_stance_matrix_counts_net_and_dominant(corpus):
    m = A.stance_matrix(corpus).set_index(["actor", "topic"])
    assert m.loc[("Ann", "Aid"), ["favor", "against", "neutral", "n"]].tolist() == [2, 1, 0, 3]
    assert m.loc[("Ann", "Aid"), "net"] == pytest.approx(1 / 3)
    assert m.loc[("Ann", "Aid"), "dominant"] == "favor"
    assert m.loc[("Bo", "Talks"), "dominant"] == "against" and m.loc[("Bo", "Talks"), "net"] == -1
    assert m.loc[("Bo", "Aid"), "dominant"] == "neutral"
    assert list(A.stance_matrix(corpus)["actor"]) == ["Ann", "Bo", "Bo"]  # most stance rows first


def test_analysis_stance_evidence_for_a_cell(corpus):
    ev = A.stance_evidence(corpus, "Ann", "Aid")
    assert ev["evidence"].tolist() == ["Ann doubts", "Ann backs aid", "Ann again"]  # newest, then most confident
    assert ev["title"].tolist() == ["Title b", "Title a", "Title a"]
    assert ev["date"].tolist() == ["2025-01-20", "2025-01-06", "2025-01-06"]
    assert A.stance_evidence(corpus, "Cy", "Aid").empty


def test_analysis_topic_breakdown_share_and_sentiment(corpus):
    b = A.topic_breakdown(corpus).set_index("topic")
    assert list(b.index) == ["Aid", "Talks", "Sanctions", A.NO_TOPIC]
    assert b.loc["Aid", "paragraphs"] == 3 and b.loc["Aid", "share"] == pytest.approx(0.5)
    assert b.loc["Aid", "sentiment"] == pytest.approx((-0.6 + 0.4 + 0.1) / 3)
    assert b.loc["Aid", ["negative", "neutral", "positive"]].tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3])
    assert b.loc["Talks", "negative"] == pytest.approx(0.5)
    assert b.loc[A.NO_TOPIC, "paragraphs"] == 1


def test_analysis_time_buckets_and_timelines(corpus):
    s = A.sentiment_over_time(corpus)
    assert s["freq"].iat[0] == "D"  # two weeks of data: per day
    assert s["period"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-06", "2025-01-20"]
    assert s["paragraphs"].tolist() == [3, 2] and s["negative"].tolist() == [1, 1]
    assert s["sentiment"].tolist() == pytest.approx([-0.2 / 3, -0.1])
    w = A.sentiment_over_time(corpus, freq="W")
    assert w["period"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-06", "2025-01-20"]  # Mondays
    assert A.bucket_bounds(pd.Timestamp("2025-01-06"), "W") == (dt.date(2025, 1, 6), dt.date(2025, 1, 12))
    assert A.bucket_bounds(pd.Timestamp("2025-02-01"), "M") == (dt.date(2025, 2, 1), dt.date(2025, 2, 28))
    assert A.time_freq(pd.Series(pd.to_datetime(["2024-01-01", "2024-06-01"]))) == "W"
    assert A.time_freq(pd.Series(pd.to_datetime(["2022-01-01", "2024-06-01"]))) == "M"

    t = A.actor_timeline(corpus, ["Bo"])
    assert t["mentions"].tolist() == [1, 2]
    assert t["sentiment"].tolist() == pytest.approx([-0.3, -0.8])
    tt = A.topics_over_time(corpus).set_index(["period", "topic"])
    assert tt.loc[(pd.Timestamp("2025-01-06"), "Aid"), "paragraphs"] == 2
    assert tt.loc[(pd.Timestamp("2025-01-06"), "Aid"), "share"] == pytest.approx(2 / 3)


def test_analysis_actor_summary(corpus):
    s = A.actor_summary(corpus).set_index("actor")
    assert list(s.index) == ["Ann", "Bo", "Cy"]
    assert s.loc["Ann", ["mentions", "paragraphs", "articles", "quotes"]].tolist() == [3, 3, 2, 1]
    assert s.loc["Bo", "actor_type"] == "person"  # the commoner type (2 of 3), ties by name
    assert s.loc["Bo", "sentiment"] == pytest.approx((-0.3 - 0.8 - 0.8) / 3)


def test_analysis_quote_list_search_and_topics(corpus):
    q = A.quote_list(corpus)
    assert q["quote"].tolist() == ["No talks now", "Sanctions work", "We will send aid"]
    assert q["speaker"].tolist() == ["Bo", "(unattributed)", "Ann"]
    assert q["topics"].tolist() == ["Talks", "Sanctions", "Aid"]  # own topics, else the paragraph's
    assert A.quote_list(corpus, "  AID ")["quote"].tolist() == ["We will send aid"]
    assert A.quote_list(corpus, "title b")["quote"].tolist() == ["No talks now", "Sanctions work"]
    assert A.quote_list(corpus, "nothing like this").empty
    assert A.speaker_counts(corpus)["speaker"].tolist() == ["Ann", "Bo"]


def test_analysis_article_list(corpus):
    arts = A.article_list(corpus)
    assert arts["article_id"].tolist() == ["b", "a", "c"]
    row = arts.set_index("article_id").loc["a"]
    assert row["paragraphs"] == 3 and row["actors"] == "Ann, Bo" and row["topics"] == "Aid, Talks"
    assert row["quotes"] == 1
    v = A.apply_filters(corpus, A.Filters(actors=("Cy",)))
    assert A.article_list(v)["paragraphs"].tolist() == [1, 1]


def test_analysis_empty_tables_give_empty_frames():
    c = A.build_corpus({})
    assert c.empty and A.counts(c)["paragraphs"] == 0
    for fn in (A.sentiment_over_time, A.actor_summary, A.article_list, A.stance_matrix, A.topic_breakdown,
               A.topics_over_time, A.quote_list, A.speaker_counts):
        assert fn(c).empty, fn.__name__
    assert A.filter_options(c)["date_min"] is None


def test_analysis_text_segments_for_highlighting():
    text = "Ann said “we will help,” and Bo agreed."
    q0 = text.index("we")
    qs, qe = A.widen_to_quote_marks(text, q0, q0 + len("we will help"))
    assert text[qs:qe] == "“we will help,”"
    bo = text.index("Bo")
    segs = A.text_segments(text, [(qs, qe)], [(0, 3), (bo, bo + 2), (100, 120)])
    assert segs == [("Ann", False, True), (" said ", False, False), ("“we will help,”", True, False),
                    (" and ", False, False), ("Bo", False, True), (" agreed.", False, False)]
    assert A.text_segments("abc", [], []) == [("abc", False, False)]


def test_analysis_filters_are_hashable_and_normalised():
    f = A.Filters(actors=["Ann", "Ann", "Bo"])
    assert f.actors == ("Ann", "Bo") and hash(f) == hash(A.Filters(actors=("Ann", "Bo")))
    assert not A.Filters().active and A.Filters(date_to=dt.date(2025, 1, 1)).active


def test_analysis_filtered_views_export_as_csv_and_excel(corpus):
    """What the sidebar's download buttons hand to dashboard.exports: the filtered tables."""
    import io

    from dashboard import exports

    v = A.apply_filters(corpus, A.Filters(actors=("Bo",)))
    for name, df, n in (("paragraphs", v.paragraphs, 2), ("quotes", v.quotes, 1), ("stances", v.stances, 2)):
        csv = pd.read_csv(io.BytesIO(exports.to_csv_bytes(df, name)))
        xlsx = pd.read_excel(io.BytesIO(exports.to_excel_bytes(df, name)), sheet_name=name)
        assert list(csv.columns) == exports.EXPORTS[name] == list(xlsx.columns)
        assert len(csv) == len(xlsx) == n
    assert pd.read_csv(io.BytesIO(exports.to_csv_bytes(v.paragraphs, "paragraphs")))["actors"].tolist() == \
        ["Ann; Bo", "Bo"]
