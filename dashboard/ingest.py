"""Files to Article records: txt/md (the seed format), html, pdf, docx.

Every failure is an IngestError with one sentence a person can act on; nothing else escapes
`read_document` for any input bytes (tests/test_ingest_fuzz.py checks that).

Limits (each refusal names the limit):
  MAX_BYTES       50 MB per file, the same as the upload limit. A file of exactly 50 MB or more
                  is refused before it is parsed; the CLI checks the size on disk before reading.
  MAX_TEXT_CHARS  2 million characters of extracted text (about 300,000 words, several books).
                  The byte limit alone is not enough: scoring runs at a few thousand characters
                  a second on 2 cores (a 1 MB single line, 212 paragraphs, took 8 minutes on a
                  busy 2-core machine), so a 50 MB text file would take many hours, while the
                  limit bounds one file at minutes. A news article is 5-50 thousand characters.
  MAX_HTML_CHARS  10 million characters of markup, so the HTML parser's tree stays a few hundred MB.
  MAX_DOCX_UNZIPPED 256 MB unpacked inside a .docx (a zip bomb is refused before python-docx opens it).
A paragraph longer than MAX_PARAGRAPH_CHARS (a 1 MB single line) is split into paragraphs of
whole sentences; every regular expression here runs in linear time on such lines.
"""
from __future__ import annotations

import codecs
import io
import logging
import os
import re
import unicodedata
import zipfile
import zlib
from pathlib import Path, PurePath

from .schema import Article, Paragraph, Sentence, content_hash, normalise_text

SUPPORTED_EXTENSIONS = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
MAX_BYTES = 50 * 1024 * 1024  # one file; a file of this size or larger is refused with a reason
MAX_TEXT_CHARS = 2_000_000  # extracted text; see the module docstring for why
MAX_HTML_CHARS = 10_000_000  # markup handed to the HTML parser
MAX_DOCX_UNZIPPED = 256 * 1024 * 1024  # the parts of a .docx, unpacked
MAX_PARAGRAPH_CHARS = 5000  # a paragraph longer than this (a 1 MB single line) is split
MAX_NAME_CHARS = 200

DATE_TOKEN = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\b[ \t]*", re.IGNORECASE)
PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
TERMINAL_PUNCT = tuple('.!?:;…"”’)»')
HEADING_MAX_WORDS = 12
# C0/C1 control characters other than tab and newline: dropped from extracted text
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_KEEP_FORMAT_CHARS = {"\u200c", "\u200d"}  # zero-width (non-)joiners are part of Persian, Indic names


class IngestError(ValueError):
    """A file that cannot be read as an article; the message says why, in one line."""


def _printable(text: str) -> str:
    """Text without control, format (bidi overrides), surrogate or unassigned characters."""
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in _KEEP_FORMAT_CHARS)


def safe_display_name(name: str) -> str:
    """The base name of an uploaded file, with control characters and path parts removed.

    Uploaded names are shown to people and stored as a column; they are never used as paths.
    `../x.txt`, `C:\\x.txt` and `a/b/x.txt` all become `x.txt`; non-Latin letters are kept.
    """
    name = _printable(unicodedata.normalize("NFC", str(name))).replace("\\", "/")
    name = "".join(" " if unicodedata.category(ch)[0] == "Z" else ch for ch in name)  # incl. line separators
    base = PurePath(name).name if name.strip("/ ") else ""
    base = base.strip().lstrip(".").rstrip(". ") or "unnamed"
    if len(base) > MAX_NAME_CHARS:
        stem, ext = os.path.splitext(base)
        ext = ext if len(ext) <= 10 else ""
        base = stem[:MAX_NAME_CHARS - len(ext)] + ext
    return base


def safe_path_label(path: str | os.PathLike) -> str:
    """A local path as shown in CLI messages: printable, never more than one line."""
    label = _printable(os.fsdecode(path)) if isinstance(path, (str, bytes, os.PathLike)) else _printable(str(path))
    return label[:1000] or "unnamed"


