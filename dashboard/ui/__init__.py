"""The dashboard's Streamlit layer: the only package that imports streamlit besides the router
and the pages.

    data.py         caching (the engine; the store read and its filtered views, keyed by the store
                    generation; aggregations) and first-start seeding
    filters.py      the shared sidebar filters, clearing them, setting them from chart clicks
    charts.py       plotly figures (labels HTML-escaped; raw values in customdata for clicks)
    widgets.py      shared render helpers (escaped markdown, badges, export buttons, notices)
    upload.py       the upload handler (files in, per-file results out)
    topics_edit.py  editing the topic list and re-assigning from stored embeddings
    nav.py          keeping every page inside the router
"""
