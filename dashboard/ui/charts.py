"""Plotly figures for the pages (no streamlit here). Every label that comes from the data
(actor, topic, title) is HTML-escaped: plotly renders a subset of HTML in labels and hover text.
Each clickable mark carries the raw value it stands for in `customdata`, which the click
handlers read back (see dashboard.ui.filters.picked)."""
from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.analysis import FREQ_NAMES, SENTIMENTS, STANCES

SENTIMENT_COLORS = {"negative": "#d1495b", "neutral": "#a7b1bc", "positive": "#2a9d6f"}
STANCE_COLORS = {"against": "#d1495b", "neutral": "#a7b1bc", "favor": "#2a9d6f"}
DIVERGING = [[0.0, "#d1495b"], [0.5, "#e9ecef"], [1.0, "#2a9d6f"]]
# Tableau 10, then the lighter half of Tableau 20: distinct colours for up to 16 series
PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#ff9da7",
           "#bab0ac", "#a0cbe8", "#ffbe7d", "#8cd17d", "#499894", "#d4a6c8", "#86bcb6"]
FONT = dict(family="Source Sans Pro, sans-serif", size=13)


def esc(v) -> str:
    return html.escape(str(v), quote=False)


def short(v, n: int = 38) -> str:
    s = str(v)
    return esc(s if len(s) <= n else s[: n - 1] + "…")


def _layout(fig: go.Figure, *, height: int, title: str | None = None, legend: bool = True) -> go.Figure:
    fig.update_layout(
        height=height, margin=dict(l=8, r=8, t=36 if title else 8, b=8), font=FONT,
        title=dict(text=esc(title), x=0, font=dict(size=14)) if title else None,
        showlegend=legend, legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
        hoverlabel=dict(align="left"),
        bargap=0.25,
    )
    return fig


DTICK = {"D": 86_400_000, "W": 7 * 86_400_000, "M": "M1"}


def _date_axis(fig: go.Figure, periods, freq: str, **where) -> None:
    """A date x axis labelled by day, ticks no denser than the buckets, padded by half a bucket."""
    periods = pd.to_datetime(pd.Series(periods)).dropna()
    half = pd.Timedelta(days={"D": 0.5, "W": 3.5}.get(freq, 15))
    kwargs = dict(type="date", tickformat="%Y-%m-%d" if freq != "M" else "%b %Y",
                  title_text=f"article date (per {FREQ_NAMES.get(freq, freq)})")
    if len(periods):
        pad = half * (7 if periods.nunique() == 1 else 1)  # one bucket alone: a narrow bar, not a wall
        kwargs["range"] = [periods.min() - pad, periods.max() + pad]
        n_buckets = (periods.max() - periods.min()) / pd.Timedelta(days={"D": 1, "W": 7}.get(freq, 30))
        if n_buckets <= 10:
            kwargs["dtick"] = DTICK.get(freq)
    fig.update_xaxes(**kwargs, **where)


def _count_axis(fig: go.Figure, max_value, axis: str = "y", **where) -> None:
    """Whole-number ticks for counts (one per unit when the counts are small)."""
    kwargs = dict(rangemode="tozero", tickformat=",d")
    if pd.notna(max_value) and float(max_value) <= 6:
        kwargs["dtick"] = 1
    (fig.update_yaxes if axis == "y" else fig.update_xaxes)(**kwargs, **where)


def _bar_width(freq: str, share: float = 0.8) -> float:
    """Bar width in milliseconds on a date axis: `share` of the bucket."""
    days = {"D": 1, "W": 7}.get(freq, 30)
    return share * days * 86_400_000


def _period_labels(df: pd.DataFrame) -> list[str]:
    return [pd.Timestamp(p).strftime("%Y-%m-%d") for p in df["period"]]


