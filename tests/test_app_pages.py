"""The dashboard in streamlit.testing.v1.AppTest: every page renders, filters change what pages
show and survive page switches, uploads add articles, article text stays escaped.

Two stores: the seeds scored by the real engine (conftest's seed_store), and a small store
written directly with known actors, topics, quotes and stances (`rich_store`), so the pages
with those tables are exercised exactly, whatever the extraction models currently produce.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard import schema
from dashboard.store import Store

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
PAGES = ["pages/overview.py", "pages/actors.py", "pages/topics.py", "pages/quotes.py", "pages/reader.py",
         "pages/upload.py"]
SENTIMENT_WEIGHTS = ROOT / "models" / "weights" / "sentiment.safetensors"
UNTRAINED_SENTIMENT = Path("/tmp/untrained_sentiment.safetensors")
TIMEOUT = 90


@pytest.fixture(scope="session", autouse=True)
def sentiment_weights_or_untrained():
    """Until the trained sentiment head exists, point the registry at the untrained one (only
    when the weights file is missing, so these tests pass before and after it lands)."""
    if SENTIMENT_WEIGHTS.exists() or not UNTRAINED_SENTIMENT.exists():
        yield
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STANCEWATCH_MODEL_SENTIMENT", str(UNTRAINED_SENTIMENT))
        yield


@pytest.fixture(autouse=True)
def router_runs_every_time(monkeypatch):
    """AppTest resets Streamlit's legacy `pages/`-folder mode before every run, so from the
    second run on it would execute a page file without the router (no sidebar, no filters).
    The real server leaves that mode for good at the first st.navigation call; this gives
    AppTest the server's behaviour: every run executes the router."""
    import types

    from streamlit.runtime.scriptrunner import script_runner

    def run_router(main_script_path):
        code = compile(Path(main_script_path).read_text(encoding="utf-8"), str(main_script_path), "exec")
        module = types.ModuleType("__main__")
        module.__dict__["__file__"] = str(main_script_path)
        exec(code, module.__dict__)

    monkeypatch.setattr(script_runner, "_mpa_v1", run_router)


# ---- a store with known content ------------------------------------------------------------

HOSTILE = ("<script>alert('x')</script> Click [here](javascript:alert(1)) for $x^2$ and :red[red] "
           "**bold** text.")

ARTICLES = [
    {
        "id": "a1", "date": "2025-02-26", "title": "Trump rules out US security guarantees for Ukraine",
        "paragraphs": [
            ("Trump rules out US security guarantees for Ukraine", "neutral", 0.0, ["Donald Trump", "Ukraine"],
             ["US security guarantees"], True),
            ("President Donald Trump said the United States will not give Ukraine security guarantees. "
             "“I’m not going to make security guarantees,” Trump said.", "negative", -0.6,
             ["Donald Trump", "United States", "Ukraine"], ["US security guarantees"], False),
            ("Trump praised the minerals deal. “It is a great deal for both countries,” Trump told reporters.",
             "positive", 0.7, ["Donald Trump"], ["Minerals deal"], False),
            ("Volodymyr Zelenskyy insisted on guarantees. “Without guarantees there is no peace,” Zelenskyy said.",
             "negative", -0.3, ["Volodymyr Zelenskyy"], ["US security guarantees", "Ceasefire"], False),
        ],
        "quotes": [(1, "Donald Trump", "I’m not going to make security guarantees", "negative", -0.5),
                   (2, "Donald Trump", "It is a great deal for both countries", "positive", 0.8),
                   (3, "Volodymyr Zelenskyy", "Without guarantees there is no peace", "negative", -0.4)],
        "stances": [(1, "Donald Trump", "US security guarantees", "against", 0.9, "quote"),
                    (2, "Donald Trump", "Minerals deal", "favor", 0.85, "quote"),
                    (3, "Volodymyr Zelenskyy", "US security guarantees", "favor", 0.8, "quote")],
    },
    {
        "id": "a2", "date": "2025-03-12", "title": "EU leaders back a European defence plan",
        "paragraphs": [
            ("Ursula von der Leyen presented a plan to raise European defence spending.", "positive", 0.4,
             ["Ursula von der Leyen"], ["European defence"], False),
            ("Emmanuel Macron welcomed the plan. “Europe must defend itself,” Macron said.", "positive", 0.5,
             ["Emmanuel Macron"], ["European defence"], False),
            ("Critics warned that the costs would be high for smaller states.", "negative", -0.5, [],
             ["European defence"], False),
        ],
        "quotes": [(1, "Emmanuel Macron", "Europe must defend itself", "neutral", 0.1)],
        "stances": [(0, "Ursula von der Leyen", "European defence", "favor", 0.8, "sentence"),
                    (1, "Emmanuel Macron", "European defence", "favor", 0.9, "quote")],
    },
    {
        "id": "a3", "date": "2025-04-02", "title": "Talks on a ceasefire stall",
        "paragraphs": [
            ("Donald Trump said a ceasefire was close. “We are very close to a deal,” Trump said.", "positive", 0.3,
             ["Donald Trump"], ["Ceasefire"], False),
            ("Russia rejected the proposal and continued its attacks.", "negative", -0.8, ["Russia"], ["Ceasefire"],
             False),
            (HOSTILE, "neutral", 0.0, [], [], False),
        ],
        "quotes": [(0, "Donald Trump", "We are very close to a deal", "positive", 0.5)],
        "stances": [(0, "Donald Trump", "Ceasefire", "favor", 0.75, "quote"),
                    (1, "Russia", "Ceasefire", "against", 0.8, "sentence")],
    },
]


