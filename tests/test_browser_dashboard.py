"""The real dashboard in headless Chromium (Debian's package, driven by Playwright; no browser
download): start the server on an empty store (it scores the seeds), upload a new article,
find its quote on the Quotes page, filter by its speaker by clicking the speaker's bar, export
the filtered quotes, and save screenshots of every page under tests/artifacts/ (git-ignored).
"""
from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SENTIMENT_WEIGHTS = ROOT / "models" / "weights" / "sentiment.safetensors"
UNTRAINED_SENTIMENT = Path("/tmp/untrained_sentiment.safetensors")
SLOW = 180_000  # ms: the server loads the models and scores on two shared cores

SPEAKER_SURNAME = "Kowalczyk"
QUOTE_WORDS = "colonial land grab"
ARTICLE = """date 2025-03-05

Veldria rejects the minerals deal

Foreign Minister Anna Kowalczyk of Veldria said on Tuesday that her government would not sign the proposed minerals agreement with the United States. “This deal is a colonial land grab and we will never accept it,” Kowalczyk told reporters in the capital.

Officials in Washington said talks would continue, and European diplomats urged both sides to keep negotiating.
"""

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (make install-dev installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the server did not answer in {timeout} s: {log.read_text()[-2000:]}")


@pytest.fixture
def server(tmp_path):
    """`python -m streamlit run streamlit_app.py` on a free port and an empty temp store."""
    store = tmp_path / "store"
    port = _free_port()
    env = dict(os.environ, STANCEWATCH_STORE=str(store))
    if not SENTIMENT_WEIGHTS.exists() and UNTRAINED_SENTIMENT.exists():
        env["STANCEWATCH_MODEL_SENTIMENT"] = str(UNTRAINED_SENTIMENT)
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
             "--server.headless", "true"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield {"url": url, "store": store, "log": log}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1300}, accept_downloads=True)
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        try:
            yield pg
        finally:
            context.close()
            browser.close()


def settle(pg, timeout: int = SLOW) -> None:
    """Wait until the app has finished running and every chart has drawn."""
    pg.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
               && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                    .every(e => e.querySelector('.main-svg'))
               && !document.querySelector('[data-testid="stSkeleton"]')""", timeout=timeout)
    pg.wait_for_timeout(600)


def shot(pg, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def goto_page(pg, title: str) -> None:
    pg.get_by_role("link", name=title, exact=True).first.click()
    pg.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=SLOW)
    settle(pg)


def sidebar_actor_chips(pg) -> list[str]:
    box = pg.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first
    return [t.strip() for t in box.locator(".react-aria-ComboBox [data-tag]").all_inner_texts()]


def click_bar(pg, chart, label_part: str) -> None:
    """Click the horizontal bar whose y-axis label contains `label_part`."""
    tick = chart.locator("g.ytick text", has_text=label_part).first
    tick_box = tick.bounding_box()
    y = tick_box["y"] + tick_box["height"] / 2
    bars = chart.locator("g.trace.bars g.point path")
    best = min((b.bounding_box() for b in bars.all()), key=lambda bb: abs(bb["y"] + bb["height"] / 2 - y))
    x, y = best["x"] + max(2, best["width"] / 2), best["y"] + best["height"] / 2
    pg.mouse.move(x - 3, y)
    pg.mouse.move(x, y, steps=3)  # plotly clicks act on the point under the hover
    pg.wait_for_timeout(400)
    pg.mouse.down()
    pg.mouse.up()


def test_browser_upload_find_quote_filter_by_speaker_and_export(server, page, tmp_path):
    from dashboard.store import Store

    pg = page
    # first start on an empty store: the seeds are scored, then the overview shows them
    pg.goto(server["url"], timeout=SLOW)
    pg.get_by_role("heading", name="Overview", exact=True).wait_for(timeout=SLOW)
    settle(pg)
    seeded = len(Store(server["store"]).read_table("articles"))
    assert seeded >= 1, "the server could not score the seeds: " + " ".join(
        pg.locator('[data-testid="stAlert"]').all_inner_texts())
    assert pg.locator('[data-testid="stMetric"]', has_text="Articles").inner_text().split()[-1] == str(seeded)
    shot(pg, "01_overview_seeds")

    # upload a new article
    goto_page(pg, "Upload")
    article = tmp_path / "veldria_minerals.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    pg.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(article))
    pg.get_by_role("button", name="Add 1 file to the corpus").click()
    pg.get_by_text("Result of the last upload").wait_for(timeout=SLOW)
    settle(pg)
    pg.get_by_text("1 new article added").wait_for()
    shot(pg, "02_upload_result")
    assert len(Store(server["store"]).read_table("articles")) == seeded + 1

    # on every page at once: the sidebar count and the overview
    goto_page(pg, "Overview")
    assert pg.locator('[data-testid="stMetric"]', has_text="Articles").inner_text().split()[-1] == str(seeded + 1)

    # the Quotes page: find the new quote
    goto_page(pg, "Quotes")
    quotes = Store(server["store"]).read_table("quotes")
    ours = quotes[quotes["quote"].str.contains(QUOTE_WORDS, regex=False)]
    if quotes.empty:
        shot(pg, "03_quotes_empty")
        pytest.skip("quote extraction is not available yet: the store has no quotes after the upload")
    assert len(ours) == 1, f"the uploaded quote was not extracted: {quotes[['speaker', 'quote']]}"
    speaker = ours["speaker"].iat[0]
    assert SPEAKER_SURNAME in speaker, f"the quote is attributed to {speaker!r}"

    search = pg.get_by_placeholder("Words in the quote, the speaker or the title")
    search.fill(QUOTE_WORDS)
    search.press("Enter")
    pg.get_by_text(f"1 of {len(quotes)} matching quotes contain").wait_for(timeout=SLOW)
    settle(pg)
    shot(pg, "03_quotes_search")
    search.fill("")
    search.press("Enter")
    pg.get_by_text(f"{len(quotes)} of {len(quotes)} matching quotes").wait_for(timeout=SLOW)
    settle(pg)

    # filter by its speaker: click the speaker's bar (click-to-filter)
    chart = pg.locator('[data-testid="stPlotlyChart"]').last
    click_bar(pg, chart, SPEAKER_SURNAME)
    pg.get_by_text(f"1 of 1 matching quotes").wait_for(timeout=SLOW)
    settle(pg)
    assert sidebar_actor_chips(pg) == [speaker]
    shot(pg, "04_quotes_filtered_by_speaker")

    # export the filtered quotes as CSV: only the speaker's quote
    pg.get_by_text("Export the filtered data").click()
    with pg.expect_download(timeout=SLOW) as dl:
        pg.locator(".st-key-export_quotes_csv").get_by_role("button", name="CSV").first.click()
    rows = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text(encoding="utf-8"))))
    assert [r["speaker"] for r in rows] == [speaker]
    assert QUOTE_WORDS in rows[0]["quote"]

    # the filter survives a page switch; the reader shows the article with the quote highlighted
    goto_page(pg, "Reader")
    assert sidebar_actor_chips(pg) == [speaker]
    pg.get_by_text("Veldria rejects the minerals deal").first.wait_for()
    shot(pg, "05_reader_filtered")
    for title in ("Actors", "Topics"):
        goto_page(pg, title)
        shot(pg, f"06_{title.lower()}_filtered")

    # one click clears every filter
    pg.get_by_role("button", name="Clear filters").click()
    pg.get_by_text(f"All ").first.wait_for()
    settle(pg)
    assert sidebar_actor_chips(pg) == []
    shot(pg, "07_topics_unfiltered")
    assert "Traceback" not in server["log"].read_text()
