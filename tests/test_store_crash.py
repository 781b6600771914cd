"""Issue 7, crashes: a run killed with kill -9 at any moment leaves the store readable with every
article stored before intact; orphans of killed runs are cleaned; readers survive a segment
being collected under them.

This file is also the driver the kill and concurrency tests start as a subprocess:

    python tests/test_store_crash.py write-loop STORE START   # fake tables, store only
    python tests/test_store_crash.py score-loop STORE START   # the real pipeline, one article a run

Each prints `stored <article_id> <n_paragraphs>` once a write has returned. With
STANCEWATCH_TEST_WRITE_DELAY set, the store announces every step of a write on stderr
(`stancewatch-store-step <step>`) and sleeps there, so the test can kill inside a write.
"""
from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # when run as the driver script
    sys.path.insert(0, str(ROOT))

from dashboard import schema  # noqa: E402
from dashboard.store import Store, StoreError, empty_table  # noqa: E402

UNTRAINED = Path("/tmp/untrained_sentiment.safetensors")  # made by the sentiment trainer's session
STEP = "stancewatch-store-step"


# ---- helpers shared with the other store and CLI tests -------------------------------------------

def fake_tables(ids: list[str], version: str = "v1", n_paragraphs: int = 3) -> dict[str, pd.DataFrame]:
    """Tables for articles `ids` with every stored column (no model needed)."""
    arts, paras, sents = [], [], []
    for aid in ids:
        arts.append({"article_id": aid, "source_file": f"{aid}.txt", "title": f"Title {aid}", "date": "2025-01-01",
                     "n_paragraphs": n_paragraphs, "added_at": "2025-01-01T00:00:00+00:00", "version": version})
        for i in range(n_paragraphs):
            paras.append({"article_id": aid, "source_file": f"{aid}.txt", "title": f"Title {aid}",
                          "date": "2025-01-01", "paragraph_index": i, "is_heading": False,
                          "text": f"Paragraph {i} of {aid}.", "sentiment": "neutral", "sentiment_score": 0.0,
                          "p_negative": 0.1, "p_neutral": 0.8, "p_positive": 0.1, "actors": [], "topics": [],
                          "paragraph_hash": f"{aid}-{i}", "model_key": "mk", "topic_scores": "{}",
                          "embedding": np.full(4, i, dtype=np.float32)})
            sents.append({"article_id": aid, "paragraph_index": i, "sentence_index": 0, "start": 0, "end": 10,
                          "text": f"Paragraph {i} of {aid}.", "sentiment": "neutral", "sentiment_score": 0.0,
                          "p_negative": 0.1, "p_neutral": 0.8, "p_positive": 0.1,
                          "embedding": np.full(4, i, dtype=np.float32)})
    return {"articles": pd.DataFrame(arts, columns=schema.ARTICLE_COLUMNS),
            "paragraphs": pd.DataFrame(paras, columns=schema.PARAGRAPH_STORE_COLUMNS),
            "sentences": pd.DataFrame(sents, columns=schema.SENTENCE_COLUMNS),
            "mentions": empty_table("mentions"), "quotes": empty_table("quotes"), "stances": empty_table("stances")}


def check_store(root: Path, stored: dict[str, int]) -> set[str]:
    """The store opens and reads; every article in `stored` (id -> paragraphs) is there whole;
    no article or paragraph is there twice. Returns the ids stored."""
    store = Store(root)
    manifest = store.manifest()
    tables = store.read()
    arts, paras, sents = tables["articles"], tables["paragraphs"], tables["sentences"]
    ids = set(arts["article_id"])
    assert ids == set(manifest["articles"])
    assert not arts["article_id"].duplicated().any()
    assert not paras.duplicated(["article_id", "paragraph_index"]).any()
    assert not sents.duplicated(["article_id", "paragraph_index", "sentence_index"]).any()
    missing = set(stored) - ids
    assert not missing, f"articles stored before the kill are gone: {missing}"
    per_article = paras.groupby("article_id").size()
    for aid, n in zip(arts["article_id"], arts["n_paragraphs"]):
        assert per_article.get(aid, 0) == n, aid
        if aid in stored:
            assert n == stored[aid]
    assert set(sents["article_id"]) == ids
    return ids