def _tables(spec=ARTICLES) -> dict[str, pd.DataFrame]:
    rows = {name: [] for name in schema.TABLES}
    for a in spec:
        aid, src = a["id"], f"{a['id']}.txt"
        rows["articles"].append({"article_id": aid, "source_file": src, "title": a["title"], "date": a["date"],
                                 "n_paragraphs": len(a["paragraphs"]), "added_at": "2025-05-01T00:00:00+00:00",
                                 "version": "synthetic"})
        for pi, (text, sent, score, actors, topics, heading) in enumerate(a["paragraphs"]):
            probs = {"negative": [0.8, 0.1, 0.1], "neutral": [0.1, 0.8, 0.1], "positive": [0.1, 0.1, 0.8]}[sent]
            rows["paragraphs"].append({
                "article_id": aid, "source_file": src, "title": a["title"], "date": a["date"], "paragraph_index": pi,
                "is_heading": heading, "text": text, "sentiment": sent, "sentiment_score": score,
                "p_negative": probs[0], "p_neutral": probs[1], "p_positive": probs[2], "actors": actors,
                "topics": topics, "paragraph_hash": f"{aid}-{pi}", "model_key": "synthetic",
                "topic_scores": "{}", "embedding": np.zeros(4, dtype=np.float32)})
            rows["sentences"].append({
                "article_id": aid, "paragraph_index": pi, "sentence_index": 0, "start": 0, "end": len(text),
                "text": text, "sentiment": sent, "sentiment_score": score, "p_negative": probs[0],
                "p_neutral": probs[1], "p_positive": probs[2], "embedding": np.zeros(4, dtype=np.float32)})
            for actor in actors:
                surface = actor if actor in text else actor.split()[-1]
                for m in re.finditer(re.escape(surface), text):
                    rows["mentions"].append({
                        "article_id": aid, "paragraph_index": pi, "sentence_index": 0, "actor": actor,
                        "actor_type": "country" if " " not in actor else "person", "role": "", "surface": surface,
                        "start": m.start(), "end": m.end()})
        for pi, speaker, quote, sent, score in a["quotes"]:
            text = a["paragraphs"][pi][0]
            start = text.index(quote)
            rows["quotes"].append({
                "article_id": aid, "source_file": src, "paragraph_index": pi, "speaker": speaker, "quote": quote,
                "sentiment": sent, "topics": list(a["paragraphs"][pi][4][:1]), "sentence_index": 0, "cue": "said",
                "start": start, "end": start + len(quote), "sentiment_score": score})
        for pi, actor, topic, stance, conf, kind in a["stances"]:
            text = a["paragraphs"][pi][0]
            rows["stances"].append({
                "article_id": aid, "source_file": src, "paragraph_index": pi, "actor": actor, "topic": topic,
                "stance": stance, "confidence": conf, "evidence": text, "evidence_kind": kind})
    return {name: pd.DataFrame(r, columns=_columns(name)) for name, r in rows.items()}


