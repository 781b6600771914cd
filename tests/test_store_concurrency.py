"""Issue 7, concurrency: two scoring runs on one store at once lose nothing and duplicate
nothing (the file lock around writes; the manifest re-read inside it), and readers keep reading
while writers compact and collect segments under them."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

from test_ingest_bad_inputs import good_text
from test_store_crash import ROOT, Driver, check_store, fake_tables, scoring_env, store_env

from dashboard.store import SegmentMissing, Store


def test_store_two_writer_processes_and_a_reader_lose_and_duplicate_nothing(tmp_path, monkeypatch):
    """Two processes write overlapping articles one write at a time, compacting every 3
    segments, while this process reads the store in a loop."""
    root = tmp_path / "store"
    missed = []  # reads that found a segment collected under them (and read again)
    real = Store._read_segments

    def counting(self, *args):
        try:
            return real(self, *args)
        except SegmentMissing:
            missed.append(1)
            raise

    monkeypatch.setattr(Store, "_read_segments", counting)
    a = Driver("write-ids", root, 0, store_env(), "30", "3")
    b = Driver("write-ids", root, 15, store_env(), "30", "3")  # art000015..art000029 overlap
    reads, last = 0, 0
    while a.proc.poll() is None or b.proc.poll() is None:
        if (root / "manifest.json").exists():
            tables = Store(root).read()  # never fails, never sees half an article
            n = len(tables["articles"])
            assert n >= last and len(tables["paragraphs"]) == 3 * n
            last, reads = n, reads + 1
        else:
            time.sleep(0.01)
    for d in (a, b):
        d.drain()
        assert d.proc.wait(timeout=30) == 0, "\n".join(d.log[-20:])
    stored_a = {line.split()[1] for line in a.log if line.startswith("stored ")}
    stored_b = {line.split()[1] for line in b.log if line.startswith("stored ")}
    everything = {f"art{i:06d}" for i in range(45)}
    assert not stored_a & stored_b, "an article was written by both processes"
    assert stored_a | stored_b == everything
    assert check_store(root, {aid: 3 for aid in everything}) == everything
    assert reads > 5
    print(f"{reads} reads, {len(missed)} found a segment collected under them")


def test_store_two_cli_scoring_runs_at_once(tmp_path):
    """Two `python -m dashboard score` processes on overlapping folders and one store, with
    writes slowed down so that they contend for the lock: 9 distinct articles stored once each."""
    folders = {"a": range(0, 6), "b": range(3, 9)}
    for name, numbers in folders.items():
        (tmp_path / name).mkdir()
        for i in numbers:
            (tmp_path / name / f"article_{i}.txt").write_text(good_text(i), encoding="utf-8")
    store = tmp_path / "store"
    env = scoring_env()
    env["STANCEWATCH_TEST_WRITE_DELAY"] = "0.2"
    procs = [subprocess.Popen([sys.executable, "-m", "dashboard", "score", str(tmp_path / name), "--store", str(store),
                               "--json"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in folders]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
        assert "Traceback" not in err
    summaries = [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]
    assert [s["errors"] for s in summaries] == [[], []]
    assert sum(s["added"] for s in summaries) == 9  # each article written by exactly one run
    assert [s["added"] + s["known"] for s in summaries] == [6, 6]
    ids = check_store(store, {})
    assert len(ids) == 9
    paragraphs = Store(store).read()["paragraphs"]
    assert sorted(paragraphs.groupby("article_id").size()) == [2] * 9


def test_store_two_threads_like_two_browser_sessions(tmp_path):
    """Streamlit serves sessions from threads of one process: one shared Store and a second
    one on the same folder write overlapping articles at once; the lock serialises them all."""
    shared = Store(tmp_path / "store")
    written: list[list[str]] = [[], [], []]
    errors = []

    def session(k: int, store: Store, numbers: range):
        try:
            for i in numbers:
                written[k].extend(store.write(fake_tables([f"t{i:03d}"])))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(0, shared, range(0, 20))),
               threading.Thread(target=session, args=(1, shared, range(10, 30))),
               threading.Thread(target=session, args=(2, Store(tmp_path / "store"), range(5, 25)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    everything = {f"t{i:03d}" for i in range(30)}
    assert sorted(sum(written, [])) == sorted(everything)  # each article written exactly once
    assert check_store(tmp_path / "store", {aid: 3 for aid in everything}) == everything
