"""Editing the topic list from the dashboard re-assigns topics without re-encoding paragraphs."""
from __future__ import annotations

import pandas as pd
import pytest

from dashboard.store import Store
from dashboard.ui import topics_edit

from test_app_pages import APP, ok, router_runs_every_time, sentiment_weights_or_untrained  # noqa: F401

NEW_TOPICS = pd.DataFrame([
    {"name": "Rare earths", "description": "Access to Ukraine's critical minerals and rare earth deposits.",
     "keywords": "rare earth, minerals"},
    {"name": "Europe's own defence", "description": "European countries defending themselves and paying for it.",
     "keywords": ""},
    {"name": "", "description": "", "keywords": ""},  # a blank row from the editor is ignored
])


def test_topics_edit_rows_to_records_with_clear_errors():
    records = topics_edit.frame_to_records(NEW_TOPICS)
    assert [r["name"] for r in records] == ["Rare earths", "Europe's own defence"]
    assert records[0]["keywords"] == ["rare earth", "minerals"] and "keywords" not in records[1]
    with pytest.raises(ValueError, match="no topic name"):
        topics_edit.frame_to_records(pd.DataFrame([{"name": "", "description": "x", "keywords": ""}]))
    with pytest.raises(ValueError, match="appears twice"):
        topics_edit.frame_to_records(pd.DataFrame([{"name": "A", "description": "x", "keywords": ""},
                                                   {"name": "a", "description": "y", "keywords": ""}]))
    with pytest.raises(ValueError, match="description"):
        topics_edit.frame_to_records(pd.DataFrame([{"name": "A", "description": " ", "keywords": ""}]))
    with pytest.raises(ValueError, match="empty"):
        topics_edit.frame_to_records(NEW_TOPICS.iloc[2:])


def test_topics_edit_reassigns_from_stored_embeddings(store_copy, engine_factory, monkeypatch):
    if not topics_edit.available():
        pytest.skip("topic re-assignment is not available yet: no reassign_store_topics in the engine")
    eng = engine_factory(store_copy)
    eng._loaded = dict(eng._loaded)  # this engine's topic model changes; keep the session's shared one
    store = Store(store_copy)
    sentences = set(store.read_table("sentences")["text"])
    encoded: list[str] = []
    run = type(eng.encoder).run

    def spy(self, texts, *a, **kw):
        encoded.extend(texts)
        return run(self, texts, *a, **kw)

    monkeypatch.setattr(type(eng.encoder), "run", spy)
    ids = topics_edit.apply_topics(eng, topics_edit.frame_to_records(NEW_TOPICS))

    assert set(ids) == set(store.read_table("articles")["article_id"])
    assert not sentences & set(encoded), "paragraph sentences were encoded again"
    topics = {t for ts in store.read_table("paragraphs")["topics"] for t in ts}
    assert topics and topics <= {"Rare earths", "Europe's own defence"}
    assert (store_copy / "topics.yaml").exists() and eng.topics_file == store_copy / "topics.yaml"
    assert set(store.article_versions().values()) == {eng.version}

    # the Topics page shows the store's own list and the new topics
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("STANCEWATCH_STORE", str(store_copy))
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("pages/topics.py").run()
    ok(at)
    assert any("2 topics, from this store's own list" in c.value for c in at.caption)
    assert not at.warning
