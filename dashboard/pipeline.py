"""Runs the stages in order and builds the tables.

    ingest -> encode (one pass per sentence, batched, length-sorted) -> heads (sentiment)
           -> extract (actors, quotes) -> topics -> stance -> tables -> store

`score_articles` is a function from a batch of articles to tables (DataFrames), so the same
code can later run per partition under Dask or Ray. A paragraph already in the store under the
same model key is never encoded again; an article already stored under the same pipeline
version is not processed at all.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from . import schema
from .ingest import IngestError, check_size, iter_paths, read_document, safe_display_name, split_sentences
from .schema import Article
from .store import Store
from .topics import DEFAULT_COMBINER

log = logging.getLogger(__name__)

PIPELINE_CODE_VERSION = "6"  # bump when a stage's code changes what it stores
SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
DEFAULT_TOPICS = SEEDS_DIR / "topics.yaml"
DEFAULT_ACTORS = SEEDS_DIR / "actors.yaml"

Progress = Callable[[str, float], None]


def _file_digest(path: Path | None) -> str:
    if path is None or not Path(path).exists():
        return "none"
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


@dataclass
class Engine:
    """The loaded models and configuration; built once per process (the pages cache it)."""

    store: Store
    topics_file: Path | None = DEFAULT_TOPICS
    actors_file: Path | None = DEFAULT_ACTORS
    model_overrides: dict[str, str] = field(default_factory=dict)
    quantize: bool = False
    batch_size: int = 32
    per_paragraph_calls: bool = False  # one transformer call per paragraph (benchmark baseline only)
    _loaded: dict = field(default_factory=dict, repr=False)

    # ---- lazily loaded parts ----
    @property
    def registry(self):
        if "registry" not in self._loaded:
            from models.registry import get_registry

            self._loaded["registry"] = get_registry(self.model_overrides)
        return self._loaded["registry"]

    @property
    def encoder(self):
        if "encoder" not in self._loaded:
            from models.encoder import Encoder

            self._loaded["encoder"] = Encoder(self.registry["encoder"], quantize=self.quantize)
        return self._loaded["encoder"]

    @property
    def sentiment(self):
        if "sentiment" not in self._loaded:
            from models.sentiment import SentimentModel

            self._loaded["sentiment"] = SentimentModel.load(self.encoder, self.registry["sentiment"])
        return self._loaded["sentiment"]

    @property
    def nlp(self):
        if "nlp" not in self._loaded:
            from .actors import load_nlp

            self._loaded["nlp"] = load_nlp(self.registry["ner"])
        return self._loaded["nlp"]

    @property
    def actors(self):
        if "actors" not in self._loaded:
            from .actors import ActorExtractor

            self._loaded["actors"] = ActorExtractor(self.actors_file)
        return self._loaded["actors"]

    @property
    def topics(self):
        if "topics" not in self._loaded:
            from .topics import TopicModel, load_topics

            topics = load_topics(self.topics_file) if self.topics_file else []
            self._loaded["topics"] = TopicModel(self.encoder, topics)
        return self._loaded["topics"]

    @property
    def stance(self):
        if "stance" not in self._loaded:
            from .stance import StanceModel

            self._loaded["stance"] = StanceModel.load(self.encoder, self.registry)
        return self._loaded["stance"]

    # ---- versions ----
    @property
    def model_key(self) -> str:
        """What sentence scores depend on: encoder, sentiment head, sentence splitter."""
        reg = self.registry
        raw = "|".join([reg["encoder"].version, reg["sentiment"].version, str(self.quantize), "split1"])
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    @property
    def version(self) -> str:
        """What a stored article depends on: every model, the topics and actors files, the code."""
        reg = self.registry
        raw = "|".join([self.model_key, reg["stance"].version, reg["ner"].version, reg["nli"].version,
                        _file_digest(self.topics_file), _file_digest(self.actors_file), _file_digest(DEFAULT_COMBINER),
                        PIPELINE_CODE_VERSION])
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


@dataclass
class RunReport:
    articles: int = 0  # articles read (new or known)
    paragraphs: int = 0  # their paragraphs, headings included
    scored: int = 0  # paragraphs that went through the transformer in this run
    cached: int = 0  # paragraphs whose scores came from the store
    added: list[str] = field(default_factory=list)  # article ids stored by this run
    known: list[str] = field(default_factory=list)  # article ids already stored at this version
    errors: list[dict] = field(default_factory=list)  # {"file": ..., "error": ...}
    files: list[dict] = field(default_factory=list)  # per file: file, status, article_id, title, reason
    seconds: float = 0.0

    def summary(self) -> dict:
        return {"articles": self.articles, "paragraphs": self.paragraphs, "scored": self.scored,
                "cached": self.cached, "added": len(self.added), "known": len(self.known),
                "errors": self.errors, "seconds": round(self.seconds, 2)}


# ---- the scoring function: articles in, tables out -------------------------------------------

def _sentence_cache(engine: Engine, hashes: set[str]) -> dict[str, pd.DataFrame]:
    """Stored sentence rows (with embeddings) for paragraphs with these hashes, same model key."""
    if not hashes:
        return {}
    store = engine.store
    manifest = store.manifest()
    if not manifest["articles"]:
        return {}
    paras = store.read_table("paragraphs", ["article_id", "paragraph_index", "paragraph_hash", "model_key"],
                             manifest=manifest)
    paras = paras[(paras["model_key"] == engine.model_key) & paras["paragraph_hash"].isin(hashes)]
    if paras.empty:
        return {}
    paras = paras.drop_duplicates("paragraph_hash")
    sents = store.read_table("sentences", schema.SENTENCE_COLUMNS, manifest=manifest,
                             article_ids=set(paras["article_id"]))
    merged = sents.merge(paras, on=["article_id", "paragraph_index"])
    return {h: g.sort_values("sentence_index") for h, g in merged.groupby("paragraph_hash")}


def score_articles(articles: list[Article], engine: Engine, report: RunReport | None = None,
                   progress: Progress | None = None) -> dict[str, pd.DataFrame]:
    """Every stage on a batch of articles; returns the tables (see dashboard.schema)."""
    report = report or RunReport()
    progress = progress or (lambda msg, frac: None)
    version, model_key = engine.version, engine.model_key
    paragraphs = [p for a in articles for p in a.paragraphs]
    sentences = {(p.article_id, p.index): split_sentences(p) for p in paragraphs}
    cache = _sentence_cache(engine, {p.paragraph_hash for p in paragraphs})

    # encode what the store does not have (each distinct paragraph once)
    todo: dict[str, list] = {}
    for p in paragraphs:
        if p.paragraph_hash not in cache and p.paragraph_hash not in todo:
            todo[p.paragraph_hash] = sentences[(p.article_id, p.index)]
    texts = [s.text for sents in todo.values() for s in sents]
    progress(f"Encoding {len(texts)} sentences", 0.05)
    heads = engine.sentiment.heads()
    enc = engine.encoder
    if engine.per_paragraph_calls:  # the naive baseline the benchmark compares against
        parts = [enc.run([s.text for s in sents], heads, sort_by_length=False) for sents in todo.values()]
        out = {k: np.concatenate([p[k] for p in parts]) if parts else enc.run([], heads)[k]
               for k in ["embedding", *heads]}
    else:
        out = enc.run(texts, heads, batch_size=engine.batch_size,
                      progress=lambda d, n: progress(f"Encoding sentences {d}/{n}", 0.05 + 0.6 * d / max(n, 1)))
    probs = out["sentiment"] if "sentiment" in out else engine.sentiment.predict_texts(enc, texts)
    lengths = enc.token_lengths(texts) if texts else []
    fresh: dict[str, dict] = {}
    k = 0
    for h, sents in todo.items():
        n = len(sents)
        fresh[h] = {"probs": probs[k:k + n], "emb": out["embedding"][k:k + n], "lengths": lengths[k:k + n]}
        k += n
    first_seen: set[str] = set()
    for p in paragraphs:
        if p.paragraph_hash in todo and p.paragraph_hash not in first_seen:
            first_seen.add(p.paragraph_hash)
            report.scored += 1
        else:
            report.cached += 1

    from models.sentiment import label, paragraph_probs, sentiment_score

    para_rows, sent_rows = [], []
    sent_probs_by_key: dict[tuple, np.ndarray] = {}
    sent_emb_by_key: dict[tuple, np.ndarray] = {}
    para_emb_by_key: dict[tuple, np.ndarray] = {}
    art_by_id = {a.article_id: a for a in articles}
    for p in paragraphs:
        sents = sentences[(p.article_id, p.index)]
        if p.paragraph_hash in fresh:
            f = fresh[p.paragraph_hash]
            sp, se, sl = f["probs"], f["emb"], f["lengths"]
        else:
            g = cache[p.paragraph_hash]
            sp = g[["p_negative", "p_neutral", "p_positive"]].to_numpy(dtype=np.float32)
            se = np.stack(g["embedding"].to_numpy()).astype(np.float32)
            sl = [max(1, e - s) for s, e in zip(g["start"], g["end"])]
        pp = paragraph_probs(sp, list(sl))
        pe = se.mean(0)
        pe = pe / (np.linalg.norm(pe) + 1e-9)
        key = (p.article_id, p.index)
        sent_probs_by_key[key], sent_emb_by_key[key], para_emb_by_key[key] = sp, se, pe
        a = art_by_id[p.article_id]
        para_rows.append({
            "article_id": a.article_id, "source_file": a.source_file, "title": a.title, "date": a.date,
            "paragraph_index": p.index, "is_heading": p.is_heading, "text": p.text,
            "sentiment": label(pp), "sentiment_score": float(sentiment_score(pp)),
            "p_negative": float(pp[0]), "p_neutral": float(pp[1]), "p_positive": float(pp[2]),
            "actors": [], "topics": [], "paragraph_hash": p.paragraph_hash, "model_key": model_key,
            "topic_scores": "{}", "embedding": pe.astype(np.float32),
        })
        for s, prob, emb in zip(sents, sp, se):
            sent_rows.append({
                "article_id": s.article_id, "paragraph_index": s.paragraph_index, "sentence_index": s.index,
                "start": s.start, "end": s.end, "text": s.text, "sentiment": label(prob),
                "sentiment_score": float(sentiment_score(prob)), "p_negative": float(prob[0]),
                "p_neutral": float(prob[1]), "p_positive": float(prob[2]), "embedding": emb.astype(np.float32),
            })

    progress("Finding actors and quotes", 0.7)
    mentions, quotes, docs = extract_actors_and_quotes(articles, sentences, engine)
    progress("Assigning topics and stance", 0.85)
    from .stance import stance_table
    from .topics import assign_topics

    tables = {
        "paragraphs": pd.DataFrame(para_rows, columns=schema.PARAGRAPH_STORE_COLUMNS),
        "sentences": pd.DataFrame(sent_rows, columns=schema.SENTENCE_COLUMNS),
        "mentions": mentions_table(mentions),
        "quotes": quotes_table(quotes, art_by_id, sentences, sent_probs_by_key),
    }
    fill_actor_lists(tables)
    assign_topics(tables, engine.topics)
    tables["stances"] = stance_table(articles, tables, engine, docs)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    tables["articles"] = pd.DataFrame([
        {"article_id": a.article_id, "source_file": a.source_file, "title": a.title, "date": a.date,
         "n_paragraphs": len(a.paragraphs), "added_at": now, "version": version} for a in articles
    ], columns=schema.ARTICLE_COLUMNS)
    return tables


def extract_actors_and_quotes(articles: list[Article], sentences: dict, engine: Engine):
    """spaCy once per paragraph (all the batch's paragraphs in one stream), then actors
    (mentions) and quotes per article. Returns the parses too, by (article id, paragraph index),
    for the stance stage."""
    from .quotes import extract_quotes

    mentions: list[schema.Mention] = []
    quotes: list[schema.Quote] = []
    parsed = engine.nlp.pipe([p.text for a in articles for p in a.paragraphs], batch_size=256)
    docs_by_key: dict[tuple[str, int], object] = {}
    for a in articles:
        docs = [next(parsed) for _ in a.paragraphs]
        docs_by_key.update({(a.article_id, p.index): d for p, d in zip(a.paragraphs, docs)})
        sents = [sentences[(a.article_id, p.index)] for p in a.paragraphs]
        art_mentions = engine.actors.extract(a, docs, sents)
        mentions.extend(art_mentions)
        quotes.extend(extract_quotes(a, docs, sents, art_mentions, engine.actors))
    return mentions, quotes, docs_by_key


def fill_actor_lists(tables: dict[str, pd.DataFrame]) -> None:
    """paragraphs.actors: each paragraph's canonical actors, in order of first mention."""
    paras, mentions = tables["paragraphs"], tables["mentions"]
    if paras.empty:
        return
    by_para: dict[tuple, list[str]] = {}
    for aid, pi, actor in mentions.sort_values(["article_id", "paragraph_index", "start"])[
            ["article_id", "paragraph_index", "actor"]].itertuples(index=False):
        lst = by_para.setdefault((aid, pi), [])
        if actor not in lst:
            lst.append(actor)
    paras["actors"] = [by_para.get(k, []) for k in zip(paras["article_id"], paras["paragraph_index"])]


def mentions_table(mentions: list[schema.Mention]) -> pd.DataFrame:
    return pd.DataFrame([{c: getattr(m, c) for c in schema.MENTION_COLUMNS} for m in mentions],
                        columns=schema.MENTION_COLUMNS)


def quotes_table(quotes: list[schema.Quote], art_by_id: dict, sentences: dict, sent_probs: dict) -> pd.DataFrame:
    """Quotes with the sentiment of the sentences they lie in (the engine's sentence model)."""
    from models.sentiment import label, sentiment_score

    rows = []
    for q in quotes:
        key = (q.article_id, q.paragraph_index)
        sents, probs = sentences[key], sent_probs[key]
        hit = [i for i, s in enumerate(sents) if s.start < q.end and q.start < s.end] or [q.sentence_index]
        pr = probs[hit].mean(0)
        a = art_by_id[q.article_id]
        rows.append({"article_id": q.article_id, "source_file": a.source_file, "paragraph_index": q.paragraph_index,
                     "speaker": q.speaker, "quote": q.quote, "sentiment": label(pr), "topics": [],
                     "sentence_index": q.sentence_index, "cue": q.cue, "start": q.start, "end": q.end,
                     "sentiment_score": float(sentiment_score(pr))})
    return pd.DataFrame(rows, columns=schema.QUOTE_STORE_COLUMNS)


# ---- files to store ----------------------------------------------------------------------------

def read_files(items: Iterable[tuple[str, bytes]], report: RunReport) -> list[Article]:
    """(name, bytes) pairs to articles; failures are recorded per file in the report.

    Files are named in the report by their display name (ingest.safe_display_name), never a
    path; `items` may be a generator, so that only one file's bytes are held at a time."""
    articles, first_file = [], {}
    for name, data in items:
        shown = safe_display_name(name)
        try:
            art = read_document(name, data)
        except IngestError as exc:
            reason = str(exc)
        except Exception as exc:  # a reader bug costs this file only, not the batch
            log.warning("reading %s failed: %r", shown, exc)
            log.debug("reading %s failed", shown, exc_info=True)
            reason = f"the file could not be read ({type(exc).__name__})"
        else:
            reason = None
        del data
        if reason is not None:
            report.errors.append({"file": shown, "error": reason})
            report.files.append({"file": shown, "status": "rejected", "reason": reason})
            continue
        if art.article_id in first_file:
            report.files.append({"file": shown, "status": "duplicate", "article_id": art.article_id,
                                 "title": art.title,
                                 "reason": f"the same article as {first_file[art.article_id]}, earlier in this batch"})
            continue
        first_file[art.article_id] = shown
        articles.append(art)
        report.files.append({"file": shown, "status": "pending", "article_id": art.article_id, "title": art.title})
    return articles


class _ArticleFailed(Exception):
    def __init__(self, article: Article, exc: BaseException):
        super().__init__(str(exc))
        self.article, self.exc = article, exc


def _record_failure(report: RunReport, failed: _ArticleFailed) -> None:
    exc = failed.exc
    detail = " ".join(str(exc).split())[:200]
    reason = f"scoring failed ({type(exc).__name__}{': ' + detail if detail else ''})"
    log.warning("scoring article %s failed: %r", failed.article.article_id, exc)
    for f in report.files:
        if f.get("article_id") == failed.article.article_id and f["status"] == "pending":
            f["status"], f["reason"] = "failed", reason
            report.errors.append({"file": f["file"], "error": reason})


def _score_and_store(chunk: list[Article], engine: Engine, report: RunReport, progress: Progress | None = None) -> None:
    """Score a chunk and store it. If scoring fails, the articles are scored one by one so that an
    article the models choke on costs only itself (raised as _ArticleFailed for a chunk of one).
    A failure shared by the chunk and its first article alike (a model that cannot load) is
    raised as it is; store errors always are."""
    part = RunReport()
    try:
        tables = score_articles(chunk, engine, part, progress=progress)
    except Exception as exc:
        if len(chunk) == 1:
            raise _ArticleFailed(chunk[0], exc) from exc
        for n, a in enumerate(chunk):
            try:
                _score_and_store([a], engine, report)
            except _ArticleFailed as failed:
                if n == 0 and type(failed.exc) is type(exc) and str(failed.exc) == str(exc):
                    raise exc from None
                _record_failure(report, failed)
        return
    report.scored += part.scored
    report.cached += part.cached
    written = engine.store.write(tables)
    report.added.extend(written)
    report.known.extend(a.article_id for a in chunk if a.article_id not in set(written))


def ingest_and_score(items: Iterable[tuple[str, bytes]], engine: Engine, progress: Progress | None = None,
                     chunk_articles: int = 64) -> RunReport:
    """Read, score what is new, and store it, in chunks so a long run stores as it goes."""
    t0 = time.perf_counter()
    report = RunReport()
    articles = read_files(items, report)
    known = engine.store.article_versions()
    version = engine.version
    todo = []
    for a in articles:
        report.articles += 1
        report.paragraphs += len(a.paragraphs)
        if known.get(a.article_id) == version:
            report.known.append(a.article_id)
            report.cached += len(a.paragraphs)
        else:
            todo.append(a)
    for i in range(0, len(todo), chunk_articles):
        chunk = todo[i:i + chunk_articles]
        base = i / max(len(todo), 1)
        span = len(chunk) / max(len(todo), 1)
        try:
            _score_and_store(chunk, engine, report,
                             progress=(lambda m, f, b=base, s=span: progress(m, b + s * f)) if progress else None)
        except _ArticleFailed as failed:
            _record_failure(report, failed)
    status = {aid: "added" for aid in report.added}
    status.update({aid: "known" for aid in report.known})
    for f in report.files:
        if f["status"] == "pending":
            f["status"] = status.get(f["article_id"], "known")
    report.seconds = time.perf_counter() - t0
    if progress:
        progress("Done", 1.0)
    return report


def score_paths(paths: list[str | Path], engine: Engine, progress: Progress | None = None) -> RunReport:
    """Files and folders on disk into the store. Sizes are checked before a file is read, and
    files are read one at a time as ingest goes (a folder of large files is never all in memory).
    Files are named in the report by their display name, as uploads are."""
    unreadable: list[dict] = []

    def items():
        for path in iter_paths(paths):
            try:
                if not path.is_file():
                    raise IngestError("not a regular file")
                check_size(path.stat().st_size)
                data = path.read_bytes()
            except IngestError as exc:
                unreadable.append({"file": safe_display_name(path.name), "error": str(exc)})
                continue
            except OSError as exc:
                unreadable.append({"file": safe_display_name(path.name),
                                   "error": f"cannot read the file: {exc.strerror or exc}"})
                continue
            yield path.name, data

    report = ingest_and_score(items(), engine, progress)
    report.errors = unreadable + report.errors
    report.files = [{"file": e["file"], "status": "rejected", "reason": e["error"]} for e in unreadable] + report.files
    return report
