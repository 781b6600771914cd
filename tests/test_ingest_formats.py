"""The seed format and the other formats to the same Article records."""
from conftest import SEEDS

from dashboard.ingest import read_document, sentence_spans


def test_ingest_seed_date_token_heading_and_stable_id():
    f = next(SEEDS.glob("*.txt"))
    a = read_document(f.name, f.read_bytes())
    b = read_document("renamed.txt", f.read_bytes().replace(b"\n\n", b"\n  \n"))
    assert a.date == "2025-02-26" and len(a.paragraphs) == 8
    assert [p.index for p in a.paragraphs if p.is_heading] == [3]
    assert not a.paragraphs[0].text.startswith("date")
    assert a.article_id == b.article_id  # same text, other name and spacing: one article
    assert a.source_file == f.name and a.title.startswith("In a major shift")


def test_ingest_markdown_headings_and_markup_removed():
    md = b"date 2024-05-01 # Budget passes\n\nThe **council** approved the [budget](http://x) on Monday.\n\n## Reaction\n\n- Unions welcomed it."
    a = read_document("a.md", md)
    assert a.date == "2024-05-01" and a.title == "Budget passes"
    assert [(p.text, p.is_heading) for p in a.paragraphs] == [
        ("Budget passes", True), ("The council approved the budget on Monday.", False),
        ("Reaction", True), ("Unions welcomed it.", False)]


def test_ingest_html_main_text_title_and_meta_date():
    html = (b'<html><head><title>Port deal | The Courier</title><meta property="article:published_time" '
            b'content="2025-03-04T10:00:00Z"></head><body><nav>Home | World</nav><h1>Port deal signed</h1>'
            b'<p>The two ports signed a deal on Tuesday.</p><footer>Copyright</footer></body></html>')
    a = read_document("page.html", html)
    assert a.date == "2025-03-04" and a.title == "Port deal | The Courier"
    assert [p.text for p in a.paragraphs] == ["Port deal signed", "The two ports signed a deal on Tuesday."]


def test_ingest_sentences_respect_abbreviations_and_quotes():
    text = "Mr. Rhos met U.S. officials. “We will sign,” she said. “Not now.” The talks end Friday."
    got = [text[s:e] for s, e in sentence_spans(text)]
    assert got == ["Mr. Rhos met U.S. officials.", "“We will sign,” she said.", "“Not now.”", "The talks end Friday."]
