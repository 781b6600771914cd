"""Overview: counts, sentiment over time, the most mentioned actors, the article list."""
import streamlit as st

from dashboard.analysis import bucket_bounds
from dashboard.ui import charts, data, filters, nav, widgets

nav.ensure_routed("pages/overview.py")

f = filters.current()
view = data.view(f)
whole = data.corpus()

widgets.page_header(title="Overview", caption="What the corpus says, and about whom.", filters=f)

if whole.empty:
    widgets.not_yet(what="The store is empty.", detail="Add articles on the Upload page.")
    st.stop()

n = data.aggregate("counts", f)
widgets.metric_row(items=[
    ("Articles", f"{n['articles']:,}", "Articles with at least one matching paragraph"),
    ("Paragraphs", f"{n['paragraphs']:,}", "Matching paragraphs"),
    ("Actors", f"{n['actors']:,}", "Distinct people, countries and organisations mentioned"),
    ("Quotes", f"{n['quotes']:,}", "Direct quotes with their speaker"),
    ("Stances", f"{n['stances']:,}", "Actor-on-topic stance rows with evidence"),
])

if view.empty:
    widgets.no_match(what="paragraphs")
    st.stop()

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("Sentiment over time")
    st.caption("Paragraphs per sentiment by article date; the line is the mean score (−1 … +1). "
               "Click a bar to filter to that period.")
    timeline = data.aggregate("sentiment_over_time", f)
    if timeline.empty:
        widgets.not_yet(what="No dated articles.",
                        detail="Articles without a date (a first line 'date YYYY-MM-DD') are not on the timeline.")
    else:
        def pick_period(event):
            picked = filters.picked(event)
            if picked:
                freq = timeline["freq"].iat[0]
                bounds = [bucket_bounds(p, freq) for p in picked]
                filters.set_filter("dates", (min(b[0] for b in bounds), max(b[1] for b in bounds)))

        filters.chart(charts.sentiment_timeline(timeline), key="ov_sent_time", on_pick=pick_period)

with right:
    st.subheader("Most mentioned actors")
    st.caption("Colour: mean sentiment of the sentences that mention the actor. Click a bar to filter by the actor.")
    actors = data.aggregate("actor_summary", f, top=12)
    if actors.empty:
        widgets.not_yet(what="No actors found yet.",
                        detail="Actor extraction has not produced mentions for these articles yet; "
                               "they appear here as soon as it does.")
    else:
        filters.chart(charts.actor_bars(actors), key="ov_actors", on_pick=filters.filter_from_pick("actors"))

st.subheader("Articles")
arts = data.aggregate("article_list", f)
st.caption(f"{widgets.plural(len(arts), 'article')}. Select a row to read the article paragraph by paragraph.")


def open_in_reader():
    sel = st.session_state.get(f"ov_articles__{filters.epoch()}")
    rows = sel.selection.rows if sel else []
    if rows:
        st.session_state["reader_article"] = arts["article_id"].iat[rows[0]]
        st.session_state["_goto_reader"] = True


st.dataframe(
    arts, hide_index=True, width="stretch", key=f"ov_articles__{filters.epoch()}",
    on_select=open_in_reader, selection_mode="single-row",
    column_order=["date", "title", "paragraphs", "sentiment", "actors", "topics", "quotes", "source_file"],
    column_config={
        "date": st.column_config.TextColumn("Date", width="small"),
        "title": st.column_config.TextColumn("Title", width="large"),
        "paragraphs": st.column_config.NumberColumn("Paragraphs", help="Matching paragraphs", width="small"),
        "sentiment": widgets.sentiment_column("Sentiment", help="Mean paragraph sentiment score, −1 … +1"),
        "actors": st.column_config.TextColumn("Main actors"),
        "topics": st.column_config.TextColumn("Topics"),
        "quotes": st.column_config.NumberColumn("Quotes", width="small"),
        "source_file": st.column_config.TextColumn("File"),
    },
)
if st.session_state.pop("_goto_reader", False):
    st.switch_page("pages/reader.py")