def untrained_head(role: str) -> Path:
    """A head with random weights for `role`, made once (seeded, so its version key is stable):
    it stands in while a trained head is missing, for tests that check storage, not scores."""
    from dashboard.schema import SENTIMENT_LABELS, STANCE_LABELS

    if role == "sentiment" and UNTRAINED.exists():
        return UNTRAINED
    path = Path(tempfile.gettempdir()) / "stancewatch_test_heads" / f"untrained_{role}.safetensors"
    if not path.exists():
        import torch

        from models.encoder import Encoder
        from models.heads import TopLayersClassifier

        torch.manual_seed(0)
        head = TopLayersClassifier(Encoder().model, 2, SENTIMENT_LABELS if role == "sentiment" else STANCE_LABELS)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        head.save(tmp, {"task": f"untrained {role} head for tests"})
        os.replace(tmp, path)
    return path


def scoring_env() -> dict[str, str]:
    """The environment for a subprocess that scores: the real embedded encoder and spaCy model;
    a trained head that is not there yet (models/weights/<role>.safetensors) is replaced by an
    untrained one. These tests assert what is stored, never the scores."""
    env = {k: v for k, v in os.environ.items() if k not in ("STANCEWATCH_STORE", "STANCEWATCH_TEST_WRITE_DELAY")}
    env["PYTHONPATH"] = str(ROOT)
    env.setdefault("STANCEWATCH_THREADS", "1")  # two processes share 2 cores in the concurrency test
    for role in ("sentiment", "stance"):
        if not (ROOT / "models" / "weights" / f"{role}.safetensors").exists():
            env[f"STANCEWATCH_MODEL_{role.upper()}"] = str(untrained_head(role))
    return env


def store_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("STANCEWATCH_STORE", "STANCEWATCH_TEST_WRITE_DELAY")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def article_text(i: int) -> str:
    return (f"Harbour report {i}\n\nThe council of ward {i} approved budget item {i} on Monday. "
            f"Mayor Anna Berg said vote {i} was close.\n\nFishermen in ward {i} protested.\n")


