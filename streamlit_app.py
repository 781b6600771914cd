"""Stancewatch: the router. Page config, the page list, the shared sidebar."""
import streamlit as st

from dashboard.ui.data import ensure_seeded

st.set_page_config(page_title="Stancewatch", page_icon=":material/balance:", layout="wide")
ensure_seeded()

pages = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
]
st.navigation(pages).run()
