"""Pure pandas aggregations the pages call: filters, stance matrix, topic breakdown, quote list,
actor and sentiment timelines. No streamlit here.

`build_corpus` prepares the store's tables once (dates parsed, the list columns `actors` and
`topics` exploded once into long tables, every row linked to its paragraph by position), and
every other function works on that `Corpus`, vectorised, so a page stays fast on 100,000
paragraphs. `apply_filters` returns a `Corpus` of the same shape holding only what matches.

What the shared filters mean, per table:

- paragraphs: mention one of the actors, carry one of the topics, have one of the sentiments,
  belong to one of the articles, and lie in the date range (the article's date);
- quotes: spoken by one of the actors, on one of the topics (the quote's own or its paragraph's),
  with one of the sentiments (the quote's own), article and date as above;
- stances: held by one of the actors on one of the topics, in a paragraph with one of the
  sentiments, article and date as above;
- mentions: in a matching paragraph.

Within one filter the values are alternatives (any of); different filters must all hold.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from . import schema
from .store import TABLE_COLUMNS

SENTIMENTS = schema.SENTIMENT_LABELS
STANCES = schema.STANCE_LABELS
NO_TOPIC = "(no topic)"
FREQ_NAMES = {"D": "day", "W": "week", "M": "month"}


# ---- filters ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """The shared sidebar filters; empty means 'no restriction'. Hashable (a cache key)."""

    actors: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sentiments: tuple[str, ...] = ()
    articles: tuple[str, ...] = ()  # article ids

    def __post_init__(self):
        for f in ("actors", "topics", "sentiments", "articles"):
            object.__setattr__(self, f, tuple(dict.fromkeys(getattr(self, f) or ())))

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


# ---- the prepared corpus ---------------------------------------------------------------------

@dataclass(frozen=True)
class Corpus:
    articles: pd.DataFrame  # ARTICLE_COLUMNS + date_ts
    paragraphs: pd.DataFrame  # PARAGRAPH_COLUMNS + prow (position in the unfiltered corpus) + date_ts
    mentions: pd.DataFrame  # MENTION_COLUMNS + prow, date_ts, title, sentiment_score (its sentence's)
    quotes: pd.DataFrame  # QUOTE_STORE_COLUMNS + qrow, prow, title, date, date_ts
    stances: pd.DataFrame  # STANCE_STORE_COLUMNS + prow, title, date, date_ts
    para_actors: pd.DataFrame  # prow, actor (paragraphs.actors exploded)
    para_topics: pd.DataFrame  # prow, topic (paragraphs.topics exploded)
    quote_topics: pd.DataFrame  # qrow, topic (quotes.topics exploded)

    @property
    def empty(self) -> bool:
        return self.paragraphs.empty


def _table(tables: dict, name: str) -> pd.DataFrame:
    df = tables.get(name)
    cols = [c for c in TABLE_COLUMNS[name] if c not in ("embedding",)]
    if df is None:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    df = df.copy()
    for c in cols:
        if c not in df.columns:
            df[c] = pd.Series([None] * len(df), index=df.index, dtype="object")
    return df.reset_index(drop=True)


def _to_ts(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, errors="coerce", format="%Y-%m-%d")


def _explode(df: pd.DataFrame, col: str, row_col: str, out_col: str) -> pd.DataFrame:
    """A list column as a long (row, value) table, in one vectorised pass."""
    if df.empty:
        return pd.DataFrame({row_col: pd.Series(dtype="int64"), out_col: pd.Series(dtype="object")})
    s = df[col].map(lambda v: () if v is None or (isinstance(v, float) and math.isnan(v))
                    else ([v] if isinstance(v, str) else v))
    long = pd.DataFrame({row_col: df[row_col].to_numpy(), out_col: s.to_numpy()}).explode(out_col)
    long = long[long[out_col].notna() & (long[out_col].astype(str) != "")]
    long[row_col] = long[row_col].astype("int64")
    long[out_col] = long[out_col].astype(str)
    return long.drop_duplicates().reset_index(drop=True)


def _para_index(paragraphs: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_arrays([paragraphs["article_id"].astype(str),
                                      paragraphs["paragraph_index"].astype("int64")])


def _prow_of(df: pd.DataFrame, index: pd.MultiIndex) -> np.ndarray:
    if df.empty:
        return np.zeros(0, dtype="int64")
    keys = pd.MultiIndex.from_arrays([df["article_id"].astype(str), df["paragraph_index"].astype("int64")])
    return index.get_indexer(keys)


def build_corpus(tables: dict[str, pd.DataFrame]) -> Corpus:
    """The store's tables (Store.read()) prepared for the aggregations below."""
    articles = _table(tables, "articles")
    articles["date_ts"] = _to_ts(articles["date"])
    articles = articles.sort_values(["date_ts", "title"], ascending=[False, True], na_position="last",
                                    kind="stable").reset_index(drop=True)

    paras = _table(tables, "paragraphs")
    paras = paras[[c for c in schema.PARAGRAPH_COLUMNS]]
    paras["paragraph_index"] = paras["paragraph_index"].astype("int64")
    paras["date_ts"] = _to_ts(paras["date"])
    paras["sentiment_score"] = pd.to_numeric(paras["sentiment_score"], errors="coerce").astype("float64")
    paras = paras.sort_values(["date_ts", "article_id", "paragraph_index"], na_position="last",
                              kind="stable").reset_index(drop=True)
    paras["prow"] = np.arange(len(paras), dtype="int64")
    index = _para_index(paras)
    titles = dict(zip(articles["article_id"], articles["title"]))

    def linked(df: pd.DataFrame) -> pd.DataFrame:
        df["prow"] = _prow_of(df, index)
        df = df[df["prow"] >= 0].reset_index(drop=True)
        prow = df["prow"].to_numpy()
        df["date"] = paras["date"].to_numpy()[prow] if len(df) else pd.Series(dtype="object")
        df["date_ts"] = paras["date_ts"].to_numpy()[prow] if len(df) else pd.Series(dtype="datetime64[ns]")
        df["title"] = df["article_id"].map(titles)
        return df

    mentions = linked(_table(tables, "mentions"))
    sentences = tables.get("sentences")
    mentions["sentiment_score"] = paras["sentiment_score"].to_numpy()[mentions["prow"].to_numpy()] \
        if len(mentions) else pd.Series(dtype="float64")
    if sentences is not None and len(sentences) and len(mentions):
        sidx = pd.MultiIndex.from_arrays([sentences["article_id"].astype(str),
                                          sentences["paragraph_index"].astype("int64"),
                                          sentences["sentence_index"].astype("int64")])
        pos = sidx.get_indexer(pd.MultiIndex.from_arrays([mentions["article_id"].astype(str),
                                                          mentions["paragraph_index"].astype("int64"),
                                                          mentions["sentence_index"].astype("int64")]))
        sent_scores = pd.to_numeric(sentences["sentiment_score"], errors="coerce").to_numpy(dtype="float64")
        found = pos >= 0
        ms = mentions["sentiment_score"].to_numpy(dtype="float64").copy()
        ms[found] = sent_scores[pos[found]]
        mentions["sentiment_score"] = ms

    quotes = linked(_table(tables, "quotes"))
    quotes["qrow"] = np.arange(len(quotes), dtype="int64")
    quotes["sentiment_score"] = pd.to_numeric(quotes["sentiment_score"], errors="coerce").astype("float64")
    stances = linked(_table(tables, "stances"))
    stances["confidence"] = pd.to_numeric(stances["confidence"], errors="coerce").astype("float64")

    return Corpus(
        articles=articles, paragraphs=paras, mentions=mentions, quotes=quotes, stances=stances,
        para_actors=_explode(paras, "actors", "prow", "actor"),
        para_topics=_explode(paras, "topics", "prow", "topic"),
        quote_topics=_explode(quotes, "topics", "qrow", "topic"),
    )


