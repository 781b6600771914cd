"""Shared render helpers. Keyword-only arguments; every widget key is prefixed by the caller's
`key_prefix`, so the same helper can sit on several pages.

Article text is never passed to st.markdown unescaped: `md_escape` backslash-escapes every ASCII
punctuation character (CommonMark allows that for all of them), which disables links, images,
HTML, emphasis, LaTeX ($) and Streamlit's :directive[...] and :shortcode: syntax.
"""
from __future__ import annotations

import re
import string

import pandas as pd
import streamlit as st

from dashboard import exports
from dashboard.analysis import Corpus

_PUNCT = re.compile("([" + re.escape(string.punctuation) + "])")
_BADGE = {"negative": "red", "neutral": "gray", "positive": "green", "against": "red", "favor": "green"}


def md_escape(text) -> str:
    """Text safe to embed in st.markdown: shown literally, on one line."""
    s = "" if text is None else str(text)
    s = " ".join(s.split())
    return _PUNCT.sub(r"\\\1", s)


def badge(label: str, color: str | None = None) -> str:
    """A Streamlit markdown badge; the label is escaped."""
    color = color or _BADGE.get(str(label), "blue")
    return f":{color}-badge[{md_escape(label)}]"


def sentiment_badge(label, score=None) -> str:
    if label is None or (isinstance(label, float) and pd.isna(label)):
        return badge("no sentiment", "gray")
    text = f"{label} {score:+.2f}" if score is not None and pd.notna(score) else str(label)
    return badge(text, _BADGE.get(str(label), "gray"))


def score_badge(score, *, prefix: str = "") -> str:
    """A badge for a mean sentiment score: red below -0.05, green above +0.05, else gray."""
    if score is None or pd.isna(score):
        return badge(f"{prefix} n/a".strip(), "gray")
    color = "red" if score < -0.05 else ("green" if score > 0.05 else "gray")
    return badge(f"{prefix} {score:+.2f}".strip(), color)


def not_yet(*, what: str, detail: str) -> None:
    """The page's plain statement that a kind of data is not there (yet)."""
    st.info(f"**{what}**  \n{detail}", icon=":material/hourglass_empty:")


def no_match(*, what: str) -> None:
    st.info(f"No {what} match the current filters. Loosen or clear the filters in the sidebar.",
            icon=":material/filter_alt_off:")


def page_header(*, title: str, caption: str, filters) -> None:
    st.title(title)
    st.caption(caption + (" · **filtered** (see the sidebar)" if filters.active else ""))


def sentiment_column(label: str = "Sentiment", *, help: str | None = None, width: str | None = None):
    """A −1 … +1 score as a bar: green above 0, red below."""
    return st.column_config.ProgressColumn(label, min_value=-1.0, max_value=1.0, format="%+.2f", color="auto",
                                           help=help, width=width)


def metric_row(*, items: list[tuple[str, str, str | None]]) -> None:
    cols = st.columns(len(items))
    for col, (label, value, help_) in zip(cols, items):
        col.metric(label, value, help=help_, border=True)


# ---- exports -----------------------------------------------------------------------------------

def _export_tables(view: Corpus) -> dict[str, pd.DataFrame]:
    return {"paragraphs": view.paragraphs, "quotes": view.quotes, "stances": view.stances}


def export_buttons(*, view: Corpus, key_prefix: str, container=None) -> None:
    """CSV and Excel download buttons for the filtered paragraphs, quotes and stances. The
    bytes are made when a button is clicked (deferred), not on every rerun."""
    box = container or st
    tables = _export_tables(view)
    for name, df in tables.items():
        box.caption(f"{name.capitalize()} · {plural(len(df), 'row')}")
        row = box.columns(2)
        row[0].download_button(
            "CSV", data=lambda df=df, name=name: exports.to_csv_bytes(df, name),
            file_name=f"stancewatch_{name}.csv", mime="text/csv", key=f"{key_prefix}_{name}_csv",
            on_click="ignore", disabled=df.empty, width="stretch", help=f"The filtered {name} as CSV")
        row[1].download_button(
            "Excel", data=lambda df=df, name=name: exports.to_excel_bytes(df, name),
            file_name=f"stancewatch_{name}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"{key_prefix}_{name}_xlsx", on_click="ignore", disabled=df.empty, width="stretch",
            help=f"The filtered {name} as an Excel workbook")


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


# ---- reader ------------------------------------------------------------------------------------

def highlighted_markdown(segments: list[tuple[str, bool, bool]]) -> str:
    """Paragraph runs (text, in_quote, in_mention) as escaped markdown: quotes on a highlight,
    actor mentions in bold."""
    parts = []
    for text, in_quote, in_mention in segments:
        core = md_escape(text)
        if not core:
            parts.append(" " if text else "")
            continue
        if in_mention and text.strip()[:1].isalnum() and text.strip()[-1:].isalnum():
            core = f"**{core}**"
        if in_quote:
            core = f":orange-background[{core}]"
        lead = " " if text[:1].isspace() else ""
        trail = " " if text[-1:].isspace() else ""
        parts.append(lead + core + trail)
    return re.sub(r" {2,}", " ", "".join(parts)).strip()
