"""The only place anything is cached: models (cache_resource) and store reads (cache_data,
keyed by the store's generation so a write invalidates them)."""
from __future__ import annotations

import streamlit as st

from dashboard.pipeline import SEEDS_DIR, Engine, score_paths
from dashboard.store import Store, default_store_dir


@st.cache_resource(show_spinner=False)
def get_engine(store_dir: str) -> Engine:
    return Engine(store=Store(store_dir))


def engine() -> Engine:
    return get_engine(str(default_store_dir()))


@st.cache_data(show_spinner=False, max_entries=4)
def _tables(store_dir: str, generation: int) -> dict:
    return Store(store_dir).read()


def tables() -> dict:
    store = engine().store
    return _tables(str(store.root), store.generation())


def ensure_seeded() -> None:
    """On an empty store, score seeds/ with a progress bar."""
    eng = engine()
    if eng.store.manifest()["articles"]:
        return
    bar = st.progress(0.0, text="First start: scoring the example articles in seeds/ …")
    score_paths([SEEDS_DIR], eng, progress=lambda msg, frac: bar.progress(min(max(frac, 0.0), 1.0), text=msg))
    bar.empty()