def _columns(name: str) -> list[str]:
    from dashboard.store import TABLE_COLUMNS

    return TABLE_COLUMNS[name]


def write_rich_store(root: Path) -> Path:
    Store(root).write(_tables())
    return root


@pytest.fixture(scope="session")
def rich_store_master(tmp_path_factory) -> Path:
    return write_rich_store(tmp_path_factory.mktemp("rich_store"))


@pytest.fixture
def rich_store(rich_store_master, tmp_path, monkeypatch) -> Path:
    dst = tmp_path / "rich"
    shutil.copytree(rich_store_master, dst, ignore=shutil.ignore_patterns(".lock"))
    monkeypatch.setenv("STANCEWATCH_STORE", str(dst))
    return dst


def app_on(store: Path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("STANCEWATCH_STORE", str(store))
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def ok(at) -> None:
    """No exception and no error box on the page."""
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def texts(at) -> str:
    """Every markdown, caption, info and title text of the current run, joined."""
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption] + [e.value for e in at.info]
    parts += [e.value for e in at.title] + [e.value for e in at.subheader] + [e.value for e in at.warning]
    return "\n".join(str(p) for p in parts)


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


# ---- every page renders ------------------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES)
def test_app_every_page_renders_on_the_seeds(page, seed_store, monkeypatch):
    at = app_on(seed_store, monkeypatch).run()
    ok(at)
    at.switch_page(page).run()
    ok(at)
    assert at.title, f"{page} has no title"
    if page == "pages/overview.py":
        assert int(metric(at, "Articles")) == len(Store(seed_store).read_table("articles")) >= 1
        assert not at.info, [i.value for i in at.info]  # actors, sentiment and articles are all there


@pytest.mark.parametrize("page", PAGES)
def test_app_every_page_renders_with_quotes_stances_topics(page, rich_store, monkeypatch):
    at = app_on(rich_store, monkeypatch).run()
    at.switch_page(page).run()
    ok(at)
    notices = " ".join(i.value for i in at.info)
    assert "yet" not in notices, f"{page} says data is missing: {notices}"


def test_app_overview_counts_and_article_list(rich_store, monkeypatch):
    at = app_on(rich_store, monkeypatch).run()
    ok(at)
    assert metric(at, "Articles") == "3"
    assert metric(at, "Paragraphs") == "10"
    assert metric(at, "Quotes") == "5"
    assert metric(at, "Stances") == "7"
    arts = at.dataframe[0].value
    assert list(arts["title"]) == ["Talks on a ceasefire stall", "EU leaders back a European defence plan",
                                   "Trump rules out US security guarantees for Ukraine"]


def test_app_says_plainly_when_tables_are_empty(tmp_path, monkeypatch):
    spec = [{**ARTICLES[1], "quotes": [], "stances": [],
             "paragraphs": [(t, s, sc, [], [], h) for t, s, sc, _, _, h in ARTICLES[1]["paragraphs"]]}]
    Store(tmp_path).write(_tables(spec))
    at = app_on(tmp_path, monkeypatch).run()
    ok(at)
    expected = {"pages/actors.py": "No stances yet", "pages/topics.py": "No topics assigned yet",
                "pages/quotes.py": "No quotes yet"}
    for page, notice in expected.items():
        at.switch_page(page).run()
        ok(at)
        assert notice in " ".join(i.value for i in at.info), page


# ---- filters ---------------------------------------------------------------------------------

def sidebar_multiselect(at, label: str):
    return next(w for w in at.sidebar.multiselect if w.label == label)


