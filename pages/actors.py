"""Actors: the stance matrix (actors x topics) with the evidence for a chosen cell, and each
actor's mentions and sentiment over time."""
import streamlit as st

from dashboard.ui import charts, data, filters, nav, widgets

nav.ensure_routed("pages/actors.py")

f = filters.current()
view = data.view(f)
whole = data.corpus()

widgets.page_header(title="Actors", caption="Who stands where on what, with the evidence, and how they are "
                    "talked about over time.", filters=f)

# ---- stance matrix ---------------------------------------------------------------------------
st.subheader("Stance matrix")
matrix = data.aggregate("stance_matrix", f)
if whole.stances.empty:
    widgets.not_yet(what="No stances yet.",
                    detail="The stance model has not produced any actor-on-topic stances for the stored "
                           "articles yet. The matrix fills in here as soon as stance rows land in the store.")
elif matrix.empty:
    widgets.no_match(what="stances")
else:
    st.caption("Each cell counts the actor's stance rows on the topic: ▲ favor · ▼ against · ● neutral (only the "
               "total when the matrix is wide; hover for the split); its colour is the net stance (favor − against) / n. "
               "Click a cell to filter by that actor and topic and see the evidence below.")
    max_actors = 25
    shown_actors = list(dict.fromkeys(matrix["actor"]))[:max_actors]
    shown = matrix[matrix["actor"].isin(shown_actors)]
    if len(shown_actors) < matrix["actor"].nunique():
        st.caption(f"The {max_actors} actors with the most stance rows are shown; filter by actor to see others.")

    def pick_cell(event):
        pairs = [p for p in filters.picked(event, whole=True) if isinstance(p, tuple) and len(p) == 2]
        if pairs:
            filters.set_filters(actors=[a for a, _ in pairs], topics=[t for _, t in pairs])
            st.session_state["stance_cell"] = pairs[0]

    filters.chart(charts.stance_matrix(shown), key="act_matrix", on_pick=pick_cell)

    # evidence for a chosen cell
    st.markdown("#### Evidence")
    cells = list(zip(matrix["actor"], matrix["topic"]))
    chosen = st.session_state.get("stance_cell")
    if chosen not in cells:
        chosen = cells[0]
    labels = {c: f"{c[0]} — {c[1]}  ({int(r.favor)} favor · {int(r.against)} against · {int(r.neutral)} neutral)"
              for c, r in zip(cells, matrix.itertuples())}
    cell = st.selectbox("Actor and topic", cells, index=cells.index(chosen), format_func=lambda c: labels[c],
                        key="act_cell_select")
    st.session_state["stance_cell"] = cell
    ev = data.aggregate("stance_evidence", f, actor=cell[0], topic=cell[1])
    for r in ev.head(8).itertuples():
        with st.container(border=True):
            kind = "Quote" if r.evidence_kind == "quote" else "Sentence"
            st.markdown(f"{widgets.badge(r.stance)} {widgets.badge(f'confidence {r.confidence:.2f}', 'gray')} "
                        f"**{kind}:** {widgets.md_escape(r.evidence)}")
            st.caption(f"{widgets.md_escape(r.title)} · {widgets.md_escape(r.date or 'undated')} · "
                       f"paragraph {int(r.paragraph_index) + 1} · {widgets.md_escape(r.source_file)}")
    if len(ev) > 8:
        with st.expander(f"All {len(ev)} evidence rows"):
            st.dataframe(
                ev, hide_index=True, width="stretch",
                column_order=["stance", "confidence", "evidence", "evidence_kind", "title", "date"],
                column_config={
                    "stance": st.column_config.TextColumn("Stance", width="small"),
                    "confidence": st.column_config.ProgressColumn("Confidence", min_value=0.0, max_value=1.0,
                                                                  format="%.2f", width="small", color="blue"),
                    "evidence": st.column_config.TextColumn("Evidence (quote or sentence)", width="large"),
                    "evidence_kind": st.column_config.TextColumn("Kind", width="small"),
                    "title": st.column_config.TextColumn("Article"),
                    "date": st.column_config.TextColumn("Date", width="small"),
                })

st.divider()

# ---- per-actor mentions and sentiment over time ------------------------------------------------
st.subheader("Mentions and sentiment over time")
summary = data.aggregate("actor_summary", f)
if whole.mentions.empty and whole.para_actors.empty:
    widgets.not_yet(what="No actors found yet.",
                    detail="Actor extraction has not produced mentions for the stored articles yet; "
                           "this section fills in as soon as it does.")
    st.stop()
if summary.empty:
    widgets.no_match(what="actor mentions")
    st.stop()

options = summary["actor"].tolist()
if f.actors and (st.session_state.get("act_timeline_for") != f.actors
                 or "act_timeline_actors" not in st.session_state):
    # the sidebar's actor filter changed: compare those actors
    st.session_state["act_timeline_actors"] = [a for a in f.actors if a in options][:6]
    st.session_state["act_timeline_for"] = f.actors
elif "act_timeline_actors" in st.session_state:
    st.session_state["act_timeline_actors"] = [a for a in st.session_state["act_timeline_actors"] if a in options]
if not st.session_state.get("act_timeline_actors"):
    st.session_state["act_timeline_actors"] = options[:3]
picked = st.multiselect("Actors to compare", options, key="act_timeline_actors", max_selections=6,
                        help="Up to six actors. The sidebar's actor filter picks them for you.")
left, right = st.columns([3, 2], gap="large")
with left:
    if picked:
        tl = data.aggregate("actor_timeline", f, actors=tuple(picked))
        if tl.empty:
            st.caption("No dated mentions for these actors.")
        else:
            filters.chart(charts.actor_timeline(tl), key="act_timeline", on_pick=filters.filter_from_pick("actors"))
    else:
        st.caption("Pick at least one actor.")
with right:
    st.caption("All actors in the matching paragraphs. Sort by any column.")
    st.dataframe(
        summary, hide_index=True, width="stretch", height=380,
        column_config={
            "actor": st.column_config.TextColumn("Actor"),
            "actor_type": st.column_config.TextColumn("Type", width="small"),
            "mentions": st.column_config.NumberColumn("Mentions", width="small"),
            "paragraphs": st.column_config.NumberColumn("Paragraphs", width="small"),
            "articles": st.column_config.NumberColumn("Articles", width="small"),
            "quotes": st.column_config.NumberColumn("Quotes", width="small"),
            "sentiment": widgets.sentiment_column("Sentiment", help="Mean sentiment of the sentences mentioning the actor"),
        },
    )

if picked and not whole.stances.empty:
    st.markdown("#### Stances by topic")
    for actor in picked[:3]:
        rows = matrix[matrix["actor"] == actor]
        if rows.empty:
            continue
        st.markdown(f"**{widgets.md_escape(actor)}**")
        filters.chart(charts.stance_bars(rows), key=f"act_stance_{picked.index(actor)}",
                      on_pick=filters.filter_from_pick("topics"))
