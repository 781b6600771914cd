"""Fixtures, defined once. The real embedded model is used wherever a test scores text."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def engine_factory():
    """Engine(store=...) with the default registry; models are loaded once per session."""
    from dashboard.pipeline import Engine
    from dashboard.store import Store

    shared: dict = {}

    def make(store_dir, **kw) -> Engine:
        eng = Engine(store=Store(store_dir), **kw)
        if not kw:
            eng._loaded = shared  # same models for every engine with the default configuration
        return eng

    return make


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory, engine_factory):
    """A store with the seeds scored once for the whole session (do not write to it)."""
    from dashboard.pipeline import score_paths

    root = tmp_path_factory.mktemp("seed_store")
    eng = engine_factory(root)
    report = score_paths([SEEDS], eng)
    assert not report.errors
    return root


@pytest.fixture
def store_copy(seed_store, tmp_path):
    """A writable copy of the seeded store."""
    dst = tmp_path / "store"
    shutil.copytree(seed_store, dst, ignore=shutil.ignore_patterns(".lock"))
    return dst