def sentiment_timeline(df: pd.DataFrame) -> go.Figure:
    """Stacked paragraph counts per sentiment and period, and the mean score (right axis)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    freq = df["freq"].iat[0] if len(df) else "D"
    x = df["period"]
    custom = np.array([[d, freq] for d in _period_labels(df)], dtype=object)
    for s in SENTIMENTS:
        fig.add_trace(go.Bar(x=x, y=df[s], name=s, marker_color=SENTIMENT_COLORS[s], customdata=custom,
                             width=_bar_width(freq),
                             hovertemplate=f"%{{x|%Y-%m-%d}}: %{{y}} {s} paragraphs<extra></extra>"),
                      secondary_y=False)
    fig.add_trace(go.Scatter(x=x, y=df["sentiment"], name="mean score", mode="lines+markers",
                             line=dict(color="#264653", width=2), marker=dict(size=7), customdata=custom,
                             hovertemplate="%{x|%Y-%m-%d}: mean score %{y:+.2f}<extra></extra>"),
                  secondary_y=True)
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="paragraphs", secondary_y=False)
    _count_axis(fig, df["paragraphs"].max() if len(df) else 0, secondary_y=False)
    fig.update_yaxes(title_text="mean score", range=[-1.05, 1.05], tickvals=[-1, -0.5, 0, 0.5, 1],
                     zeroline=True, secondary_y=True, showgrid=False)
    _date_axis(fig, df["period"], freq)
    return _layout(fig, height=330)


def actor_bars(df: pd.DataFrame, *, value: str = "mentions", title: str | None = None) -> go.Figure:
    """Horizontal bars, one per actor, coloured by mean sentiment (red -1 … green +1)."""
    d = df.iloc[::-1]
    fig = go.Figure(go.Bar(
        x=d[value], y=[short(a) for a in d["actor"]], orientation="h", customdata=d["actor"].tolist(),
        marker=dict(color=d["sentiment"].fillna(0), colorscale=DIVERGING, cmin=-1, cmax=1,
                    colorbar=dict(title=dict(text="sentiment"), thickness=10, len=0.8)),
        text=[f"{v:+.2f}" if pd.notna(v) else "" for v in d["sentiment"]], textposition="outside",
        cliponaxis=False,
        hovertext=[f"{esc(a)}<br>{m} {value}, {p} paragraphs, {ar} articles<br>mean sentiment {s:+.2f}"
                   for a, m, p, ar, s in zip(d["actor"], d[value], d["paragraphs"], d["articles"],
                                             d["sentiment"].fillna(0))],
        hoverinfo="text",
    ))
    fig.update_xaxes(title_text=value, range=[0, float(d[value].max() or 1) * 1.18])
    _count_axis(fig, d[value].max(), axis="x")
    fig.update_yaxes(automargin=True)
    return _layout(fig, height=max(220, 26 * len(d) + 70), title=title, legend=False)


def stance_counts_label(favor, against, neutral) -> str:
    """'▲2 ▼1 ●1': favor, against and neutral counts (zeros left out)."""
    parts = [f"{sym}{int(n)}" for sym, n in (("▲", favor), ("▼", against), ("●", neutral)) if n]
    return " ".join(parts)


def stance_matrix(df: pd.DataFrame) -> go.Figure:
    """Actors x topics. Each cell a square coloured by net stance (favor - against) / n, labelled
    favor / against / neutral counts. A scatter (not a heatmap) so that cells can be clicked."""
    actors = list(dict.fromkeys(df["actor"]))
    topics = list(dict.fromkeys(df.sort_values("n", ascending=False)["topic"]))
    y = [short(a, 30) for a in df["actor"]]
    x = [short(t, 30) for t in df["topic"]]
    # cells as large as the columns allow (the plot is about 760 px wide); counts in full when they fit
    col_px = 760 / max(len(topics), 1)
    size = int(max(22, min(56, col_px - 10)))
    full = [stance_counts_label(f, a, n) for f, a, n in zip(df["favor"], df["against"], df["neutral"])]
    fits = max((len(t) for t in full), default=0) * 7 <= col_px - 6
    text = full if fits else [str(int(n)) if len(str(int(n))) * 7 <= size else "" for n in df["n"]]
    hover = [f"<b>{esc(ac)}</b> on <b>{esc(tp)}</b><br>favor {f} · against {a} · neutral {n}"
             f"<br>net {net:+.2f}, mean confidence {c:.2f}"
             for ac, tp, f, a, n, net, c in zip(df["actor"], df["topic"], df["favor"], df["against"],
                                                 df["neutral"], df["net"], df["confidence"].fillna(0))]
    fig = go.Figure(go.Scatter(
        x=x, y=y, mode="markers+text", text=text,
        textfont=dict(size=11, color=["#ffffff" if abs(v) > 0.55 else "#1d2939" for v in df["net"].fillna(0)]),
        customdata=np.array(list(zip(df["actor"], df["topic"])), dtype=object),
        marker=dict(symbol="square", size=size, color=df["net"], colorscale=DIVERGING, cmin=-1, cmax=1,
                    line=dict(color="#ffffff", width=1),
                    colorbar=dict(title=dict(text="net stance"), thickness=10, len=0.8,
                                  tickvals=[-1, 0, 1], ticktext=["against", "mixed", "favor"])),
        hovertext=hover, hoverinfo="text",
    ))
    fig.update_xaxes(categoryorder="array", categoryarray=[short(t, 30) for t in topics], side="top",
                     tickangle=-25, showgrid=False, automargin=True)
    fig.update_yaxes(categoryorder="array", categoryarray=[short(a, 30) for a in actors][::-1],
                     showgrid=False, automargin=True)
    return _layout(fig, height=max(240, (size + 8) * len(actors) + 140), legend=False)


def topic_share(df: pd.DataFrame) -> go.Figure:
    d = df.iloc[::-1]
    fig = go.Figure(go.Bar(
        x=d["share"], y=[short(t) for t in d["topic"]], orientation="h", customdata=d["topic"].tolist(),
        marker_color=["#c9d1d9" if t == "(no topic)" else "#3a7ca5" for t in d["topic"]],
        text=[f"{s:.0%} ({n})" for s, n in zip(d["share"], d["paragraphs"])], textposition="outside",
        cliponaxis=False,
        hovertext=[f"{esc(t)}: {n} paragraphs, {s:.1%}" for t, n, s in zip(d["topic"], d["paragraphs"], d["share"])],
        hoverinfo="text",
    ))
    top = float(d["share"].max() or 0)
    fig.update_xaxes(tickformat=".0%", title_text="share of paragraphs", range=[0, top * 1.3 + 0.05],
                     tickvals=[v / 10 for v in range(0, 11) if v / 10 <= top + 0.05] if top > 0.3 else None)
    fig.update_yaxes(automargin=True)
    return _layout(fig, height=max(220, 28 * len(d) + 70), legend=False)


def topic_sentiment(df: pd.DataFrame) -> go.Figure:
    """Per topic, the split of its paragraphs into negative / neutral / positive (100% bars)."""
    d = df.iloc[::-1]
    fig = go.Figure()
    for s in SENTIMENTS:
        fig.add_trace(go.Bar(
            x=d[s], y=[short(t) for t in d["topic"]], orientation="h", name=s, marker_color=SENTIMENT_COLORS[s],
            customdata=d["topic"].tolist(),
            hovertemplate=f"%{{y}}: %{{x:.0%}} {s}<extra></extra>"))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(tickformat=".0%", range=[0, 1], title_text="share of the topic's paragraphs")
    fig.update_yaxes(automargin=True)
    return _layout(fig, height=max(220, 28 * len(d) + 90))


def topics_over_time(df: pd.DataFrame) -> go.Figure:
    freq = df["freq"].iat[0] if len(df) else "D"
    fig = go.Figure()
    for i, (topic, g) in enumerate(df.groupby("topic", sort=False)):
        fig.add_trace(go.Bar(x=g["period"], y=g["paragraphs"], name=short(topic, 28), width=_bar_width(freq),
                             marker_color=PALETTE[i % len(PALETTE)], customdata=[topic] * len(g),
                             hovertext=[f"{esc(topic)}: {n} paragraphs ({s:.0%} of the {FREQ_NAMES.get(freq, freq)})"
                                        for n, s in zip(g["paragraphs"], g["share"])], hoverinfo="text+x"))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="paragraphs per topic")  # stacked: a multi-topic paragraph counts in each
    _count_axis(fig, df.groupby("period")["paragraphs"].sum().max() if len(df) else 0)
    _date_axis(fig, df["period"], freq)
    return _layout(fig, height=330)


def actor_timeline(df: pd.DataFrame) -> go.Figure:
    """Mentions per period (top) and the mean sentiment of the sentences mentioning the actor (bottom)."""
    freq = df["freq"].iat[0] if len(df) else "D"
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.55, 0.45])
    for i, (actor, g) in enumerate(df.groupby("actor", sort=False)):
        color = PALETTE[i % len(PALETTE)]
        fig.add_trace(go.Scatter(x=g["period"], y=g["mentions"], name=short(actor, 28), mode="lines+markers",
                                 line=dict(color=color, width=2), marker=dict(size=9), legendgroup=str(i),
                                 customdata=[actor] * len(g),
                                 hovertemplate="%{x|%Y-%m-%d}: %{y} mentions<extra></extra>"), row=1, col=1)
        fig.add_trace(go.Scatter(x=g["period"], y=g["sentiment"], name=short(actor, 28), mode="lines+markers",
                                 line=dict(color=color, width=2, dash="dot"), marker=dict(size=9),
                                 legendgroup=str(i), showlegend=False, customdata=[actor] * len(g),
                                 hovertemplate="%{x|%Y-%m-%d}: mean sentiment %{y:+.2f}<extra></extra>"),
                      row=2, col=1)
    fig.update_yaxes(title_text="mentions", row=1, col=1)
    _count_axis(fig, df["mentions"].max() if len(df) else 0, row=1, col=1)
    fig.update_yaxes(title_text="sentiment", range=[-1, 1], zeroline=True, row=2, col=1)
    _date_axis(fig, df["period"], freq, row=2, col=1)
    _date_axis(fig, df["period"], freq, row=1, col=1)
    fig.update_xaxes(title_text=None, row=1, col=1)
    return _layout(fig, height=380)


def speaker_bars(df: pd.DataFrame) -> go.Figure:
    d = df.iloc[::-1]
    fig = go.Figure(go.Bar(
        x=d["quotes"], y=[short(s) for s in d["speaker"]], orientation="h", customdata=d["speaker"].tolist(),
        marker=dict(color=d["sentiment"].fillna(0), colorscale=DIVERGING, cmin=-1, cmax=1),
        hovertext=[f"{esc(s)}: {q} quotes, mean sentiment {v:+.2f}"
                   for s, q, v in zip(d["speaker"], d["quotes"], d["sentiment"].fillna(0))], hoverinfo="text",
    ))
    fig.update_xaxes(title_text="quotes")
    _count_axis(fig, d["quotes"].max(), axis="x")
    fig.update_yaxes(automargin=True)
    return _layout(fig, height=max(200, 26 * len(d) + 60), legend=False)


def stance_bars(df: pd.DataFrame) -> go.Figure:
    """One actor's stances per topic: favor / against / neutral counts (stacked)."""
    d = df.iloc[::-1]
    fig = go.Figure()
    for s in STANCES:
        fig.add_trace(go.Bar(x=d[s], y=[short(t) for t in d["topic"]], orientation="h", name=s,
                             marker_color=STANCE_COLORS[s], customdata=d["topic"].tolist(),
                             hovertemplate=f"%{{y}}: %{{x}} {s}<extra></extra>"))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="stance rows")
    _count_axis(fig, d[list(STANCES)].sum(axis=1).max() if len(d) else 0, axis="x")
    fig.update_yaxes(automargin=True)
    return _layout(fig, height=max(200, 28 * len(d) + 80))
