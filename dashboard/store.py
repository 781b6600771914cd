"""The on-disk cache: pandas tables persisted as parquet, crash-safe and shared between processes.

Layout of a store directory:

    manifest.json            which segment holds each article (replaced atomically)
    segments/<gen>-<uuid>/   one folder per write: <table>.parquet for every table
    .lock                    file lock held around every write

A write puts a whole new segment in a temporary folder, renames it into place, then replaces
the manifest with os.replace: a process killed at any moment leaves the previous manifest, and
so every article stored before, intact. Two writers serialise on the lock and re-read the
manifest inside it, so nothing is lost or stored twice. Parquet and JSON only, never pickle.

Folders and files no manifest names (a `.tmp-` segment or a manifest temp file left by a killed
run, a segment renamed into place just before the kill) are removed by the next write, delete,
compaction or `collect_garbage()`. Readers take no lock: a reader that finds a segment gone
(collected by a writer between its reading the manifest and the files) reads again with a fresh
manifest (READ_ATTEMPTS in all).

Tests may set STANCEWATCH_TEST_WRITE_DELAY (seconds) to slow every step of a write down and
have each step announced on stderr, so that a process can be killed in the middle of one.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
from filelock import FileLock, Timeout

from . import schema

MANIFEST = "manifest.json"
FORMAT = 1
COMPACT_AFTER = 64  # segments; a write past this many rewrites the store as one segment
LOCK_TIMEOUT_S = 600
# A reader that finds a segment collected under it reads again with a fresh manifest; a segment
# can only go missing again if another compaction lands within that read, so a few tries suffice
# (a segment missing every time was removed by hand: the error says which).
READ_ATTEMPTS = 3

TABLE_COLUMNS = {
    "articles": schema.ARTICLE_COLUMNS,
    "paragraphs": schema.PARAGRAPH_STORE_COLUMNS,
    "sentences": schema.SENTENCE_COLUMNS,
    "mentions": schema.MENTION_COLUMNS,
    "quotes": schema.QUOTE_STORE_COLUMNS,
    "stances": schema.STANCE_STORE_COLUMNS,
}
HEAVY_COLUMNS = {"embedding"}  # left out of reads unless asked for


class StoreError(RuntimeError):
    pass


class SegmentMissing(StoreError):
    """A segment the manifest names is not on disk (collected by a concurrent write, or removed by hand)."""


TEST_DELAY_ENV = "STANCEWATCH_TEST_WRITE_DELAY"


def _test_pause(step: str) -> None:
    """The kill test's slow-down hook: a no-op unless STANCEWATCH_TEST_WRITE_DELAY is set."""
    delay = os.environ.get(TEST_DELAY_ENV)
    if not delay:
        return
    print(f"stancewatch-store-step {step}", file=sys.stderr, flush=True)
    time.sleep(float(delay))


def default_store_dir() -> Path:
    return Path(os.environ.get("STANCEWATCH_STORE") or Path(__file__).resolve().parent.parent / "data")


