"""Editing the topic list from the dashboard and re-assigning topics (and stances) from the
stored embeddings, without re-encoding a paragraph.

The edited list is saved as <store>/topics.yaml, beside the store it was applied to; the
engine of that store reads it from then on (dashboard.ui.data.get_engine), so uploads after an
edit use the same list. The re-assignment itself is the topic model's
(`reassign_store_topics`); where that function does not exist yet, `available()` says so and
the page shows the list read-only.
"""
from __future__ import annotations

import importlib
import os
import uuid
from pathlib import Path

import pandas as pd
import yaml

STORE_TOPICS_FILE = "topics.yaml"
REASSIGN_FUNCTION = "reassign_store_topics"


def store_topics_path(store_root) -> Path:
    return Path(store_root) / STORE_TOPICS_FILE


def topics_file_for(store_root, default: Path | None) -> Path | None:
    """The topics file a store's engine uses: the store's own edited list, else the default."""
    own = store_topics_path(store_root)
    return own if own.exists() else default


def reassign_function():
    """The topic model's re-assignment function, or None while it does not exist."""
    for module in ("dashboard.topics", "dashboard.stance"):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        fn = getattr(mod, REASSIGN_FUNCTION, None)
        if callable(fn):
            return fn
    return None


def available() -> bool:
    return reassign_function() is not None


def topics_frame(topics) -> pd.DataFrame:
    """Topic records to the editor's table (name, description, keywords as one string)."""
    rows = [{"name": t.name, "description": t.description, "keywords": ", ".join(getattr(t, "keywords", ()) or ())}
            for t in topics]
    return pd.DataFrame(rows, columns=["name", "description", "keywords"])


def frame_to_records(df: pd.DataFrame) -> list[dict]:
    """The editor's rows as topics-file records; blank rows dropped. Raises ValueError with a
    sentence for a row with no name, a duplicate name, or a topic with no description."""
    out, seen = [], set()
    for i, row in enumerate(df.fillna("").itertuples(index=False), start=1):
        name = " ".join(str(row.name).split())
        desc = " ".join(str(row.description).split())
        kws = [k.strip() for k in str(getattr(row, "keywords", "") or "").split(",") if k.strip()]
        if not (name or desc or kws):
            continue
        if not name:
            raise ValueError(f"Row {i} has no topic name.")
        if not desc:
            raise ValueError(f"Topic {name!r} needs a one-sentence description (it is what the model matches).")
        if name.lower() in seen:
            raise ValueError(f"Topic {name!r} appears twice.")
        seen.add(name.lower())
        rec = {"name": name, "description": desc}
        if kws:
            rec["keywords"] = kws
        out.append(rec)
    if not out:
        raise ValueError("The topic list is empty; keep at least one topic.")
    return out


def records_to_topics(records: list[dict]):
    from dashboard.topics import Topic

    parse = getattr(importlib.import_module("dashboard.topics"), "parse_topics", None)
    if callable(parse):
        return parse(records, source="the edited list")
    return [Topic(r["name"], r["description"], tuple(r.get("keywords", ()))) for r in records]


def to_yaml(records: list[dict]) -> str:
    head = "# Topics edited in the Stancewatch dashboard: name, one-sentence description, optional keywords.\n"
    return head + yaml.safe_dump(records, sort_keys=False, allow_unicode=True, width=100)


def save_topics(store_root, records: list[dict]) -> Path:
    """Write <store>/topics.yaml atomically."""
    path = store_topics_path(store_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(to_yaml(records), encoding="utf-8")
    os.replace(tmp, path)
    return path


def apply_topics(engine, records: list[dict]) -> list[str]:
    """Save the list beside the store, point the engine at it, and re-assign topics and stances
    of every stored article from the stored embeddings. Returns the article ids rewritten."""
    fn = reassign_function()
    if fn is None:
        raise RuntimeError("topic re-assignment is not available yet in this version of the engine")
    topics = records_to_topics(records)
    path = save_topics(engine.store.root, records)
    engine.topics_file = path
    engine._loaded.pop("topics", None)  # the engine's topic model is rebuilt from the new file
    return fn(engine.store, engine, topics=topics, version=engine.version)
