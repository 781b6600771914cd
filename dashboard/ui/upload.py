"""The upload handler: uploaded files in, a per-file result out. No widgets here except what
the page passes in (a progress callback), so tests can drive it directly."""
from __future__ import annotations

from typing import Callable

import pandas as pd

from dashboard.ingest import SUPPORTED_EXTENSIONS
from dashboard.pipeline import Engine, RunReport, ingest_and_score

UPLOAD_TYPES = [e.lstrip(".") for e in SUPPORTED_EXTENSIONS]
STATUS_LABELS = {
    "added": "added",
    "known": "already known",
    "duplicate": "duplicate in this upload",
    "rejected": "rejected",
    "failed": "scoring failed",
}
RESULT_COLUMNS = ["file", "result", "title", "reason", "article_id"]


class UploadFailed(RuntimeError):
    """Scoring failed as a whole (a model could not load, the store is not writable)."""


def handle_uploads(items: list[tuple[str, bytes]], *, engine: Engine,
                   progress: Callable[[str, float], None] | None = None) -> tuple[RunReport, pd.DataFrame]:
    """Read, score and store (name, bytes) pairs; returns the run report and one result row per
    file: added / already known / duplicate in this upload / rejected, with the reason."""
    if not items:
        return RunReport(), pd.DataFrame(columns=RESULT_COLUMNS)
    try:
        report = ingest_and_score(items, engine, progress)
    except Exception as exc:  # the page shows one sentence; what was stored before stays stored
        detail = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise UploadFailed(f"The files could not be scored: {detail}. Articles stored before are unaffected.") from exc
    return report, result_rows(report)


def result_rows(report: RunReport) -> pd.DataFrame:
    rows = []
    for f in report.files:
        status = f.get("status", "")
        reason = f.get("reason", "")
        if not reason and status == "added":
            reason = "scored and stored"
        elif not reason and status == "known":
            reason = "this article is already in the store (same text, same models)"
        rows.append({"file": f.get("file", ""), "result": STATUS_LABELS.get(status, status),
                     "title": f.get("title", ""), "reason": reason, "article_id": f.get("article_id", "")})
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)
