"""Stancewatch: the router. Page config, the page list, the shared sidebar (filters, export).

Run with `python -m streamlit run streamlit_app.py` (or `make run`). The store directory is
$STANCEWATCH_STORE, default data/; on an empty store the seeds are scored first.
"""
import streamlit as st

from dashboard.ui import data, filters, nav, widgets

st.set_page_config(page_title="Stancewatch", page_icon=":material/balance:", layout="wide",
                   initial_sidebar_state="expanded")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/actors.py", title="Actors", icon=":material/groups:"),
    st.Page("pages/topics.py", title="Topics", icon=":material/category:"),
    st.Page("pages/quotes.py", title="Quotes", icon=":material/format_quote:"),
    st.Page("pages/reader.py", title="Reader", icon=":material/article:"),
    st.Page("pages/upload.py", title="Upload", icon=":material/upload_file:"),
]
page = st.navigation(PAGES, position="top")
nav.follow_deep_link()

data.ensure_seeded()

try:
    corpus = data.corpus()
    options = data.filter_options()
except Exception as exc:  # noqa: BLE001 - an unreadable store: one sentence, not a traceback
    st.error(f"The store at {data.store_dir()} could not be read: {exc}. Check STANCEWATCH_STORE, "
             "or move the folder aside and restart to score the seeds again.")
    st.stop()

with st.sidebar:
    st.markdown("## :material/balance: Stancewatch")
    st.caption(f"{widgets.plural(len(corpus.articles), 'article')} · "
               f"{widgets.plural(len(corpus.paragraphs), 'paragraph')} in the store")
active = filters.render_sidebar(options=options, count=lambda f: len(data.view(f).paragraphs),
                                n_total=len(corpus.paragraphs))
with st.sidebar:
    with st.expander("Export the filtered data", icon=":material/download:"):
        widgets.export_buttons(view=data.view(active), key_prefix="export")
    st.caption(f"Store: {widgets.md_escape(data.store_dir())} · generation {data.generation()}")

nav.mark_routed()
page.run()
