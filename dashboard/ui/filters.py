"""The shared sidebar filters: widgets, their session-state keys, clearing, and setting them
from a click in a chart.

The router renders the sidebar on every run, so the widgets (and their values in
st.session_state) survive page switches. Charts set a filter through `set_filter` in an
on_select callback, which runs before the widgets are drawn in the next run.
"""
from __future__ import annotations

import datetime as dt
from functools import partial

import streamlit as st

from dashboard.analysis import SENTIMENTS, Filters

KEYS = {
    "actors": "flt_actors",
    "topics": "flt_topics",
    "dates": "flt_dates",
    "sentiments": "flt_sentiments",
    "articles": "flt_articles",
}
EPOCH_KEY = "flt_epoch"  # bumped when filters are set from outside the widgets; resets chart selections


def _default(kind: str):
    return () if kind == "dates" else []


def _init() -> None:
    for kind, key in KEYS.items():
        if kind != "dates" and key not in st.session_state:  # the date widget takes its default from value=
            st.session_state[key] = _default(kind)
    st.session_state.setdefault(EPOCH_KEY, 0)


def epoch() -> int:
    return int(st.session_state.get(EPOCH_KEY, 0))


def _dates_tuple(value) -> tuple:
    if value is None:
        return ()
    if isinstance(value, (dt.date, dt.datetime)):
        value = (value,)
    out = []
    for v in tuple(value)[:2]:
        if isinstance(v, dt.datetime):
            v = v.date()
        if isinstance(v, dt.date):
            out.append(v)
    return tuple(out)


def current() -> Filters:
    """The filters as they stand in session state."""
    ss = st.session_state
    dates = _dates_tuple(ss.get(KEYS["dates"], ()))
    return Filters(
        actors=tuple(ss.get(KEYS["actors"]) or ()),
        topics=tuple(ss.get(KEYS["topics"]) or ()),
        date_from=dates[0] if dates else None,
        date_to=dates[1] if len(dates) > 1 else None,
        sentiments=tuple(ss.get(KEYS["sentiments"]) or ()),
        articles=tuple(ss.get(KEYS["articles"]) or ()),
    )


def clear() -> None:
    """Callback: every filter back to 'no restriction'."""
    for kind, key in KEYS.items():
        st.session_state[key] = _default(kind)
    st.session_state[EPOCH_KEY] = epoch() + 1


def set_filter(kind: str, values) -> None:
    """Set one filter (replacing its values); usable in callbacks. `kind` is a KEYS name;
    for 'dates' pass (first_day, last_day)."""
    if kind not in KEYS:
        raise ValueError(f"unknown filter {kind!r}; filters are {', '.join(KEYS)}")
    if kind == "dates":
        st.session_state[KEYS[kind]] = _dates_tuple(values)
    else:
        st.session_state[KEYS[kind]] = list(dict.fromkeys(str(v) for v in values if v is not None and str(v)))
    st.session_state[EPOCH_KEY] = epoch() + 1


def set_filters(**values) -> None:
    for kind, v in values.items():
        set_filter(kind, v)


def _sanitise(options: dict) -> None:
    """Drop selected values that are no longer offered (a re-scored store), clip dates."""
    ss = st.session_state
    for kind, opts in (("actors", options["actors"]), ("topics", options["topics"]),
                       ("sentiments", list(SENTIMENTS)), ("articles", options["articles"])):
        key = KEYS[kind]
        cur = list(ss.get(key) or [])
        keep = [v for v in cur if v in set(opts)]
        if keep != cur:
            ss[key] = keep
    dates = _dates_tuple(ss.get(KEYS["dates"], ()))
    lo, hi = options["date_min"], options["date_max"]
    if dates and lo and hi:
        clipped = tuple(min(max(d, lo), hi) for d in dates)
        if clipped != dates:
            ss[KEYS["dates"]] = clipped
    elif dates and not (lo and hi):
        ss[KEYS["dates"]] = ()


