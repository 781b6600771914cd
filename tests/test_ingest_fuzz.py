"""Fuzzing ingest: for any bytes and any text, with every supported extension, read_document
returns an Article or raises IngestError with a one-line reason; nothing else escapes."""
from __future__ import annotations

import io
import os
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.ingest import SUPPORTED_EXTENSIONS, IngestError, read_document, safe_display_name
from dashboard.schema import Article

# STANCEWATCH_FUZZ_EXAMPLES=3000 for a longer hunt (about 40 s)
FUZZ = settings(max_examples=int(os.environ.get("STANCEWATCH_FUZZ_EXAMPLES", "150")), deadline=None,
                database=None, suppress_health_check=[HealthCheck.too_slow])
extensions = st.sampled_from(SUPPORTED_EXTENSIONS)


def _check(name: str, data: bytes) -> None:
    try:
        art = read_document(name, data)
    except IngestError as exc:
        reason = str(exc)
        assert reason and "\n" not in reason and len(reason) < 400
    else:
        assert isinstance(art, Article) and art.paragraphs
        assert all(p.text and p.text == p.text.strip() for p in art.paragraphs)
        assert "/" not in art.source_file and "\\" not in art.source_file


@FUZZ
@given(data=st.binary(max_size=4096), ext=extensions)
def test_ingest_fuzz_random_bytes(data, ext):
    _check("fuzz" + ext, data)


@FUZZ
@given(text=st.text(max_size=2000), ext=extensions, enc=st.sampled_from(["utf-8", "utf-16", "utf-16-le",
                                                                          "utf-32", "utf-8-sig"]))
def test_ingest_fuzz_random_unicode(text, ext, enc):
    _check("fuzz" + ext, text.encode(enc, errors="surrogatepass"))


# text made of the characters parsers care about, so the fuzzer reaches the parsers' corners
_MARKUP = st.lists(st.one_of(
    st.sampled_from(list("<>/=\"'!?-#*_[]()`.&;: \n\tab\x00\u202e\u00e9\u4e2d")),
    st.sampled_from(["<p>", "</p>", "<script>", "</script>", "<!--", "-->", "<![CDATA[", "<title>",
                     "<meta charset=\"", "&#x0;", "&#1114112;", "date 2025-01-01 ", "Mr. ", "%PDF-1.4\n", "obj",
                     "stream", "endstream", "xref", "trailer", "<<", ">>", "/Type /Page", "# ", "**", "\r\n",
                     "\u2028"]),
    st.text(max_size=5)), max_size=150).map("".join)


@FUZZ
@given(text=_MARKUP, ext=extensions)
def test_ingest_fuzz_markup_like_text(text, ext):
    _check("fuzz" + ext, text.encode("utf-8", errors="surrogatepass"))


@FUZZ
@given(parts=st.dictionaries(st.sampled_from(["word/document.xml", "[Content_Types].xml", "_rels/.rels",
                                              "word/_rels/document.xml.rels", "docProps/core.xml"]),
                             st.one_of(st.binary(max_size=200), _MARKUP.map(str.encode)), min_size=1))
def test_ingest_fuzz_docx_like_zip(parts):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, blob in parts.items():
            z.writestr(name, blob)
    _check("fuzz.docx", buf.getvalue())


@FUZZ
@given(name=st.text(max_size=300))
def test_ingest_fuzz_names_are_one_printable_base_name(name):
    shown = safe_display_name(name)
    assert shown and len(shown) <= 200
    assert "/" not in shown and "\\" not in shown and not shown.startswith(".")
    assert all(ch.isprintable() or ch in " \u200c\u200d" for ch in shown)
    shown.encode("utf-8")  # no lone surrogates