# ---- decoding --------------------------------------------------------------------------------

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def decode_text(data: bytes) -> str:
    """Bytes to text: BOMs honoured (UTF-8/16/32), then UTF-8, then UTF-16 without BOM, then
    cp1252/latin-1. Binary data (NULs or many control characters) is refused."""
    _refuse_disguised(data)
    if data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="replace")
    elif data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        text = data.decode("utf-32", errors="replace")
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    else:
        text = None
        if _looks_utf16(data):  # before UTF-8: ASCII text in UTF-16 is valid UTF-8 full of NULs
            text = _try(data, "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be")
        if text is None:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = _mostly_utf8(data)
            if text is None:
                try:
                    text = data.decode("cp1252")
                except UnicodeDecodeError:
                    text = data.decode("latin-1")
    if _is_binary(text):
        raise IngestError("the file looks like binary data, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few stray bytes (one pasted latin-1 character) stays UTF-8, with the stray
    bytes replaced: decoding it all as cp1252 would garble every accented letter."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
    return text if good > 4 * bad else None


def _refuse_disguised(data: bytes) -> None:
    if data.startswith(b"%PDF-"):
        raise IngestError("the file is a PDF with the wrong extension; rename it to .pdf")
    if data.startswith(b"PK\x03\x04"):
        raise IngestError("the file is a zip archive (a .docx?) with the wrong extension; rename it to .docx")


def _looks_utf16(data: bytes) -> bool:
    sample = data[:4000]
    if len(sample) < 4:
        return False
    even_nuls = sample[0::2].count(0) / max(1, len(sample[0::2]))
    odd_nuls = sample[1::2].count(0) / max(1, len(sample[1::2]))
    return max(even_nuls, odd_nuls) > 0.3 and min(even_nuls, odd_nuls) < 0.05


def _is_binary(text: str) -> bool:
    sample = text[:20000]
    if not sample:
        return False
    bad = sum(1 for ch in sample if (unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\n\r\t\f\v")
              or ch == "\ufffd")
    return bad / len(sample) > 0.05


def _check_text_length(text: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise IngestError(f"the file holds {len(text) / 1e6:.1f} million characters of text; the limit is "
                          f"{MAX_TEXT_CHARS / 1e6:.0f} million (scoring more would take hours): split it into articles")


def clean_text(text: str) -> str:
    """Extracted text without control characters (form feeds and vertical tabs become line breaks)."""
    return _CONTROL_CHARS.sub(lambda m: "\n" if m.group(0) in "\x0b\x0c" else "", text)


# ---- the seed format ------------------------------------------------------------------------

def split_date(text: str) -> tuple[str | None, str]:
    m = DATE_TOKEN.match(text)
    if not m:
        return None, text
    return m.group(1), text[m.end():]


def is_heading(block: str) -> bool:
    """A short single line with no final punctuation."""
    line = block.strip()
    return ("\n" not in line and 0 < len(line.split()) <= HEADING_MAX_WORDS
            and not line.endswith(TERMINAL_PUNCT) and any(ch.isalpha() for ch in line))


def split_blocks(text: str) -> list[str]:
    blocks = []
    for raw in PARAGRAPH_BREAK.split(text):
        block = " ".join(line.strip() for line in raw.strip().split("\n") if line.strip())
        if block:
            blocks.extend(_cap_length(block))
    return blocks


def _cap_length(block: str) -> list[str]:
    """A very long block (a 1 MB single line) becomes paragraphs of sentences of bounded size."""
    if len(block) <= MAX_PARAGRAPH_CHARS:
        return [block]
    out, current = [], ""
    for start, end in sentence_spans(block):
        sent = block[start:end]
        while len(sent) > MAX_PARAGRAPH_CHARS:  # no sentence boundary at all: cut at a space
            cut = sent.rfind(" ", 0, MAX_PARAGRAPH_CHARS)
            cut = cut if cut > 0 else MAX_PARAGRAPH_CHARS
            if current:
                out.append(current)
                current = ""
            out.append(sent[:cut].strip())
            sent = sent[cut:].strip()
        if current and len(current) + 1 + len(sent) > MAX_PARAGRAPH_CHARS:
            out.append(current)
            current = ""
        current = f"{current} {sent}".strip()
    if current:
        out.append(current)
    return [b for b in out if b]


_MD_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+|$)")
_MD_RULE = re.compile(r"^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_MD_LIST = re.compile(r"^[ \t]*(?:>+|[-*+][ \t]|\d{1,9}\.[ \t])[ \t]*")
# bounded spans: a 1 MB line full of `[` or `*` must not make these quadratic
_MD_LINK = re.compile(r"!?\[([^\]\n]{0,300})\]\([^)\n]{0,2000}\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)([^\n]{1,200}?)(?<=\S)\1")


def _md_heading(line: str) -> str | None:
    m = _MD_HEADING.match(line)
    if not m:
        return None
    return line[m.end():].strip().rstrip("#").strip()


def markdown_to_text(text: str) -> tuple[str, set[int]]:
    """Markdown to plain blocks; returns the text and the indexes of blocks that are headings."""
    blocks, headings = [], set()
    for block in PARAGRAPH_BREAK.split(text):
        lines = [ln for ln in block.split("\n") if ln.strip()]
        if not lines:
            continue
        current: list[str] = []
        for ln in lines:
            heading = _md_heading(ln)
            if heading is not None:
                if current:
                    blocks.append(" ".join(current))
                    current = []
                if heading:
                    headings.add(len(blocks))
                    blocks.append(heading)
            elif _MD_RULE.match(ln):
                continue
            else:
                current.append(_MD_LIST.sub("", ln, count=1).strip())
        if current:
            blocks.append(" ".join(current))
    out, out_headings = [], set()
    for i, b in enumerate(blocks):
        b = _MD_EMPHASIS.sub(r"\2", _MD_LINK.sub(r"\1", b)).strip()
        if b:
            if i in headings:
                out_headings.add(len(out))
            out.append(b)
    return "\n\n".join(out), out_headings


# ---- other formats ---------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)
# elements whose content is code or chrome, never article text
_HTML_DROP = ["script", "style", "noscript", "template", "iframe", "frame", "frameset", "object", "embed",
              "applet", "canvas", "svg", "math", "nav", "header", "footer", "aside", "form", "button",
              "select", "textarea", "input", "head"]
_HTML_BLOCKS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "pre", "dd", "dt", "figcaption"]


def decode_html(data: bytes) -> str:
    """HTML bytes to text: a BOM, else UTF-8, else the page's <meta charset>, else cp1252."""
    if data.startswith(_BOMS + (b"\x00\x00\xfe\xff",)):
        return decode_text(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
        m = _META_CHARSET.search(data[:8192])
        if m:
            try:
                name = codecs.lookup(m.group(1).decode("ascii")).name
            except (LookupError, UnicodeDecodeError):
                name = None
            if name and not name.startswith(("utf-16", "utf-32")):  # as browsers do: those mean UTF-8 here
                text = data.decode(name, errors="replace")
        if text is None:
            return decode_text(data)
    if _is_binary(text):
        raise IngestError("the file looks like binary data, not an HTML page")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def html_to_text(data: bytes) -> tuple[str, str | None, str | None]:
    """Main text of an HTML page (boilerplate, scripts, styles and event handlers dropped), its
    title and date. Only text nodes are kept: no markup or attribute reaches the article."""
    raw = decode_html(data)
    if len(raw) > MAX_HTML_CHARS:
        raise IngestError(f"the HTML page is {len(raw) / 1e6:.0f} million characters of markup; the limit is "
                          f"{MAX_HTML_CHARS / 1e6:.0f} million: save the article text alone")
    try:
        text, title = _html_blocks(raw, None)
    except IngestError:
        raise
    except RecursionError:
        raise IngestError("the HTML page is nested too deeply to read") from None
    except Exception as exc:  # the parser's own failures on malformed markup
        raise IngestError(f"the HTML page could not be parsed ({type(exc).__name__})") from None
    date = _html_date(raw)
    if date and not re.match(r"^\d{4}-\d{2}-\d{2}$", str(date)):
        date = None
    return text, title, date


_HTML_BREAKS = ("br", "div", "td", "th", "tr", "section", "article")  # boundaries inside a block


_HTML_DATE = re.compile(r"""<meta[^>]{0,200}?(?:article:published_time|datePublished|pubdate|date)["'][^>]{0,200}?"""
                        r"""content\s*=\s*["'](\d{4}-\d{2}-\d{2})""", re.IGNORECASE)


def _html_date(raw: str) -> str | None:
    """The publication date from the page's meta tags, when it gives one."""
    m = _HTML_DATE.search(raw[:200_000])
    return m.group(1) if m else None


def _html_blocks(raw: str, title: str | None) -> tuple[str, str | None]:
    """Text blocks of a page with lxml (a C parser: a 10 MB page takes about a second)."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(raw.encode("utf-8", errors="replace"),
                                             parser=lxml.html.HTMLParser(encoding="utf-8"))
    except etree.ParserError:  # nothing but blank space or comments
        raise IngestError("no readable text was found in the HTML page") from None
    if not title:
        t = root.find(".//title")
        if t is not None:
            title = " ".join(t.text_content().split()) or None
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, *_HTML_DROP, with_tail=False)
    for el in root.iter(*_HTML_BREAKS):
        el.tail = "\n" + (el.tail or "")
    blocks = []
    for el in root.iter(*_HTML_BLOCKS):
        if next(el.iterancestors(*_HTML_BLOCKS), None) is not None:  # its text is in the outer block
            continue
        block = " ".join("".join(el.itertext()).split())
        if block:
            blocks.append(block)
    if not blocks:
        body = root.find("body")
        body = body if body is not None else root
        blocks = [b for b in (" ".join(line.split()) for line in "".join(body.itertext()).split("\n")) if b]
    return "\n\n".join(blocks), title


def pdf_to_text(data: bytes) -> str:
    if b"%PDF-" not in data[:1024]:  # pypdf would spend minutes hunting for objects in a large non-PDF
        raise IngestError("the file is not a PDF (no %PDF header); check the file or its extension")
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged files log warnings for every object
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError("the PDF is password-protected; save an unprotected copy")
        n_pages = len(reader.pages)
    except IngestError:
        raise
    except Exception as exc:
        if "crypt" in type(exc).__name__.lower() or "password" in str(exc).lower():
            raise IngestError("the PDF is password-protected; save an unprotected copy") from None
        raise IngestError(f"the PDF could not be read ({type(exc).__name__}); it may be damaged") from None
    pages, total, failed = [], 0, 0
    for i in range(n_pages):
        try:
            page_text = reader.pages[i].extract_text() or ""
        except Exception:  # one damaged page: keep the others
            failed += 1
            continue
        pages.append(page_text)
        total += len(page_text)
        if total > MAX_TEXT_CHARS:
            raise IngestError(f"the PDF holds more than {MAX_TEXT_CHARS / 1e6:.0f} million characters of text "
                              "(the limit; scoring more would take hours): split it into articles")
    if failed and failed == n_pages:
        raise IngestError("the PDF could not be read (no page could be decoded); it may be damaged")
    text = "\n\n".join(pages).strip()
    if not any(ch.isalpha() for ch in text):
        raise IngestError("the PDF has no text layer (a scanned document?); run OCR on it first")
    # pypdf ends every line with a newline: join lines inside a paragraph
    return re.sub(r"(?<![.!?:\n])\n(?!\n)", " ", text)


def docx_to_text(data: bytes) -> tuple[str, set[int], str | None]:
    corrupt = "the .docx file is corrupt or not a Word document"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
    except Exception:
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            raise IngestError("the file is an old Word .doc, not .docx; save it as .docx") from None
        raise IngestError(f"{corrupt} (not a zip archive)") from None
    if "word/document.xml" not in names:
        raise IngestError(f"{corrupt} (no word/document.xml inside)")
    if sum(i.file_size for i in infos) > MAX_DOCX_UNZIPPED:
        raise IngestError(f"the .docx file unpacks to more than {MAX_DOCX_UNZIPPED // 2**20} MB; "
                          "save the article text alone")
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
        blocks, headings = [], set()
        for para in document.paragraphs:
            text = " ".join(para.text.split())  # line breaks inside a Word paragraph
            if not text:
                continue
            try:
                style = (para.style.name if para.style is not None else "") or ""
            except Exception:  # a damaged style part: treat as body text
                style = ""
            if style.lower().startswith(("heading", "title")):
                headings.add(len(blocks))
            blocks.append(text)
        title = document.core_properties.title or None
    except RecursionError:
        raise IngestError(f"{corrupt} (nested too deeply)") from None
    except Exception as exc:
        detail = "damaged compressed data" if isinstance(exc, (zlib.error, zipfile.BadZipFile, EOFError)) \
            else type(exc).__name__
        raise IngestError(f"{corrupt} ({detail})") from None
    return "\n\n".join(blocks), headings, title


# ---- sentences -------------------------------------------------------------------------------

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "sgt", "capt", "gov", "sen", "rep", "st",
    "jr", "sr", "inc", "ltd", "co", "corp", "vs", "etc", "no", "approx", "dept", "est", "fig", "jan",
    "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "u.n",
    "e.g", "i.e", "a.m", "p.m", "pres", "min", "adm", "rev", "hon",
}
# A run of terminal punctuation (only where a run starts, so a line of a million "!" stays linear),
# closing quotes, then space and a capital: a sentence end, unless the word is an abbreviation.
_SENT_END = re.compile(r"(?<![.!?])[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9À-Ý])")
_LAST_WORD = re.compile(r"([\w.]+)[.]+[\"'”’)\]]*$")
_ABBREVIATION_WINDOW = 40  # characters before a sentence end that can hold the abbreviation


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence boundaries as (start, end) offsets; knows abbreviations and closing quotes."""
    spans, start = [], 0
    for m in _SENT_END.finditer(text):
        end = m.end()
        word = _LAST_WORD.search(text, max(start, end - _ABBREVIATION_WINDOW), end)
        if word and m.group(0).startswith(".") and (
            word.group(1).lower().rstrip(".") in _ABBREVIATIONS or re.fullmatch(r"[A-Z]", word.group(1))
        ):
            continue
        if text[start:end].strip():
            spans.append((start, end))
        start = end
        while start < len(text) and text[start].isspace():
            start += 1
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


def split_sentences(paragraph: Paragraph) -> list[Sentence]:
    return [
        Sentence(paragraph.article_id, paragraph.index, i, s, e, paragraph.text[s:e])
        for i, (s, e) in enumerate(sentence_spans(paragraph.text))
    ]


# ---- documents -------------------------------------------------------------------------------

def read_document(name: str, data: bytes) -> Article:
    """One uploaded or on-disk file to an Article. Raises IngestError with the reason.

    `name` is only shown (safe_display_name) and its extension chooses the reader; it is never
    used as a path.
    """
    display = safe_display_name(name)
    ext = os.path.splitext(display)[1].lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise IngestError(f"unsupported file type {ext or '(none)'}; use one of {', '.join(SUPPORTED_EXTENSIONS)}")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise IngestError("the file's content is not bytes")
    data = bytes(data)
    check_size(len(data))
    if not data.strip():
        raise IngestError("the file holds only blank space")
    title = date = None
    headings: set[int] | None = None
    if ext in (".txt", ".md") and _sniff_html(data):
        ext = ".html"  # a saved web page named .txt: read as HTML so its scripts are dropped
    if ext in (".txt", ".md"):
        text = decode_text(data)
        _check_text_length(text)
        date, text = split_date(text)
        if ext == ".md":
            text, headings = markdown_to_text(text)
    elif ext in (".html", ".htm"):
        text, title, html_date = html_to_text(data)
        _check_text_length(text)
        date, text = split_date(text)
        date = date or html_date
    elif ext == ".pdf":
        date, text = split_date(pdf_to_text(data))
    else:
        text, headings, title = docx_to_text(data)
        _check_text_length(text)
        date, text = split_date(text)
    return build_article(display, text, date=date, title=title, headings=headings)


def check_size(n_bytes: int) -> None:
    """The size checks, also made on disk before a file is read (dashboard.pipeline.score_paths)."""
    if n_bytes == 0:
        raise IngestError("the file is empty")
    if n_bytes >= MAX_BYTES:
        raise IngestError(f"the file is {n_bytes / 2**20:.1f} MB; files must be smaller than {MAX_BYTES // 2**20} MB")


def _sniff_html(data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html"))


def build_article(source_file: str, text: str, *, date: str | None = None, title: str | None = None,
                  headings: set[int] | None = None) -> Article:
    """Text to an Article: blocks split at blank lines (long ones capped), control characters
    dropped. `headings` are indexes of blocks (as separated by blank lines) that are headings."""
    text = clean_text(text)
    blocks: list[str] = []
    flags: list[bool] = []
    for i, raw in enumerate(b for b in PARAGRAPH_BREAK.split(text) if b.strip()):
        pieces = split_blocks(raw)
        for j, piece in enumerate(pieces):
            blocks.append(piece)
            flags.append((i in headings and j == 0) if headings is not None else None)
    if not blocks or not any(any(ch.isalpha() for ch in b) for b in blocks):
        raise IngestError("no readable text was found in the file")
    article_id = content_hash("\n\n".join(blocks))
    flags = [f if f is not None else is_heading(b) for f, b in zip(flags, blocks)]
    paragraphs = tuple(Paragraph(article_id, i, b, flags[i]) for i, b in enumerate(blocks))
    title = _printable(" ".join(str(title).split())) if title else ""
    if not title:
        title = blocks[0] if flags[0] else _first_sentence(blocks[0])
    return Article(article_id, source_file, normalise_text(title)[:200], date, paragraphs)


def _first_sentence(block: str) -> str:
    spans = sentence_spans(block)
    first = block[spans[0][0]:spans[0][1]] if spans else block
    return first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "…"


def iter_paths(paths: list[str | Path]) -> list[Path]:
    """Files named, and the supported files inside folders named (sorted, recursive; symbolic
    links to folders are not followed, so a link loop cannot make this endless)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = []
            for dirpath, dirnames, filenames in os.walk(p, followlinks=False):
                dirnames.sort()
                for f in filenames:
                    fp = Path(dirpath) / f
                    if fp.suffix.lower() in SUPPORTED_EXTENSIONS and fp.is_file():
                        found.append(fp)
            out.extend(sorted(found))
        else:
            out.append(p)
    return out
