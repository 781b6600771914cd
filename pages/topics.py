"""Topics: share of paragraphs per topic, sentiment per topic, topics over time; edit the topic
list and re-assign from the stored embeddings."""
import streamlit as st

from dashboard.analysis import NO_TOPIC
from dashboard.topics import load_topics
from dashboard.ui import charts, data, filters, nav, topics_edit, widgets

nav.ensure_routed("pages/topics.py")

f = filters.current()
view = data.view(f)
whole = data.corpus()
eng = data.engine()

widgets.page_header(title="Topics", caption="What the coverage is about, and in what tone.", filters=f)

tab_view, tab_edit = st.tabs([":material/insights: Breakdown", ":material/edit_note: Topic list"])

with tab_view:
    if whole.para_topics.empty:
        widgets.not_yet(
            what="No topics assigned yet.",
            detail="None of the stored paragraphs carries a topic: the topic model has not assigned any yet, "
                   "or no paragraph is close enough to a topic on the list (see the Topic list tab). "
                   "The charts fill in as soon as topics land in the store.")
    elif view.empty:
        widgets.no_match(what="paragraphs")
    else:
        breakdown = data.aggregate("topic_breakdown", f)
        tagged = breakdown[breakdown["topic"] != NO_TOPIC]
        untagged = breakdown[breakdown["topic"] == NO_TOPIC]
        c1, c2 = st.columns(2, gap="large")
        with c1:
            st.subheader("Share of paragraphs")
            st.caption("A paragraph can carry several topics. Click a bar to filter by the topic.")
            filters.chart(charts.topic_share(breakdown), key="tp_share", on_pick=filters.filter_from_pick("topics"))
        with c2:
            st.subheader("Sentiment per topic")
            st.caption("How the paragraphs on each topic split into negative, neutral and positive.")
            if tagged.empty:
                st.caption("No matching paragraph carries a topic.")
            else:
                filters.chart(charts.topic_sentiment(tagged), key="tp_sent", on_pick=filters.filter_from_pick("topics"))
        st.subheader("Topics over time")
        over_time = data.aggregate("topics_over_time", f)
        if over_time.empty:
            st.caption("No dated paragraphs carry a topic.")
        else:
            st.caption("Paragraphs per topic by article date; a paragraph with several topics counts in each, "
                       "so a stack can be taller than the paragraphs of that date. Click a bar to filter by the topic.")
            filters.chart(charts.topics_over_time(over_time), key="tp_time", on_pick=filters.filter_from_pick("topics"))
        with st.expander("The numbers"):
            st.dataframe(breakdown, hide_index=True, width="stretch", column_config={
                "topic": st.column_config.TextColumn("Topic"),
                "paragraphs": st.column_config.NumberColumn("Paragraphs"),
                "share": st.column_config.NumberColumn("Share", format="percent"),
                "sentiment": st.column_config.NumberColumn("Mean sentiment", format="%+.2f"),
                "negative": st.column_config.NumberColumn("Negative", format="percent"),
                "neutral": st.column_config.NumberColumn("Neutral", format="percent"),
                "positive": st.column_config.NumberColumn("Positive", format="percent"),
            })

with tab_edit:
    st.subheader("The topic list")
    source = eng.topics_file
    try:
        current_topics = load_topics(source) if source else []
    except ValueError as exc:
        current_topics = []
        st.error(f"The topics file could not be read: {exc}. Fix it or replace it below.")
    where = "this store's own list" if source and source.parent.resolve() == eng.store.root.resolve() \
        else "the default list (seeds/topics.yaml)"
    st.caption(f"{len(current_topics)} topics, from {where}. Each topic is a name and one sentence saying what it "
               "covers; the model matches paragraphs against that sentence (keywords are optional hints).")
    editor_df = topics_edit.topics_frame(current_topics)
    can_apply = topics_edit.available()
    if not can_apply:
        st.warning("Topic re-assignment is not available yet: this version of the engine has no function to "
                   "re-assign topics from the stored embeddings. The list below is read-only until it lands.",
                   icon=":material/construction:")
    edited = st.data_editor(
        editor_df, key=f"tp_editor_{st.session_state.get('tp_editor_n', 0)}", num_rows="dynamic",
        hide_index=True, width="stretch", disabled=not can_apply,
        column_config={
            "name": st.column_config.TextColumn("Name", required=True, max_chars=80, width="medium"),
            "description": st.column_config.TextColumn("Description (one sentence)", max_chars=400, width="large"),
            "keywords": st.column_config.TextColumn("Keywords (comma-separated, optional)", width="medium"),
        },
    )
    b1, b2, _ = st.columns([2, 2, 4])
    apply_clicked = b1.button("Save and re-assign", type="primary", key="tp_apply", disabled=not can_apply,
                              icon=":material/published_with_changes:",
                              help="Re-assigns topics and stances of every stored article from the stored "
                                   "embeddings; no paragraph is re-encoded.")
    try:
        records = topics_edit.frame_to_records(edited)
        b2.download_button("Download as YAML", data=topics_edit.to_yaml(records), file_name="topics.yaml",
                           mime="text/yaml", key="tp_download", on_click="ignore", icon=":material/download:")
    except ValueError as exc:
        records = None
        st.error(str(exc))
    if apply_clicked and records is not None:
        with st.spinner("Re-assigning topics and stances from the stored embeddings …"):
            try:
                ids = topics_edit.apply_topics(eng, records)
            except Exception as exc:  # the engine's errors, turned into a sentence
                st.error(f"The topics could not be re-assigned: {exc}")
            else:
                st.session_state["tp_editor_n"] = st.session_state.get("tp_editor_n", 0) + 1
                st.session_state["tp_applied"] = len(ids)
                st.rerun()
    if "tp_applied" in st.session_state:
        st.success(f"Topics re-assigned for {st.session_state.pop('tp_applied')} articles; every page shows "
                   "the new topics.", icon=":material/check_circle:")