def render_sidebar(*, options: dict, count, n_total: int, key_prefix: str = "flt") -> Filters:
    """Draw the filters in the sidebar; returns the filters now in force. `count(filters)` is
    the number of paragraphs that match."""
    _init()
    _sanitise(options)
    sb = st.sidebar
    sb.markdown("### Filters")
    labels = options["article_labels"]
    sb.multiselect("Actors", options["actors"], key=KEYS["actors"], placeholder="Any actor",
                   help="Paragraphs that mention any of these actors; quotes they spoke; stances they hold.")
    if options["topics"]:
        sb.multiselect("Topics", options["topics"], key=KEYS["topics"], placeholder="Any topic",
                       help="Paragraphs, quotes and stances on any of these topics.")
    else:
        sb.multiselect("Topics", [], key=KEYS["topics"], placeholder="No topics assigned yet", disabled=True,
                       help="Topics appear here once the topic model has assigned them.")
    lo, hi = options["date_min"], options["date_max"]
    sb.date_input("Article date", value=st.session_state.get(KEYS["dates"], ()), min_value=lo, max_value=hi,
                  key=KEYS["dates"], format="YYYY-MM-DD", disabled=lo is None,
                  help="Pick the first and the last day. Empty means any date.")
    sb.multiselect("Sentiment", list(SENTIMENTS), key=KEYS["sentiments"], placeholder="Any sentiment",
                   help="Paragraph sentiment (for quotes: the quote's own).")
    sb.multiselect("Source article", options["articles"], key=KEYS["articles"], placeholder="Any article",
                   format_func=lambda a: labels.get(a, a))
    filters = current()
    n_match = count(filters)
    share = f"{n_match:,} of {n_total:,} paragraphs match" if filters.active else f"All {n_total:,} paragraphs"
    sb.markdown(f"**{share}**")
    sb.button("Clear filters", key=f"{key_prefix}_clear", on_click=clear, disabled=not filters.active,
              width="stretch", icon=":material/filter_alt_off:")
    return filters


# ---- click-to-filter ---------------------------------------------------------------------------

def picked(selection, field: str = "customdata", *, whole: bool = False) -> list:
    """The values of one field of the points picked in a plotly chart (an st.plotly_chart
    event, or a plain dict of the same shape). A list-valued customdata gives its first item,
    or the whole item as a tuple with whole=True."""
    if not selection:
        return []
    try:
        sel = selection["selection"] if "selection" in selection else selection
        points = sel["points"] if "points" in sel else []
    except (TypeError, KeyError):
        return []
    out = []
    for p in points or []:
        try:
            v = p[field] if field in p else None
        except TypeError:
            continue
        if isinstance(v, (list, tuple)):
            v = tuple(v) if whole else (v[0] if v else None)
        if v is not None and v not in out:
            out.append(v)
    return out


def _on_pick(chart_key: str, handler) -> None:
    event = st.session_state.get(chart_key)
    if event:
        handler(event)


def chart(fig, *, key: str, on_pick=None, height: int | None = None) -> None:
    """st.plotly_chart; when `on_pick(event)` is given, a click (or box) selection calls it.

    The chart's key carries the filter epoch, so a chart whose click set a filter starts
    fresh (nothing highlighted) on the next run."""
    full_key = f"{key}__{epoch()}"
    if height:
        fig.update_layout(height=height)
    kwargs = dict(key=full_key, config={"displaylogo": False,
                                        "modeBarButtonsToRemove": ["lasso2d", "autoScale2d", "toImage"]})
    if on_pick is not None:
        kwargs.update(on_select=partial(_on_pick, full_key, on_pick), selection_mode=("points", "box"))
    st.plotly_chart(fig, **kwargs)


def filter_from_pick(kind: str, field: str = "customdata"):
    """An on_pick handler that sets filter `kind` to the picked values."""
    def handler(event):
        values = picked(event, field)
        if values:
            set_filter(kind, values)
    return handler
