"""The only place anything is cached.

- `st.cache_resource` for the engine (models load once per process and store directory);
- the prepared corpus (`analysis.build_corpus` over `Store.read()`) and its filtered views are
  cached as resources keyed by (store directory, store generation[, filters]): every write to
  the store bumps the generation, so a new article shows on every page at the next rerun;
- `st.cache_data` for the aggregations the pages show (small frames), keyed the same way.

Why the store read is a cache_resource and not cache_data: cache_data pickles its value on
write and unpickles a copy on every read. Measured on a 100,000-paragraph corpus that is 5-6 s
to store and 1.5-2.5 s per rerun; a resource is shared as-is. The pages treat these frames as
read-only (every analysis function copies before it changes anything).
"""
from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from dashboard import analysis
from dashboard.analysis import Corpus, Filters
from dashboard.pipeline import DEFAULT_TOPICS, SEEDS_DIR, Engine, score_paths
from dashboard.store import Store, StoreError, default_store_dir


@st.cache_resource(show_spinner=False)
def get_engine(store_dir: str) -> Engine:
    """The engine of one store; it uses the store's edited topic list when there is one."""
    from dashboard.ui.topics_edit import topics_file_for

    return Engine(store=Store(store_dir), topics_file=topics_file_for(store_dir, DEFAULT_TOPICS))


def store_dir() -> str:
    return str(Path(default_store_dir()).resolve())


def engine() -> Engine:
    return get_engine(store_dir())


def generation() -> int:
    return engine().store.generation()


def _read_tables(root: str) -> dict:
    """Store.read(), retried once: a concurrent write may collect a segment mid-read."""
    store = Store(root)
    for attempt in range(3):
        try:
            return store.read()
        except StoreError:
            if attempt == 2:
                raise
            time.sleep(0.2)
    raise AssertionError("unreachable")


@st.cache_resource(show_spinner="Reading the store …", max_entries=2)
def _corpus(root: str, gen: int) -> Corpus:
    return analysis.build_corpus(_read_tables(root))


@st.cache_resource(show_spinner=False, max_entries=24)
def _view(root: str, gen: int, filters: Filters) -> Corpus:
    return analysis.apply_filters(_corpus(root, gen), filters)


def corpus() -> Corpus:
    """Everything in the store, prepared for the analysis functions (read-only)."""
    return _corpus(store_dir(), generation())


def view(filters: Filters) -> Corpus:
    """The corpus restricted to the filters (read-only)."""
    return _view(store_dir(), generation(), filters)


def tables() -> dict:
    """The prepared tables by name (read-only)."""
    c = corpus()
    return {"articles": c.articles, "paragraphs": c.paragraphs, "mentions": c.mentions,
            "quotes": c.quotes, "stances": c.stances}


@st.cache_data(show_spinner=False, max_entries=256)
def _aggregate(name: str, root: str, gen: int, filters: Filters, kwargs: tuple):
    return getattr(analysis, name)(_view(root, gen, filters), **dict(kwargs))


def aggregate(name: str, filters: Filters, **kwargs):
    """analysis.<name>(filtered view, **kwargs), cached per store generation and filters."""
    return _aggregate(name, store_dir(), generation(), filters, tuple(sorted(kwargs.items())))


@st.cache_data(show_spinner=False, max_entries=8)
def _options(root: str, gen: int) -> dict:
    return analysis.filter_options(_corpus(root, gen))


def filter_options() -> dict:
    return _options(store_dir(), generation())


def ensure_seeded() -> None:
    """On an empty store, score seeds/ with a progress bar."""
    eng = engine()
    if eng.store.manifest()["articles"]:
        return
    bar = st.progress(0.0, text="First start: scoring the example articles in seeds/ …")
    try:
        report = score_paths([SEEDS_DIR], eng,
                             progress=lambda msg, frac: bar.progress(min(max(frac, 0.0), 1.0), text=msg))
    except (RuntimeError, OSError, ValueError) as exc:
        bar.empty()
        st.error(f"The example articles could not be scored: {exc}. Upload articles on the Upload page, "
                 "or score a folder with `python -m dashboard score PATH`.")
        return
    bar.empty()
    if report.errors:
        st.warning("Some example articles could not be added: "
                   + "; ".join(f"{e['file']}: {e['error']}" for e in report.errors))
