"""Quotes: every direct quote with its speaker; searchable and sortable."""
import streamlit as st

from dashboard.ui import charts, data, filters, nav, widgets

nav.ensure_routed("pages/quotes.py")

f = filters.current()
view = data.view(f)
whole = data.corpus()

widgets.page_header(title="Quotes", caption="Who said what, where and when.", filters=f)

if whole.quotes.empty:
    widgets.not_yet(what="No quotes yet.",
                    detail="Quote extraction has not found any direct quotes in the stored articles yet. "
                           "The list fills in here as soon as quotes land in the store.")
    st.stop()

SORTS = {
    "Newest first": (["date", "speaker"], [False, True]),
    "Oldest first": (["date", "speaker"], [True, True]),
    "Speaker A–Z": (["speaker", "date"], [True, False]),
    "Most negative first": (["sentiment_score"], [True]),
    "Most positive first": (["sentiment_score"], [False]),
}
c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
search = c1.text_input("Search quotes", key="qt_search", placeholder="Words in the quote, the speaker or the title",
                       icon=":material/search:")
sort = c2.selectbox("Sort", list(SORTS), key="qt_sort")
quotes = data.aggregate("quote_list", f, search=search)
if not quotes.empty:
    by, asc = SORTS[sort]
    quotes = quotes.sort_values(by, ascending=asc, na_position="last", kind="stable").reset_index(drop=True)

total = len(view.quotes)
st.caption(f"{len(quotes):,} of {total:,} matching quotes" + (f" contain “{widgets.md_escape(search.strip())}”" if search.strip() else "")
           + ". Click a column header to sort by it; select a row to read the quote in its article.")
if quotes.empty:
    widgets.no_match(what="quotes")
else:
    def open_in_reader():
        sel = st.session_state.get(f"qt_table__{filters.epoch()}")
        rows = sel.selection.rows if sel else []
        if rows:
            st.session_state["reader_article"] = quotes["article_id"].iat[rows[0]]
            st.session_state["reader_paragraph"] = int(quotes["paragraph_index"].iat[rows[0]])
            st.session_state["_goto_reader"] = True

    st.dataframe(
        quotes, hide_index=True, width="stretch", height="auto" if len(quotes) <= 15 else 560,
        key=f"qt_table__{filters.epoch()}", on_select=open_in_reader, selection_mode="single-row",
        column_order=["speaker", "quote", "title", "date", "sentiment_score", "topics"],
        column_config={
            "speaker": st.column_config.TextColumn("Speaker", width="medium"),
            "quote": st.column_config.TextColumn("Quote", width="large"),
            "title": st.column_config.TextColumn("Article", width="medium"),
            "date": st.column_config.TextColumn("Date", width="small"),
            "sentiment_score": widgets.sentiment_column("Sentiment", width="small", help="The quote's sentiment score, −1 … +1"),
            "topics": st.column_config.TextColumn("Topics", width="medium"),
        },
    )
    if st.session_state.pop("_goto_reader", False):
        st.switch_page("pages/reader.py")

speakers = data.aggregate("speaker_counts", f, top=15)
if not speakers.empty:
    left, _ = st.columns([1, 1])
    with left:
        st.subheader("Speakers")
        st.caption("Quotes per speaker; colour is their mean sentiment. Click a bar to filter by the speaker.")
        filters.chart(charts.speaker_bars(speakers), key="qt_speakers", on_pick=filters.filter_from_pick("actors"))
