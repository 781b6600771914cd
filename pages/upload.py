"""Upload: add articles (.txt .md .html .pdf .docx), several at once, with a per-file result."""
import streamlit as st

from dashboard.ui import data, nav, widgets
from dashboard.ui.upload import UPLOAD_TYPES, UploadFailed, handle_uploads

nav.ensure_routed("pages/upload.py")

st.title("Upload")
st.caption("Add articles to the corpus. Text files may start with a line `date YYYY-MM-DD` giving the article date. "
           "An article already in the store is recognised by its text and not scored again.")

nonce = st.session_state.get("up_nonce", 0)
files = st.file_uploader("Articles", type=UPLOAD_TYPES, accept_multiple_files=True, key=f"up_files_{nonce}",
                         help="Up to 50 MB per file.")
go = st.button(f"Add {len(files)} file{'s' if len(files) != 1 else ''} to the corpus" if files else "Add to the corpus",
               type="primary", disabled=not files, key="up_go", icon=":material/add_circle:")

if go and files:
    items = [(f.name, f.getvalue()) for f in files]
    bar = st.progress(0.0, text=f"Reading {len(items)} files …")
    try:
        report, rows = handle_uploads(items, engine=data.engine(),
                                      progress=lambda msg, frac: bar.progress(min(max(frac, 0.0), 1.0), text=msg))
    except UploadFailed as exc:
        bar.empty()
        st.error(str(exc))
    else:
        bar.empty()
        st.session_state["up_result"] = rows
        st.session_state["up_summary"] = report.summary()
        st.session_state["up_nonce"] = nonce + 1  # a fresh, empty uploader
        st.rerun()  # every page (and the sidebar) now reads the new store generation

rows = st.session_state.get("up_result")
if rows is not None:
    summary = st.session_state.get("up_summary", {})
    counts = rows["result"].value_counts()
    added, known = int(counts.get("added", 0)), int(counts.get("already known", 0))
    rejected = sum(int(counts.get(k, 0)) for k in ("rejected", "duplicate in this upload", "scoring failed"))
    st.subheader("Result of the last upload")
    widgets.metric_row(items=[("Added", str(added), "New articles, scored and stored"),
                              ("Already known", str(known), "Already in the store; not scored again"),
                              ("Not added", str(rejected), "Rejected, repeated or failed files; see the reason"),
                              ("Seconds", f"{summary.get('seconds', 0):.1f}", "Time to read, score and store")])
    if added:
        st.success(f"{added} new article{'s' if added != 1 else ''} added: they are on every page now.",
                   icon=":material/check_circle:")
    st.dataframe(rows, hide_index=True, width="stretch", column_order=["file", "result", "title", "reason"],
                 column_config={"file": st.column_config.TextColumn("File"),
                                "result": st.column_config.TextColumn("Result", width="small"),
                                "title": st.column_config.TextColumn("Title", width="large"),
                                "reason": st.column_config.TextColumn("Reason", width="large")})

st.subheader("Recently added")
recent = data.corpus().articles.sort_values("added_at", ascending=False, kind="stable").head(10)
recent = recent.assign(added_at=recent["added_at"].astype(str).str.slice(0, 16).str.replace("T", " "))
if recent.empty:
    st.caption("The store is empty.")
else:
    st.dataframe(recent, hide_index=True, width="stretch",
                 column_order=["added_at", "date", "title", "n_paragraphs", "source_file"],
                 column_config={"added_at": st.column_config.TextColumn("Added (UTC)", width="small"),
                                "date": st.column_config.TextColumn("Date", width="small"),
                                "title": st.column_config.TextColumn("Title", width="large"),
                                "n_paragraphs": st.column_config.NumberColumn("Paragraphs", width="small"),
                                "source_file": st.column_config.TextColumn("File")})
