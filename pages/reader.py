"""Reader: one article, paragraph by paragraph, with its sentiment, actors, topics and quotes.

Article text is only ever shown escaped (widgets.md_escape / highlighted_markdown), never as HTML.
"""
import pandas as pd
import streamlit as st

from dashboard.analysis import article_view, text_segments, widen_to_quote_marks
from dashboard.ui import data, filters, nav, widgets

nav.ensure_routed("pages/reader.py")

f = filters.current()
view = data.view(f)
whole = data.corpus()

widgets.page_header(title="Reader", caption="One article, paragraph by paragraph.", filters=f)

if whole.articles.empty:
    widgets.not_yet(what="The store is empty.", detail="Add articles on the Upload page.")
    st.stop()

# the articles offered: those with matching paragraphs (all of them without filters)
ids = [a for a in whole.articles["article_id"] if a in set(view.paragraphs["article_id"])] if f.active \
    else whole.articles["article_id"].tolist()
if not ids:
    widgets.no_match(what="articles")
    st.stop()
labels = dict(zip(whole.articles["article_id"], whole.articles["title"]))
dates = dict(zip(whole.articles["article_id"], whole.articles["date"]))
wanted = st.session_state.get("reader_article")
if wanted in ids:
    st.session_state["rd_article"] = wanted
elif st.session_state.get("rd_article") not in ids:
    st.session_state["rd_article"] = ids[0]
st.session_state.pop("reader_article", None)

c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
aid = c1.selectbox("Article", ids, key="rd_article",
                   format_func=lambda a: f"{dates.get(a) or 'undated'} · {labels.get(a, a)}",
                   help="Articles with paragraphs that match the sidebar filters.")
only = c2.toggle("Matching only", key="rd_only", disabled=not f.active,
                 help="Hide the paragraphs that do not match the sidebar filters.")

art = article_view(whole, aid)
meta = art["article"]
paras = art["paragraphs"]
matching = set(view.paragraphs.loc[view.paragraphs["article_id"] == aid, "paragraph_index"]) if f.active \
    else set(paras["paragraph_index"])

st.header(widgets.md_escape(meta.get("title", "")), anchor=False)
n_quotes = len(art["quotes"])
actor_counts = art["mentions"]["actor"].value_counts() if len(art["mentions"]) else pd.Series(dtype=int)
st.markdown(" · ".join(p for p in [
    f"**{widgets.md_escape(meta.get('date') or 'undated')}**",
    widgets.md_escape(meta.get("source_file", "")),
    widgets.plural(len(paras), "paragraph"),
    widgets.plural(n_quotes, "quote"),
    widgets.score_badge(paras["sentiment_score"].mean() if len(paras) else None, prefix="mean sentiment"),
] if p))
if len(actor_counts):
    st.markdown("Actors: " + " ".join(widgets.badge(f"{a} ×{n}", "blue") for a, n in actor_counts.head(12).items()))
st.caption("Quotes are highlighted, actor mentions in bold. Left: each paragraph's sentiment, actors and topics.")
st.divider()

quotes_by_para = {k: g for k, g in art["quotes"].groupby("paragraph_index")} if n_quotes else {}
mentions_by_para = {k: g for k, g in art["mentions"].groupby("paragraph_index")} if len(art["mentions"]) else {}
topics_by_prow = art["topics"].groupby("prow")["topic"].agg(list).to_dict() if len(art["topics"]) else {}
focus = st.session_state.pop("reader_paragraph", None)

for row in paras.itertuples():
    pi = int(row.paragraph_index)
    is_match = pi in matching
    if only and not is_match:
        continue
    q = quotes_by_para.get(pi)
    m = mentions_by_para.get(pi)
    quote_spans = [] if q is None else [widen_to_quote_marks(row.text, a, b) for a, b in zip(q["start"], q["end"])]
    segments = text_segments(row.text, quote_spans,
                             [] if m is None else list(zip(m["start"], m["end"])))
    body = widgets.highlighted_markdown(segments)
    side, main = st.columns([1, 4], gap="medium")
    with side:
        lines = [f"¶ {pi + 1} " + widgets.sentiment_badge(row.sentiment, row.sentiment_score)]
        actors = list(row.actors) if row.actors is not None else []
        if actors:
            lines.append(" ".join(widgets.badge(a, "blue") for a in actors[:8]))
        topics = topics_by_prow.get(row.prow, [])
        if topics:
            lines.append(" ".join(widgets.badge(t, "violet") for t in topics))
        st.markdown("  \n".join(lines))
    with main:
        shown = f":gray[{body}]" if f.active and not is_match else body
        if focus == pi:
            st.success(body, icon=":material/format_quote:")
        elif row.is_heading:
            st.markdown(f"##### {shown}")
        else:
            st.markdown(shown)
        if q is not None:
            for qr in q.itertuples():
                who = qr.speaker or "unattributed"
                st.caption(f"“{widgets.md_escape(qr.quote)}” — **{widgets.md_escape(who)}** "
                           + widgets.sentiment_badge(qr.sentiment, qr.sentiment_score))