class Driver:
    """A driver subprocess whose output lines are read as they come."""

    def __init__(self, mode: str, root: Path, start: int, env: dict, *extra: str):
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__)), mode, str(root), str(start), *extra],
                                     cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue = queue.Queue()
        self.log: list[str] = []
        self.stored: dict[str, int] = {}
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def next_line(self, timeout: float) -> str | None:
        line = self.lines.get(timeout=timeout)
        if line is not None:
            self.log.append(line)
            if line.startswith("stored "):
                _, aid, n = line.split()
                self.stored[aid] = int(n)
        return line

    def wait_for(self, predicate, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out; output so far:\n" + "\n".join(self.log[-30:]))
            try:
                line = self.next_line(left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError("the driver ended early:\n" + "\n".join(self.log[-30:]))
            if predicate(line):
                return line

    def drain(self, timeout: float = 60) -> None:
        """Read the output to its end (the process has ended or is about to)."""
        while self.next_line(timeout) is not None:
            pass

    def kill9(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        while True:  # the lines printed before the kill
            try:
                if self.next_line(0.5) is None:
                    break
            except queue.Empty:
                break
        assert self.proc.returncode == -signal.SIGKILL


# ---- orphans and readers (in process, no model) ------------------------------------------------

def test_store_orphans_of_killed_runs_are_cleaned(tmp_path):
    store = Store(tmp_path / "store")
    store.write(fake_tables(["a1"]))
    seg = store.manifest()["articles"]["a1"]["segment"]
    orphans = [store.segments_dir / ".tmp-00000009-deadbeef", store.segments_dir / "00000009-cafebabe"]
    for d in orphans:
        d.mkdir()
        (d / "articles.parquet").write_bytes(b"half a file")
    manifest_tmp = store.root / ".manifest.json.0123abcd.tmp"
    manifest_tmp.write_text('{"format": 1, "gen')
    assert check_store(store.root, {"a1": 3}) == {"a1"}  # readers ignore all of it

    store.write(fake_tables(["a2"]))
    live = {e["segment"] for e in store.manifest()["articles"].values()}
    assert {p.name for p in store.segments_dir.iterdir()} == live and seg in live
    assert not manifest_tmp.exists()

    orphans[0].mkdir()
    assert store.collect_garbage() == ["segments/" + orphans[0].name]
    assert sorted(p.name for p in store.root.iterdir()) == [".lock", "manifest.json", "segments"]


def test_store_reader_retries_when_a_segment_is_collected_under_it(tmp_path):
    store = Store(tmp_path / "store")
    for i in range(3):
        store.write(fake_tables([f"a{i}"]))
    stale = store.manifest()
    store.compact()  # one new segment; the three the stale manifest names are collected
    assert not any((store.segments_dir / e["segment"]).exists() for e in stale["articles"].values())

    df = store.read_table("paragraphs", manifest=stale)
    assert sorted(set(df["article_id"])) == ["a0", "a1", "a2"] and len(df) == 9
    df = store.read_table("sentences", manifest=stale, article_ids={"a1"})
    assert set(df["article_id"]) == {"a1"}

    # an article deleted since the stale manifest is not brought back by the retry
    store.write(fake_tables(["a3"]))
    store.delete({"a0"})
    store.compact()
    df = store.read_table("articles", manifest=stale)
    assert sorted(df["article_id"]) == ["a1", "a2"]

    # read(): the first manifest it sees is stale, the retry reads a fresh one
    real = Store.manifest
    calls = []

    def first_stale(self):
        calls.append(1)
        return stale if len(calls) == 1 else real(self)

    try:
        Store.manifest = first_stale
        tables = store.read()
    finally:
        Store.manifest = real
    assert len(calls) == 2 and sorted(tables["articles"]["article_id"]) == ["a1", "a2", "a3"]


def test_store_segment_removed_by_hand_is_a_clear_error(tmp_path):
    store = Store(tmp_path / "store")
    store.write(fake_tables(["a1"]))
    seg = store.manifest()["articles"]["a1"]["segment"]
    (store.segments_dir / seg / "paragraphs.parquet").unlink()
    with pytest.raises(StoreError, match=r"the store is missing segments/.*paragraphs.parquet"):
        store.read()


def test_store_damaged_manifest_and_files_are_clear_errors(tmp_path):
    store = Store(tmp_path / "store")
    store.write(fake_tables(["a1"]))
    seg = store.manifest()["articles"]["a1"]["segment"]
    (store.segments_dir / seg / "articles.parquet").write_bytes(b"not parquet")
    with pytest.raises(StoreError, match="is damaged"):
        store.read()
    (store.root / "manifest.json").write_text("{")
    with pytest.raises(StoreError, match="manifest .* is unreadable"):
        store.read()


def test_store_same_article_twice_in_one_write_is_refused(tmp_path):
    tables = fake_tables(["a1"])
    tables["articles"] = pd.concat([tables["articles"]] * 2, ignore_index=True)
    with pytest.raises(StoreError, match="twice"):
        Store(tmp_path / "store").write(tables)


def test_store_never_pickles():
    """Stored data is parquet or JSON; nothing in the engine loads or writes pickles."""
    offenders = []
    for folder in ("dashboard", "models", "pages"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for needle in ("import pickle", "pickle.load", "read_pickle", "to_pickle", "allow_pickle=True",
                           "joblib", "import dill", "cloudpickle"):
                if needle in text:
                    offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert not offenders, offenders


def test_store_files_are_parquet_and_json_only(tmp_path):
    store = Store(tmp_path / "store")
    store.write(fake_tables(["a1", "a2"]))
    store.write(fake_tables(["a3"]))
    for path in store.root.rglob("*"):
        if path.is_file():
            assert path.name in ("manifest.json", ".lock") or path.suffix == ".parquet", path
            if path.suffix == ".parquet":
                assert path.read_bytes()[:4] == b"PAR1"


# ---- kill -9 ---------------------------------------------------------------------------------

KILL_STEPS = ["segment-started", "table-written paragraphs", "table-written stances", "segment-renamed",
              "manifest-tmp-written", "manifest-replaced"]


def test_store_kill9_at_every_step_of_a_write_and_at_random_moments(tmp_path):
    """Store-only driver (starts in a second): killed once at each step of a write, then at
    random moments; after every kill the store reads, with everything stored before intact."""
    root = tmp_path / "store"
    rng = random.Random(7)
    stored: dict[str, int] = {}
    start = 0
    plans = [("step", s) for s in KILL_STEPS] + [("random", rng.uniform(0.05, 0.6)) for _ in range(4)]
    env = store_env()
    env["STANCEWATCH_TEST_WRITE_DELAY"] = "0.02"
    for kind, target in plans:
        d = Driver("write-loop", root, start, env)
        d.wait_for(lambda line: line.startswith("stored "), timeout=60)  # at least one write done
        if kind == "step":
            d.wait_for(lambda line, t=target: line == f"{STEP} {t}", timeout=60)
        else:
            time.sleep(target)
        d.kill9()
        stored.update(d.stored)
        ids = check_store(root, stored)
        start += 1000
        assert len(ids) >= len(stored)
    # the next write cleans whatever the kills left behind
    store = Store(root)
    store.write(fake_tables(["final"]))
    live = {e["segment"] for e in store.manifest()["articles"].values()}
    assert {p.name for p in store.segments_dir.iterdir()} == live
    assert not list(root.glob(".manifest.json.*.tmp"))
    check_store(root, {**stored, "final": 3})


def test_store_kill9_during_a_real_scoring_run(tmp_path):
    """The real pipeline scoring one small article per run in a loop, killed twice: once between
    the segment rename and the manifest replace, once at a random moment."""
    root = tmp_path / "store"
    env = scoring_env()
    env["STANCEWATCH_TEST_WRITE_DELAY"] = "0.05"
    stored: dict[str, int] = {}
    rng = random.Random(11)
    for start, target in ((0, "segment-renamed"), (100, None)):
        d = Driver("score-loop", root, start, env)
        d.wait_for(lambda line: line.startswith("stored "), timeout=120)
        if target:
            d.wait_for(lambda line, t=target: line == f"{STEP} {t}", timeout=60)
        else:
            time.sleep(rng.uniform(0.1, 1.0))
        d.kill9()
        stored.update(d.stored)
        assert all(n == 3 for n in d.stored.values())
        check_store(root, stored)
    tables = Store(root).read()
    assert len(stored) >= 2 and (tables["sentences"]["text"].str.len() > 0).all()
    assert tables["paragraphs"]["text"].str.contains("approved budget item").any()


# ---- the driver --------------------------------------------------------------------------------

def _write_loop(root: str, start: int) -> None:
    store = Store(root)
    for i in range(start, start + 10_000):
        aid = f"art{i:06d}"
        for written in store.write(fake_tables([aid], n_paragraphs=1 + i % 4)):
            print("stored", written, 1 + i % 4, flush=True)


def _score_loop(root: str, start: int) -> None:
    from dashboard.pipeline import Engine, ingest_and_score

    engine = Engine(store=Store(root))
    for i in range(start, start + 10_000):
        report = ingest_and_score([(f"report_{i}.txt", article_text(i).encode())], engine)
        assert not report.errors, report.errors
        for aid in report.added:
            print("stored", aid, report.paragraphs, flush=True)


def _write_ids(root: str, start: int, count: int, compact_after: int) -> None:
    """Articles art<start>..art<start+count-1>, one write each, compacting every few segments
    (so segments are collected under concurrent readers)."""
    import dashboard.store

    dashboard.store.COMPACT_AFTER = compact_after
    store = Store(root)
    for i in range(start, start + count):
        aid = f"art{i:06d}"
        print("stored" if store.write(fake_tables([aid])) else "known", aid, 3, flush=True)


if __name__ == "__main__":
    mode, store_root, first = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "write-ids":
        _write_ids(store_root, first, int(sys.argv[4]), int(sys.argv[5]))
    else:
        {"write-loop": _write_loop, "score-loop": _score_loop}[mode](store_root, first)
