"""CSV (and Excel) exports of the tables, list cells joined with '; '."""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from . import schema
from .store import Store

EXPORTS = {
    "paragraphs": schema.PARAGRAPH_COLUMNS,
    "quotes": schema.QUOTE_COLUMNS,
    "stances": schema.STANCE_COLUMNS,
}


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
TEXT_COLUMNS = {"source_file", "title", "text", "actors", "topics", "speaker", "quote", "actor", "topic", "evidence"}


def _defuse(value):
    """Article text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def export_frame(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """The export columns of a table, list cells joined with '; ', formula-looking text defused."""
    out = df.reindex(columns=EXPORTS[name]).copy()
    for col in schema.LIST_COLUMNS & set(out.columns):
        out[col] = out[col].map(lambda v: "; ".join(v) if v is not None and not isinstance(v, str) else (v or ""))
    for col in TEXT_COLUMNS & set(out.columns):
        out[col] = out[col].map(_defuse)
    return out


def to_csv_bytes(df: pd.DataFrame, name: str) -> bytes:
    return export_frame(df, name).to_csv(index=False).encode("utf-8")


def to_excel_bytes(df: pd.DataFrame, name: str) -> bytes:
    buf = io.BytesIO()
    export_frame(df, name).to_excel(buf, index=False, sheet_name=name)
    return buf.getvalue()


def write_exports(store: Store, out_dir: Path, article_ids: set[str] | None = None) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in EXPORTS:
        df = store.read_table(name, article_ids=article_ids)
        df = df.sort_values([c for c in ("date", "article_id", "paragraph_index") if c in df.columns], kind="stable")
        tmp = out_dir / f".{name}.csv.tmp"
        tmp.write_bytes(to_csv_bytes(df, name))
        tmp.replace(out_dir / f"{name}.csv")