def test_app_actor_filter_changes_every_page_and_survives_page_switches(rich_store, monkeypatch):
    at = app_on(rich_store, monkeypatch).run()
    assert "All 10 paragraphs" in texts(at)
    sidebar_multiselect(at, "Actors").set_value(["Emmanuel Macron"]).run()
    ok(at)
    assert "1 of 10 paragraphs match" in texts(at)
    assert metric(at, "Articles") == "1" and metric(at, "Quotes") == "1"
    assert list(at.dataframe[0].value["title"]) == ["EU leaders back a European defence plan"]

    at.switch_page("pages/quotes.py").run()
    ok(at)
    assert sidebar_multiselect(at, "Actors").value == ["Emmanuel Macron"]
    quotes = at.dataframe[0].value
    assert list(quotes["speaker"]) == ["Emmanuel Macron"]
    assert list(quotes["quote"]) == ["Europe must defend itself"]

    at.switch_page("pages/actors.py").run()
    ok(at)
    assert at.selectbox(key="act_cell_select").value == ("Emmanuel Macron", "European defence")
    evidence = [m.value for m in at.markdown if "Sentence:" in m.value or "Quote:" in m.value]
    assert len(evidence) == 1
    assert evidence[0].startswith(":green-badge[favor]") and "Europe must defend itself" in evidence[0]

    at.switch_page("pages/reader.py").run()
    ok(at)
    assert at.selectbox(key="rd_article").value == "a2"

    at.button(key="flt_clear").click().run()
    ok(at)
    assert sidebar_multiselect(at, "Actors").value == []
    assert "All 10 paragraphs" in texts(at)


def test_app_topic_sentiment_and_date_filters(rich_store, monkeypatch):
    import datetime as dt

    at = app_on(rich_store, monkeypatch).run()
    sidebar_multiselect(at, "Topics").set_value(["Ceasefire"]).run()
    ok(at)
    assert "3 of 10 paragraphs match" in texts(at)
    sidebar_multiselect(at, "Sentiment").set_value(["negative"]).run()
    assert "2 of 10 paragraphs match" in texts(at)
    at.switch_page("pages/topics.py").run()
    ok(at)
    at.button(key="flt_clear").click().run()
    at.sidebar.date_input(key="flt_dates").set_value((dt.date(2025, 3, 1), dt.date(2025, 3, 31))).run()
    ok(at)
    assert "3 of 10 paragraphs match" in texts(at)
    at.switch_page("pages/quotes.py").run()
    assert list(at.dataframe[0].value["speaker"]) == ["Emmanuel Macron"]


def test_app_quote_search(rich_store, monkeypatch):
    at = app_on(rich_store, monkeypatch).run()
    at.switch_page("pages/quotes.py").run()
    assert len(at.dataframe[0].value) == 5
    at.text_input(key="qt_search").input("without GUARANTEES").run()
    ok(at)
    assert list(at.dataframe[0].value["speaker"]) == ["Volodymyr Zelenskyy"]
    at.text_input(key="qt_search").input("guarantees").run()  # quote or title
    assert sorted(at.dataframe[0].value["speaker"]) == ["Donald Trump", "Donald Trump", "Volodymyr Zelenskyy"]
    at.selectbox(key="qt_sort").set_value("Most positive first").run()
    assert list(at.dataframe[0].value["sentiment_score"]) == [0.8, -0.4, -0.5]


def test_app_chart_click_sets_the_filter():
    """What an on_select callback receives (a plotly selection) becomes the filter."""
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st

        from dashboard.ui import filters

        filters._init()
        event = {"selection": {"points": [{"x": 3, "y": "Trump", "customdata": ["Donald Trump"]},
                                          {"x": 1, "y": "Russia", "customdata": "Russia"}],
                               "point_indices": [0, 1], "box": [], "lasso": []}}
        if st.button("pick", key="pick"):
            filters.filter_from_pick("actors")(event)
        cells = filters.picked({"selection": {"points": [{"customdata": ["Donald Trump", "Ceasefire"]}]}},
                               whole=True)
        st.write(repr(cells))
        st.write(repr(filters.current().actors))

    at = AppTest.from_function(script).run()
    assert at.markdown[0].value == "[('Donald Trump', 'Ceasefire')]"
    assert at.markdown[1].value == "()"
    at.button(key="pick").click().run()
    assert at.markdown[1].value == "('Donald Trump', 'Russia')"


