import streamlit as st

from dashboard.ui.data import tables

t = tables()
st.title("Overview")
c1, c2 = st.columns(2)
c1.metric("Articles", len(t["articles"]))
c2.metric("Paragraphs", len(t["paragraphs"]))
st.dataframe(t["paragraphs"][["title", "date", "paragraph_index", "text", "sentiment", "sentiment_score"]],
             hide_index=True)
