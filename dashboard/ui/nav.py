"""Making sure every page runs inside the router.

Streamlit keeps a legacy mode for apps with a `pages/` folder: until `st.navigation` has run
once in the process, a request for a page (a deep link right after the server starts, and every
rerun in AppTest, which resets that mode before each run) executes the page file on its own,
without the router and so without the sidebar filters. Each page calls `ensure_routed` first:
when the router did not run in this script run, it hands over to the router (which sends the
user on to the page they asked for).
"""
from __future__ import annotations

import streamlit as st

ROUTER = "streamlit_app.py"
_ROUTED = "_sw_routed"
_DEEP_LINK = "_sw_deep_link"


def mark_routed() -> None:
    """Called by the router just before it runs the page."""
    st.session_state[_ROUTED] = True


def ensure_routed(page: str) -> None:
    """First line of every page: `page` is its path relative to the router (pages/x.py)."""
    if not st.session_state.pop(_ROUTED, False):
        st.session_state[_DEEP_LINK] = page
        st.switch_page(ROUTER)


def follow_deep_link() -> None:
    """Called by the router after st.navigation: go on to the page a bounced request asked for."""
    target = st.session_state.pop(_DEEP_LINK, None)
    if target:
        st.switch_page(target)