# ---- reader: escaped text ------------------------------------------------------------------------

def test_app_reader_shows_paragraphs_escaped_with_quotes_highlighted(rich_store, monkeypatch):
    at = app_on(rich_store, monkeypatch).run()
    at.switch_page("pages/reader.py").run()
    at.selectbox(key="rd_article").set_value("a3").run()
    ok(at)
    md = [m.value for m in at.markdown]
    hostile = next(m for m in md if "script" in m)
    assert "<script>" not in hostile and "\\<script\\>" in hostile
    assert "](javascript" not in hostile and "$x" not in hostile.replace("\\$x", "")
    assert ":red[" not in hostile
    quoted = next(m for m in md if "very close" in m)
    assert ":orange-background[“We are very close to a deal\\,”]" in quoted
    assert "**Donald Trump**" in quoted


def test_ui_never_renders_html():
    for path in [ROOT / "streamlit_app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "dashboard" / "ui").glob("*.py")]:
        src = path.read_text(encoding="utf-8")
        assert "unsafe_allow_html=True" not in src, path
        assert "st.html(" not in src and "components.html" not in src, path


# ---- upload ----------------------------------------------------------------------------------------

NEW_ARTICLE = ("date 2025-03-03\n\nFinland offers to host peace talks\n\n"
               "Finnish President Alexander Stubb said on Monday that Helsinki was ready to host talks between "
               "Russia and Ukraine. “Finland is ready to help end this war,” Stubb told reporters in Helsinki.\n\n"
               "The offer was welcomed in Kyiv, where officials said any talks must include European partners.\n")


def test_app_upload_adds_an_article_and_reports_each_file(store_copy, monkeypatch):
    at = app_on(store_copy, monkeypatch).run()
    ok(at)
    before = int(metric(at, "Articles"))
    at.switch_page("pages/upload.py").run()
    ok(at)
    at.file_uploader[0].set_value([
        ("finland.txt", NEW_ARTICLE.encode(), "text/plain"),
        ("empty.txt", b"", "text/plain"),
        ("again.txt", NEW_ARTICLE.encode(), "text/plain"),
    ]).run()
    at.button(key="up_go").click().run(timeout=180)
    ok(at)
    result = at.dataframe[0].value.set_index("file")
    assert result.loc["finland.txt", "result"] == "added"
    assert result.loc["finland.txt", "title"] == "Finland offers to host peace talks"
    assert result.loc["empty.txt", "result"] == "rejected" and "empty" in result.loc["empty.txt", "reason"]
    assert result.loc["again.txt", "result"] == "duplicate in this upload"
    assert "1 new article added" in " ".join(s.value for s in at.success)
    # the new article is on every page at once
    at.switch_page("pages/overview.py").run()
    ok(at)
    assert int(metric(at, "Articles")) == before + 1
    assert "Finland offers to host peace talks" in set(at.dataframe[0].value["title"])
    assert f"All {len(Store(store_copy).read_table('paragraphs'))} paragraphs" in texts(at)
    # uploading it again: already known, not scored again
    at.switch_page("pages/upload.py").run()
    at.file_uploader[0].set_value(("finland-copy.txt", NEW_ARTICLE.encode(), "text/plain")).run()
    at.button(key="up_go").click().run(timeout=180)
    ok(at)
    assert at.dataframe[0].value["result"].tolist() == ["already known"]


def test_upload_handler_reports_rejections_without_scoring(tmp_path, engine_factory):
    from dashboard.ui.upload import handle_uploads

    eng = engine_factory(tmp_path)
    report, rows = handle_uploads([("notes.exe", b"MZ\x00\x01"), ("blank.md", b"   \n\n  ")], engine=eng)
    assert report.added == [] and rows["result"].tolist() == ["rejected", "rejected"]
    assert "unsupported file type" in rows["reason"].iat[0]
    assert rows["reason"].iat[1]