def empty_table(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in TABLE_COLUMNS[name]})


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f)
        f.flush()
        os.fsync(f.fileno())
    _test_pause("manifest-tmp-written")
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class Store:
    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_store_dir()
        self.segments_dir = self.root / "segments"
        self.lock = FileLock(str(self.root / ".lock"), timeout=LOCK_TIMEOUT_S)

    # ---- manifest ----
    def _ensure_dirs(self) -> None:
        try:
            self.segments_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store at {self.root}: {exc.strerror}") from None

    def manifest(self) -> dict:
        path = self.root / MANIFEST
        if not path.exists():
            return {"format": FORMAT, "generation": 0, "articles": {}}
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError) as exc:
            raise StoreError(f"the store manifest {path} is unreadable: {exc}") from None
        if data.get("format") != FORMAT:
            raise StoreError(f"the store at {self.root} has format {data.get('format')}, expected {FORMAT}")
        return data

    def generation(self) -> int:
        """Changes on every write: the key page caches are invalidated by."""
        return int(self.manifest().get("generation", 0))

    def article_versions(self) -> dict[str, str]:
        return {aid: entry["version"] for aid, entry in self.manifest()["articles"].items()}

    # ---- reads ----
    def read_table(self, name: str, columns: list[str] | None = None, *, manifest: dict | None = None,
                   article_ids: set[str] | None = None) -> pd.DataFrame:
        """One table, for the articles of `manifest` (default: the current one).

        If a segment was collected meanwhile, the read is retried with a fresh manifest,
        restricted to the articles the given manifest had (so tables read with one manifest
        still describe the same articles, less any deleted in between)."""
        if manifest is not None:
            try:
                return self._read_segments(name, columns, manifest, article_ids)
            except SegmentMissing:
                known = set(manifest["articles"])
                article_ids = known if article_ids is None else set(article_ids) & known
        for attempt in range(READ_ATTEMPTS):
            try:
                return self._read_segments(name, columns, self.manifest(), article_ids)
            except SegmentMissing:
                if attempt == READ_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def read(self, tables: tuple[str, ...] = schema.TABLES) -> dict[str, pd.DataFrame]:
        """Every table from one manifest (read again with a fresh one if a segment was collected)."""
        for attempt in range(READ_ATTEMPTS):
            manifest = self.manifest()
            try:
                return {name: self._read_segments(name, None, manifest, None) for name in tables}
            except SegmentMissing:
                if attempt == READ_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _read_segments(self, name: str, columns: list[str] | None, manifest: dict,
                       article_ids: set[str] | None) -> pd.DataFrame:
        wanted = columns or [c for c in TABLE_COLUMNS[name] if c not in HEAVY_COLUMNS]
        by_segment: dict[str, set[str]] = {}
        for aid, entry in manifest["articles"].items():
            if article_ids is None or aid in article_ids:
                by_segment.setdefault(entry["segment"], set()).add(aid)
        frames = []
        for seg, ids in sorted(by_segment.items()):
            path = self.segments_dir / seg / f"{name}.parquet"
            rel = path.relative_to(self.root)
            try:
                df = pd.read_parquet(path, columns=wanted)
            except Exception as exc:
                if not path.exists():
                    raise SegmentMissing(f"the store is missing {rel} (changed by hand, or by another "
                                         "program while it was read)") from None
                if isinstance(exc, OSError):
                    raise StoreError(f"the store file {rel} is unreadable: {exc}") from None
                raise StoreError(f"the store file {rel} is damaged ({type(exc).__name__}); "
                                 "remove the store folder to rebuild it") from None
            frames.append(df[df["article_id"].isin(ids)])
        if not frames:
            return empty_table(name)[wanted]
        frames = [f for f in frames if len(f)] or frames[:1]
        return pd.concat(frames, ignore_index=True)

    def _locked(self):
        return _LockGuard(self)

    # ---- writes ----
    def write(self, tables: dict[str, pd.DataFrame], *, replace: bool = False) -> list[str]:
        """Store the articles in `tables` (every table keyed by article_id) as one new segment.

        Articles already stored at the same version are skipped (another process may have
        stored them meanwhile) unless `replace`. Returns the ids actually written.
        """
        self._ensure_dirs()
        articles = tables["articles"]
        if articles["article_id"].duplicated().any():
            raise StoreError("the same article appears twice in one write")
        with self._locked():
            manifest = self.manifest()
            stored = manifest["articles"]
            keep = [aid for aid, ver in zip(articles["article_id"], articles["version"])
                    if replace or stored.get(aid, {}).get("version") != ver]
            if not keep:
                return []
            keep_set = set(keep)
            seg = f"{manifest['generation'] + 1:08d}-{uuid.uuid4().hex[:8]}"
            tmp = self.segments_dir / f".tmp-{seg}"
            tmp.mkdir()
            _test_pause("segment-started")
            try:
                for name in schema.TABLES:
                    df = tables.get(name)
                    df = empty_table(name) if df is None else df
                    df = df[df["article_id"].isin(keep_set)] if len(df) else df
                    self._write_parquet(df.reset_index(drop=True), tmp / f"{name}.parquet", name)
                    _test_pause(f"table-written {name}")
                _fsync_dir(tmp)
                os.replace(tmp, self.segments_dir / seg)
                _fsync_dir(self.segments_dir)
                _test_pause("segment-renamed")
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            new = dict(manifest)
            new["articles"] = dict(stored)
            for aid, ver in zip(articles["article_id"], articles["version"]):
                if aid in keep_set:
                    new["articles"][aid] = {"segment": seg, "version": ver}
            new["generation"] = manifest["generation"] + 1
            _write_json_atomic(self.root / MANIFEST, new)
            _test_pause("manifest-replaced")
            self._collect_garbage(new)
            if len({e["segment"] for e in new["articles"].values()}) > COMPACT_AFTER:
                self._compact_locked(new)
            return keep

    def delete(self, article_ids: set[str]) -> None:
        self._ensure_dirs()
        with self._locked():
            manifest = self.manifest()
            new = dict(manifest)
            new["articles"] = {a: e for a, e in manifest["articles"].items() if a not in article_ids}
            new["generation"] = manifest["generation"] + 1
            _write_json_atomic(self.root / MANIFEST, new)
            self._collect_garbage(new)

    def compact(self) -> None:
        self._ensure_dirs()
        with self._locked():
            self._compact_locked(self.manifest())

    def collect_garbage(self) -> list[str]:
        """Remove what no manifest names (left by killed runs); returns the names removed."""
        if not self.root.exists():
            return []
        self._ensure_dirs()
        with self._locked():
            return self._collect_garbage(self.manifest())

    def _compact_locked(self, manifest: dict) -> None:
        if not manifest["articles"]:
            return
        tables = {name: self.read_table(name, columns=TABLE_COLUMNS[name], manifest=manifest) for name in schema.TABLES}
        seg = f"{manifest['generation'] + 1:08d}-{uuid.uuid4().hex[:8]}"
        tmp = self.segments_dir / f".tmp-{seg}"
        tmp.mkdir()
        for name, df in tables.items():
            self._write_parquet(df, tmp / f"{name}.parquet", name)
        _fsync_dir(tmp)
        os.replace(tmp, self.segments_dir / seg)
        new = dict(manifest)
        new["articles"] = {a: {**e, "segment": seg} for a, e in manifest["articles"].items()}
        new["generation"] = manifest["generation"] + 1
        _write_json_atomic(self.root / MANIFEST, new)
        self._collect_garbage(new)

    def _collect_garbage(self, manifest: dict) -> list[str]:
        """Under the lock: segments no manifest names, `.tmp-` segments and manifest temp files."""
        live = {e["segment"] for e in manifest["articles"].values()}
        removed = []
        for path in self.segments_dir.iterdir():
            if path.name not in live:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                removed.append(f"segments/{path.name}")
        for path in self.root.glob(f".{MANIFEST}.*.tmp"):
            path.unlink(missing_ok=True)
            removed.append(path.name)
        return removed

    @staticmethod
    def _write_parquet(df: pd.DataFrame, path: Path, name: str) -> None:
        cols = TABLE_COLUMNS[name]
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise StoreError(f"table {name} lacks columns {missing}")
        df = df[cols]
        with open(path, "wb") as f:
            df.to_parquet(f, index=False)
            f.flush()
            os.fsync(f.fileno())


class _LockGuard:
    """The store's file lock, with a timeout that says what to do."""

    def __init__(self, store: Store):
        self.store = store

    def __enter__(self):
        try:
            self.store.lock.acquire()
        except Timeout:
            raise StoreError(f"another scoring run has held the store lock {self.store.root / '.lock'} for "
                             f"{LOCK_TIMEOUT_S // 60} minutes; try again when it has finished") from None
        return self

    def __exit__(self, *exc):
        self.store.lock.release()
        return False