# ---- filtering -------------------------------------------------------------------------------

def _rows_with(long: pd.DataFrame, row_col: str, col: str, values, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    rows = long.loc[long[col].isin(values), row_col].to_numpy()
    mask[rows] = True
    return mask


def _date_mask(ts: pd.Series, f: Filters) -> np.ndarray:
    m = np.ones(len(ts), dtype=bool)
    if f.date_from is not None:
        m &= (ts >= pd.Timestamp(f.date_from)).to_numpy()
    if f.date_to is not None:
        m &= (ts < pd.Timestamp(f.date_to) + pd.Timedelta(days=1)).to_numpy()
    return m


def paragraph_mask(c: Corpus, f: Filters) -> np.ndarray:
    """Which paragraphs (in corpus order) match the filters."""
    p = c.paragraphs
    n = len(p)
    m = np.ones(n, dtype=bool)
    if f.actors:
        m &= _rows_with(c.para_actors, "prow", "actor", f.actors, n)
    if f.topics:
        m &= _rows_with(c.para_topics, "prow", "topic", f.topics, n)
    if f.sentiments:
        m &= p["sentiment"].isin(f.sentiments).to_numpy()
    if f.articles:
        m &= p["article_id"].isin(f.articles).to_numpy()
    if f.date_from is not None or f.date_to is not None:
        m &= _date_mask(p["date_ts"], f)
    return m


def _common_mask(df: pd.DataFrame, f: Filters) -> np.ndarray:
    m = np.ones(len(df), dtype=bool)
    if f.articles:
        m &= df["article_id"].isin(f.articles).to_numpy()
    if f.date_from is not None or f.date_to is not None:
        m &= _date_mask(df["date_ts"], f)
    return m


def quote_mask(c: Corpus, f: Filters) -> np.ndarray:
    q = c.quotes
    m = _common_mask(q, f)
    if f.actors:
        m &= q["speaker"].isin(f.actors).to_numpy()
    if f.sentiments:
        m &= q["sentiment"].isin(f.sentiments).to_numpy()
    if f.topics and len(q):
        own = _rows_with(c.quote_topics, "qrow", "topic", f.topics, len(q))
        para = _rows_with(c.para_topics, "prow", "topic", f.topics, len(c.paragraphs))
        m &= own | para[q["prow"].to_numpy()]
    return m


def stance_mask(c: Corpus, f: Filters) -> np.ndarray:
    s = c.stances
    m = _common_mask(s, f)
    if f.actors:
        m &= s["actor"].isin(f.actors).to_numpy()
    if f.topics:
        m &= s["topic"].isin(f.topics).to_numpy()
    if f.sentiments and len(s):
        m &= c.paragraphs["sentiment"].isin(f.sentiments).to_numpy()[s["prow"].to_numpy()]
    return m


def apply_filters(c: Corpus, f: Filters) -> Corpus:
    """The corpus restricted to what matches `f` (see the module docstring for the meaning)."""
    if not f.active:
        return c
    pm = paragraph_mask(c, f)
    paras = c.paragraphs[pm]
    qm = quote_mask(c, f)
    quotes = c.quotes[qm]
    keep_articles = set(paras["article_id"]) | set(quotes["article_id"])
    return Corpus(
        articles=c.articles[c.articles["article_id"].isin(keep_articles)],
        paragraphs=paras,
        mentions=c.mentions[pm[c.mentions["prow"].to_numpy()]] if len(c.mentions) else c.mentions,
        quotes=quotes,
        stances=c.stances[stance_mask(c, f)],
        para_actors=c.para_actors[pm[c.para_actors["prow"].to_numpy()]],
        para_topics=c.para_topics[pm[c.para_topics["prow"].to_numpy()]],
        quote_topics=c.quote_topics[qm[c.quote_topics["qrow"].to_numpy()]] if len(c.quote_topics) else c.quote_topics,
    )


def filter_options(c: Corpus) -> dict:
    """What the sidebar offers: actors (most mentioned first), topics, articles, date bounds."""
    actors = c.para_actors["actor"].value_counts()
    speakers = c.quotes.loc[c.quotes["speaker"].astype(str) != "", "speaker"].value_counts()
    stance_actors = c.stances["actor"].value_counts()
    all_actors = actors.add(speakers, fill_value=0).add(stance_actors, fill_value=0)
    all_actors = all_actors.reset_index()
    all_actors.columns = ["actor", "n"]
    all_actors = all_actors.sort_values(["n", "actor"], ascending=[False, True])
    topics = c.para_topics["topic"].value_counts()
    topics = topics.add(c.stances["topic"].value_counts(), fill_value=0)
    topics = topics.add(c.quote_topics["topic"].value_counts(), fill_value=0).reset_index()
    topics.columns = ["topic", "n"]
    topics = topics.sort_values(["n", "topic"], ascending=[False, True])
    dates = c.paragraphs["date_ts"].dropna()
    return {
        "actors": all_actors["actor"].astype(str).tolist(),
        "topics": topics["topic"].astype(str).tolist(),
        "articles": c.articles["article_id"].astype(str).tolist(),
        "article_labels": {a: article_label(t, d) for a, t, d in
                           zip(c.articles["article_id"], c.articles["title"], c.articles["date"])},
        "date_min": dates.min().date() if len(dates) else None,
        "date_max": dates.max().date() if len(dates) else None,
    }


def article_label(title, date) -> str:
    title = str(title or "untitled")
    title = title if len(title) <= 70 else title[:69].rstrip() + "…"
    return f"{date} · {title}" if isinstance(date, str) and date else title


# ---- time ------------------------------------------------------------------------------------

def time_freq(dates: pd.Series) -> str:
    """'D', 'W' or 'M': days up to two months of data, weeks up to a year and a half, else months."""
    d = pd.Series(dates).dropna()
    if d.empty:
        return "D"
    span = (d.max() - d.min()).days
    return "D" if span <= 62 else ("W" if span <= 550 else "M")


def bucket(dates: pd.Series, freq: str) -> pd.Series:
    """The start of each date's day, week (Monday) or month."""
    if freq == "D":
        return dates.dt.normalize()
    return dates.dt.to_period(freq).dt.start_time


def bucket_bounds(start, freq: str) -> tuple[dt.date, dt.date]:
    """First and last day of the bucket that starts at `start`."""
    start = pd.Timestamp(start).normalize()
    if freq == "D":
        end = start
    elif freq == "W":
        end = start + pd.Timedelta(days=6)
    else:
        end = start + pd.offsets.MonthEnd(0)
    return start.date(), end.date()


# ---- aggregations ----------------------------------------------------------------------------

def _join_groups(keys, values, sep: str = ", ", limit: int | None = None) -> dict:
    """{key: values joined} for parallel arrays, in the given order within each key (fast
    where groupby(...).agg(sep.join) is a Python loop over pandas groups)."""
    if len(keys) == 0:
        return {}
    codes, uniques = pd.factorize(np.asarray(keys))
    order = np.argsort(codes, kind="stable")
    k = codes[order]
    v = np.asarray(values, dtype=object)[order].tolist()
    bounds = np.flatnonzero(k[1:] != k[:-1]) + 1
    starts = np.concatenate([[0], bounds]).astype(int)
    ends = np.concatenate([bounds, [len(k)]]).astype(int)
    if limit:
        ends = np.minimum(ends, starts + limit)
    return {uniques[k[s]]: sep.join(map(str, v[s:e])) for s, e in zip(starts.tolist(), ends.tolist())}


def counts(c: Corpus) -> dict[str, int]:
    actors = pd.concat([c.para_actors["actor"], c.mentions["actor"].dropna().astype(str)]).nunique()
    return {
        "articles": int(c.paragraphs["article_id"].nunique()),
        "paragraphs": int(len(c.paragraphs)),
        "actors": int(actors),
        "quotes": int(len(c.quotes)),
        "stances": int(len(c.stances)),
        "topics": int(c.para_topics["topic"].nunique()),
    }


def _label_counts(df: pd.DataFrame, by: list[str], col: str, labels) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame(columns=by + list(labels))
    out = df.groupby(by + [col], observed=True, sort=False).size().unstack(col, fill_value=0)
    out = out.reindex(columns=list(labels), fill_value=0)
    out.columns.name = None
    return out.reset_index()


def sentiment_over_time(c: Corpus, freq: str | None = None) -> pd.DataFrame:
    """Per day/week/month of article date: paragraphs, mean sentiment score, counts per label."""
    cols = ["period", "paragraphs", "sentiment", *SENTIMENTS, "freq"]
    p = c.paragraphs[c.paragraphs["date_ts"].notna()]
    if p.empty:
        return pd.DataFrame(columns=cols)
    freq = freq or time_freq(p["date_ts"])
    p = p.assign(period=bucket(p["date_ts"], freq))
    agg = p.groupby("period").agg(paragraphs=("prow", "size"), sentiment=("sentiment_score", "mean")).reset_index()
    out = agg.merge(_label_counts(p, ["period"], "sentiment", SENTIMENTS), on="period", how="left")
    out["freq"] = freq
    return out[cols].sort_values("period").reset_index(drop=True)


def actor_summary(c: Corpus, top: int | None = None) -> pd.DataFrame:
    """Per actor: type, mentions, paragraphs, articles, quotes, mean sentiment where mentioned."""
    cols = ["actor", "actor_type", "mentions", "paragraphs", "articles", "quotes", "sentiment"]
    m = c.mentions
    if m.empty:
        # actors listed on paragraphs without mention rows: count paragraphs
        pa = c.para_actors.merge(c.paragraphs[["prow", "article_id", "sentiment_score"]], on="prow")
        if pa.empty:
            return pd.DataFrame(columns=cols)
        out = pa.groupby("actor").agg(mentions=("prow", "size"), paragraphs=("prow", "nunique"),
                                      articles=("article_id", "nunique"),
                                      sentiment=("sentiment_score", "mean")).reset_index()
        out["actor_type"] = ""
    else:
        out = m.groupby("actor").agg(
            mentions=("prow", "size"), paragraphs=("prow", "nunique"), articles=("article_id", "nunique"),
            sentiment=("sentiment_score", "mean")).reset_index()
        types = m.groupby(["actor", "actor_type"]).size().rename("n").reset_index()
        types = types.sort_values(["n", "actor_type"], ascending=[False, True]).drop_duplicates("actor")
        out["actor_type"] = out["actor"].map(dict(zip(types["actor"], types["actor_type"]))).fillna("")
    quotes = c.quotes["speaker"].value_counts()
    out["quotes"] = out["actor"].map(quotes).fillna(0).astype(int)
    out = out.sort_values(["mentions", "actor"], ascending=[False, True]).reset_index(drop=True)
    return out[cols].head(top) if top else out[cols]


def actor_timeline(c: Corpus, actors, freq: str | None = None) -> pd.DataFrame:
    """Per actor and day/week/month: mentions and the mean sentiment of the sentences mentioning them."""
    cols = ["period", "actor", "mentions", "sentiment", "freq"]
    m = c.mentions[c.mentions["actor"].isin(list(actors)) & c.mentions["date_ts"].notna()]
    if m.empty:
        return pd.DataFrame(columns=cols)
    freq = freq or time_freq(c.paragraphs["date_ts"])
    m = m.assign(period=bucket(m["date_ts"], freq))
    out = m.groupby(["period", "actor"]).agg(mentions=("prow", "size"),
                                             sentiment=("sentiment_score", "mean")).reset_index()
    out["freq"] = freq
    return out[cols].sort_values(["actor", "period"]).reset_index(drop=True)


def article_list(c: Corpus) -> pd.DataFrame:
    """One row per article with matching paragraphs: title, date, source, counts, mean sentiment,
    most mentioned actors and its topics."""
    cols = ["article_id", "title", "date", "source_file", "paragraphs", "sentiment", "actors", "topics", "quotes"]
    p = c.paragraphs
    if p.empty:
        return pd.DataFrame(columns=cols)
    agg = p.groupby("article_id", sort=False).agg(paragraphs=("prow", "size"),
                                                  sentiment=("sentiment_score", "mean")).reset_index()
    for long, col in ((c.para_actors, "actor"), (c.para_topics, "topic")):
        per = long.merge(p[["prow", "article_id"]], on="prow").groupby(["article_id", col]).size()
        per = per.rename("n").reset_index().sort_values(["n", col], ascending=[False, True])
        top = _join_groups(per["article_id"].to_numpy(), per[col].to_numpy(), ", ", limit=4)
        agg[col + "s"] = agg["article_id"].map(top).fillna("")
    agg["quotes"] = agg["article_id"].map(c.quotes["article_id"].value_counts()).fillna(0).astype(int)
    arts = c.articles[["article_id", "title", "date", "date_ts", "source_file"]]
    out = arts.merge(agg, on="article_id", how="inner")
    out = out.sort_values(["date_ts", "title"], ascending=[False, True], na_position="last", kind="stable")
    return out[cols].reset_index(drop=True)


def stance_matrix(c: Corpus) -> pd.DataFrame:
    """Per (actor, topic): favor / against / neutral counts, n, net = (favor - against) / n, the
    mean confidence and the dominant stance (ties: 'mixed')."""
    cols = ["actor", "topic", *STANCES, "n", "net", "confidence", "dominant"]
    s = c.stances
    if s.empty:
        return pd.DataFrame(columns=cols)
    out = _label_counts(s, ["actor", "topic"], "stance", STANCES)
    conf = s.groupby(["actor", "topic"])["confidence"].mean().rename("confidence").reset_index()
    out = out.merge(conf, on=["actor", "topic"], how="left")
    out["n"] = out[list(STANCES)].sum(axis=1)
    out["net"] = (out["favor"] - out["against"]) / out["n"].where(out["n"] > 0, 1)
    top = out[list(STANCES)].to_numpy()
    best = top.max(axis=1, keepdims=True)
    ties = (top == best).sum(axis=1) > 1
    dominant = np.array(STANCES, dtype=object)[top.argmax(axis=1)]
    out["dominant"] = np.where(ties, "mixed", dominant)
    actor_n = out.groupby("actor")["n"].transform("sum")
    out = out.assign(_an=actor_n).sort_values(["_an", "actor", "n", "topic"],
                                             ascending=[False, True, False, True]).drop(columns="_an")
    return out[cols].reset_index(drop=True)


def stance_evidence(c: Corpus, actor: str | None = None, topic: str | None = None) -> pd.DataFrame:
    """The stance rows behind a matrix cell: stance, confidence, the evidence (quote or sentence),
    its article and date; most recent first, then most confident."""
    cols = ["stance", "confidence", "evidence", "evidence_kind", "actor", "topic", "title", "date",
            "source_file", "article_id", "paragraph_index"]
    s = c.stances
    if actor is not None:
        s = s[s["actor"] == actor]
    if topic is not None:
        s = s[s["topic"] == topic]
    s = s.sort_values(["date_ts", "confidence"], ascending=[False, False], na_position="last", kind="stable")
    return s.reindex(columns=cols).reset_index(drop=True)


def stance_over_time(c: Corpus, actor: str, freq: str | None = None) -> pd.DataFrame:
    """Per topic and period: counts per stance and net stance of one actor."""
    cols = ["period", "topic", *STANCES, "n", "net", "freq"]
    s = c.stances[(c.stances["actor"] == actor) & c.stances["date_ts"].notna()]
    if s.empty:
        return pd.DataFrame(columns=cols)
    freq = freq or time_freq(c.paragraphs["date_ts"])
    s = s.assign(period=bucket(s["date_ts"], freq))
    out = _label_counts(s, ["period", "topic"], "stance", STANCES)
    out["n"] = out[list(STANCES)].sum(axis=1)
    out["net"] = (out["favor"] - out["against"]) / out["n"]
    out["freq"] = freq
    return out[cols].sort_values(["topic", "period"]).reset_index(drop=True)


def topic_breakdown(c: Corpus) -> pd.DataFrame:
    """Per topic: paragraphs, share of the (matching) paragraphs, mean sentiment score and the
    share of negative / neutral / positive paragraphs. Paragraphs with no topic are one row,
    NO_TOPIC, last."""
    cols = ["topic", "paragraphs", "share", "sentiment", *SENTIMENTS]
    p = c.paragraphs
    if p.empty:
        return pd.DataFrame(columns=cols)
    pt = c.para_topics.merge(p[["prow", "sentiment", "sentiment_score"]], on="prow")
    untagged = p[~p["prow"].isin(pt["prow"])]
    rows = pd.concat([pt, untagged[["prow", "sentiment", "sentiment_score"]].assign(topic=NO_TOPIC)],
                     ignore_index=True)
    if rows.empty:
        return pd.DataFrame(columns=cols)
    agg = rows.groupby("topic").agg(paragraphs=("prow", "nunique"), sentiment=("sentiment_score", "mean")).reset_index()
    lab = _label_counts(rows, ["topic"], "sentiment", SENTIMENTS)
    out = agg.merge(lab, on="topic", how="left")
    for s in SENTIMENTS:
        out[s] = out[s] / out["paragraphs"]
    out["share"] = out["paragraphs"] / len(p)
    out["_last"] = out["topic"] == NO_TOPIC
    out = out.sort_values(["_last", "paragraphs", "topic"], ascending=[True, False, True])
    return out[cols].reset_index(drop=True)


def topics_over_time(c: Corpus, freq: str | None = None) -> pd.DataFrame:
    """Per period and topic: paragraphs on the topic and their share of that period's paragraphs."""
    cols = ["period", "topic", "paragraphs", "share", "freq"]
    p = c.paragraphs[c.paragraphs["date_ts"].notna()]
    if p.empty or c.para_topics.empty:
        return pd.DataFrame(columns=cols)
    freq = freq or time_freq(p["date_ts"])
    per = bucket(p["date_ts"], freq)
    pt = c.para_topics.merge(pd.DataFrame({"prow": p["prow"].to_numpy(), "period": per.to_numpy()}), on="prow")
    if pt.empty:
        return pd.DataFrame(columns=cols)
    out = pt.groupby(["period", "topic"]).size().rename("paragraphs").reset_index()
    totals = per.value_counts()
    out["share"] = out["paragraphs"] / out["period"].map(totals).astype(float)
    out["freq"] = freq
    return out[cols].sort_values(["period", "topic"]).reset_index(drop=True)


def quote_list(c: Corpus, search: str = "") -> pd.DataFrame:
    """Quotes with speaker, article and date, sentiment and topics (the quote's own, else its
    paragraph's), most recent first; `search` matches quote, speaker or title, case-insensitive."""
    cols = ["speaker", "quote", "title", "date", "sentiment", "sentiment_score", "topics", "cue",
            "source_file", "article_id", "paragraph_index"]
    q = c.quotes
    if q.empty:
        return pd.DataFrame(columns=cols)
    if search and search.strip():
        needle = search.strip()
        hit = np.zeros(len(q), dtype=bool)
        for col in ("quote", "speaker", "title"):
            hit |= q[col].astype(str).str.contains(needle, case=False, regex=False, na=False).to_numpy()
        q = q[hit]
    if q.empty:
        return pd.DataFrame(columns=cols)
    qt = c.quote_topics[c.quote_topics["qrow"].isin(q["qrow"])]
    pt = c.para_topics[c.para_topics["prow"].isin(q["prow"])]
    own = _join_groups(qt["qrow"].to_numpy(), qt["topic"].to_numpy(), "; ")
    para = _join_groups(pt["prow"].to_numpy(), pt["topic"].to_numpy(), "; ")
    topics = q["qrow"].map(own)
    topics = topics.fillna(q["prow"].map(para)).fillna("")
    out = q.assign(topics=topics.to_numpy(), speaker=q["speaker"].fillna("").replace("", "(unattributed)"))
    out = out.sort_values(["date_ts", "article_id", "paragraph_index", "start"],
                          ascending=[False, True, True, True], na_position="last", kind="stable")
    return out.reindex(columns=cols).reset_index(drop=True)


def speaker_counts(c: Corpus, top: int | None = None) -> pd.DataFrame:
    cols = ["speaker", "quotes", "sentiment"]
    q = c.quotes[c.quotes["speaker"].fillna("").astype(str) != ""]
    if q.empty:
        return pd.DataFrame(columns=cols)
    out = q.groupby("speaker").agg(quotes=("qrow", "size"), sentiment=("sentiment_score", "mean")).reset_index()
    out = out.sort_values(["quotes", "speaker"], ascending=[False, True]).reset_index(drop=True)
    return out[cols].head(top) if top else out[cols]


# ---- the reader ------------------------------------------------------------------------------

def article_view(c: Corpus, article_id: str) -> dict:
    """One article for the reader: its row, paragraphs in order, and its quotes and mentions."""
    art = c.articles[c.articles["article_id"] == article_id]
    paras = c.paragraphs[c.paragraphs["article_id"] == article_id].sort_values("paragraph_index")
    quotes = c.quotes[c.quotes["article_id"] == article_id]
    mentions = c.mentions[c.mentions["article_id"] == article_id]
    topics = c.para_topics[c.para_topics["prow"].isin(paras["prow"])]
    return {"article": art.iloc[0].to_dict() if len(art) else {}, "paragraphs": paras,
            "quotes": quotes, "mentions": mentions, "topics": topics}


OPENING_MARKS = "“\"‘'«„"
CLOSING_MARKS = "”\"’'»“"


def widen_to_quote_marks(text: str, start: int, end: int) -> tuple[int, int]:
    """A quote's content span widened to the quotation marks around it (and a comma or full
    stop just inside the closing mark), so the reader highlights “the quote,” as written."""
    start, end = max(0, int(start)), min(len(text), int(end))
    if start > 0 and text[start - 1] in OPENING_MARKS:
        start -= 1
    if text[end:end + 1] in tuple(",.!?…") and text[end + 1:end + 2] in tuple(CLOSING_MARKS):
        end += 2
    elif end < len(text) and text[end] in CLOSING_MARKS:
        end += 1
    return start, end


def text_segments(text: str, quote_spans, mention_spans) -> list[tuple[str, bool, bool]]:
    """Split a paragraph into (piece, in_quote, in_mention) runs from character spans, so the
    reader can highlight quotes and actor mentions. Spans outside the text are clipped."""
    n = len(text)
    cuts = {0, n}
    spans = []
    for kind, lst in (("q", quote_spans), ("m", mention_spans)):
        for s, e in lst:
            try:
                s, e = max(0, int(s)), min(n, int(e))
            except (TypeError, ValueError):
                continue
            if e > s:
                spans.append((kind, s, e))
                cuts.update((s, e))
    cuts = sorted(cuts)
    out: list[tuple[str, bool, bool]] = []
    for a, b in zip(cuts, cuts[1:]):
        inq = any(k == "q" and s <= a and b <= e for k, s, e in spans)
        inm = any(k == "m" and s <= a and b <= e for k, s, e in spans)
        if out and out[-1][1] == inq and out[-1][2] == inm:
            out[-1] = (out[-1][0] + text[a:b], inq, inm)
        else:
            out.append((text[a:b], inq, inm))
    return out
