"""End to end on the seed with the real embedded model: ingest, encode, heads, store, CLI."""
import json
import subprocess
import sys

import pandas as pd
import pytest

from conftest import ROOT, SEEDS


def test_pipeline_seed_paragraphs_dated_with_one_heading(seed_store):
    from dashboard.store import Store

    t = Store(seed_store).read()
    p = t["paragraphs"].sort_values("paragraph_index")
    assert len(t["articles"]) == 1 and len(p) == 8
    assert p["is_heading"].tolist() == [False, False, False, True, False, False, False, False]
    assert p.loc[p["is_heading"], "text"].tolist() == ["Zelenskyy to visit Washington"]
    assert set(p["date"]) == {"2025-02-26"}
    assert not p["text"].str.contains(r"\bdate 2025", regex=True).any()
    assert p["text"].iloc[0].startswith("In a major shift in US foreign policy")
    probs = p[["p_negative", "p_neutral", "p_positive"]].to_numpy()
    assert ((probs.sum(1) - 1).__abs__() < 1e-4).all()
    assert ((p["sentiment_score"] >= -1) & (p["sentiment_score"] <= 1)).all()
    assert set(p["sentiment"]) <= {"negative", "neutral", "positive"}
    assert (t["sentences"].groupby("paragraph_index").size() >= 1).all()


def test_pipeline_second_run_scores_nothing(store_copy, engine_factory):
    from dashboard.pipeline import score_paths

    report = score_paths([SEEDS], engine_factory(store_copy))
    assert (report.scored, report.cached, report.articles, report.paragraphs) == (0, 8, 1, 8)
    assert report.known and not report.added


def test_pipeline_topics_change_reprocesses_without_reencoding(store_copy, engine_factory, tmp_path):
    from dashboard.pipeline import score_paths

    topics = tmp_path / "topics.yaml"
    topics.write_text("- name: Rare earth minerals\n  description: A deal on access to rare earth minerals.\n")
    eng = engine_factory(store_copy)
    eng2 = type(eng)(store=eng.store, topics_file=topics, actors_file=eng.actors_file)
    eng2._loaded = {k: v for k, v in eng._loaded.items() if k not in ("topics",)}
    assert eng2.version != eng.version and eng2.model_key == eng.model_key
    report = score_paths([SEEDS], eng2)
    assert report.scored == 0 and report.cached == 8 and len(report.added) == 1


def test_pipeline_new_model_version_rescores(store_copy, engine_factory, tmp_path):
    from dashboard.pipeline import Engine, score_paths
    from models.heads import TopLayersClassifier

    base = engine_factory(store_copy)
    head = tmp_path / "sentiment-copy.safetensors"
    # same parameters, saved again with other metadata: a new file, so a new model version
    TopLayersClassifier.load(base.registry["sentiment"].resolved_path(), base.encoder.model).save(
        head, {"note": "copy for a test"})
    eng = Engine(store=base.store, model_overrides={"sentiment": str(head)})
    eng._loaded = {"encoder": base.encoder}
    assert eng.model_key != base.model_key
    report = score_paths([SEEDS], eng)
    assert report.scored == 8 and report.cached == 0


def test_pipeline_same_paragraph_in_two_articles_is_encoded_once(tmp_path, engine_factory):
    from dashboard.pipeline import ingest_and_score

    shared = "The ministry welcomed the agreement and said talks would continue next week."
    items = [("a.txt", f"date 2025-03-01 First story opens here.\n\n{shared}\n".encode()),
             ("b.txt", f"date 2025-03-02 Second story opens differently.\n\n{shared}\n".encode())]
    report = ingest_and_score(items, engine_factory(tmp_path / "s"))
    assert report.paragraphs == 4 and report.scored == 3 and report.cached == 1
    assert len(report.added) == 2


def test_cli_score_seed_json_and_exports(tmp_path):
    store, out = tmp_path / "store", tmp_path / "out"
    cmd = [sys.executable, "-m", "dashboard", "score", str(SEEDS), "--store", str(store), "--out", str(out), "--json"]
    first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert summary["articles"] == 1 and summary["paragraphs"] == 8 and summary["scored"] == 8
    assert summary["errors"] == []
    paragraphs = pd.read_csv(out / "paragraphs.csv")
    assert list(paragraphs.columns) == [
        "article_id", "source_file", "title", "date", "paragraph_index", "is_heading", "text", "sentiment",
        "sentiment_score", "p_negative", "p_neutral", "p_positive", "actors", "topics"]
    assert len(paragraphs) == 8 and paragraphs["is_heading"].sum() == 1
    assert set(paragraphs["date"]) == {"2025-02-26"}
    assert list(pd.read_csv(out / "quotes.csv").columns) == [
        "article_id", "source_file", "paragraph_index", "speaker", "quote", "sentiment", "topics"]
    assert list(pd.read_csv(out / "stances.csv").columns) == [
        "article_id", "source_file", "paragraph_index", "actor", "topic", "stance", "confidence", "evidence"]
    second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert json.loads(second.stdout.strip().splitlines()[-1])["scored"] == 0
