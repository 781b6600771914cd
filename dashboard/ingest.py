"""Files to Article records: txt/md (the seed format), html, pdf, docx.

Every failure is an IngestError with one sentence a person can act on; nothing else escapes
`read_document` for any input bytes (tests/test_ingest_fuzz.py checks that).
"""
from __future__ import annotations

import io
import os
import re
import unicodedata
from pathlib import Path, PurePath

from .schema import Article, Paragraph, Sentence, content_hash, normalise_text

SUPPORTED_EXTENSIONS = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
MAX_BYTES = 50 * 1024 * 1024  # one upload; larger files are refused with a reason
MAX_PARAGRAPH_CHARS = 5000  # a paragraph longer than this (a 1 MB single line) is split

DATE_TOKEN = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\b[ \t]*", re.IGNORECASE)
PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
TERMINAL_PUNCT = tuple('.!?:;…"”’)»')
HEADING_MAX_WORDS = 12


class IngestError(ValueError):
    """A file that cannot be read as an article; the message says why, in one line."""


def safe_display_name(name: str) -> str:
    """The base name of an uploaded file, with control characters and path parts removed.

    Uploaded names are shown to people and stored as a column; they are never used as paths.
    """
    name = str(name).replace("\\", "/")
    base = PurePath(name).name or "unnamed"
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = base.strip().lstrip(".") or "unnamed"
    return base[:200]


# ---- decoding --------------------------------------------------------------------------------

def decode_text(data: bytes) -> str:
    """Bytes to text: BOMs honoured (UTF-8/16/32), then UTF-8, then UTF-16 without BOM, then
    cp1252/latin-1. Binary data (NULs or many control characters) is refused."""
    if data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="replace")
    elif data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        text = _try(data, "utf-32")
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _try(data, "utf-16")
    else:
        text = None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            if _looks_utf16(data):
                text = _try(data, "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be")
            if text is None:
                try:
                    text = data.decode("cp1252")
                except UnicodeDecodeError:
                    text = data.decode("latin-1")
    if text is None:
        raise IngestError("the file is not readable text (unknown encoding)")
    if _is_binary(text):
        raise IngestError("the file looks like binary data, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


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
    bad = sum(1 for ch in sample if (unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\n\t\f\v")
              or ch == "\ufffd")
    return bad / len(sample) > 0.05


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


_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")


def markdown_to_text(text: str) -> tuple[str, set[int]]:
    """Markdown to plain blocks; returns the text and the indexes of blocks that are headings."""
    blocks, headings = [], set()
    for block in PARAGRAPH_BREAK.split(text):
        lines = [ln for ln in block.split("\n") if ln.strip()]
        if not lines:
            continue
        current: list[str] = []
        for ln in lines:
            m = _MD_HEADING.match(ln)
            if m:
                if current:
                    blocks.append(" ".join(current))
                    current = []
                headings.add(len(blocks))
                blocks.append(m.group(1))
            elif re.match(r"^\s*([-*_]\s*){3,}$", ln):
                continue
            else:
                ln = re.sub(r"^\s*(>+|[-*+]\s|\d+\.\s)\s*", "", ln)
                current.append(ln.strip())
        if current:
            blocks.append(" ".join(current))
    blocks = [_MD_EMPHASIS.sub(r"\2", _MD_LINK.sub(r"\1", b)).strip() for b in blocks]
    return "\n\n".join(blocks), headings


# ---- other formats ---------------------------------------------------------------------------

def html_to_text(data: bytes) -> tuple[str, str | None, str | None]:
    """Main text of an HTML page (boilerplate, scripts and styles dropped), its title and date."""
    raw = decode_text(data) if not data.lstrip().startswith(b"<") else data.decode("utf-8", errors="replace")
    title = date = None
    text = ""
    try:
        import trafilatura

        doc = trafilatura.bare_extraction(raw, include_comments=False, include_tables=False,
                                          with_metadata=True, favor_recall=True)
        if doc is not None:
            text = (doc.text or "").strip()
            title, date = doc.title, doc.date
    except Exception:  # trafilatura fails on some malformed pages: fall back to the parser
        text = ""
    if not text:
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(raw, "lxml")
        for tag in soup(["script", "style", "noscript", "template", "iframe", "nav", "header", "footer",
                         "aside", "form", "svg", "button"]):
            tag.decompose()
        if soup.title and soup.title.string:
            title = title or soup.title.string.strip()
        blocks = [" ".join(el.get_text(" ").split()) for el in soup.find_all(["h1", "h2", "h3", "h4", "p", "li", "blockquote"])]
        blocks = [b for b in blocks if b]
        if not blocks:
            body = soup.body or soup
            blocks = [b for b in (" ".join(s.split()) for s in body.get_text("\n").split("\n")) if b]
        text = "\n\n".join(blocks)
    else:
        text = PARAGRAPH_BREAK.sub("\n\n", text.replace("\n", "\n\n"))
    if date and not re.match(r"^\d{4}-\d{2}-\d{2}$", str(date)):
        date = None
    return text, title, date


def pdf_to_text(data: bytes) -> str:
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        pages = [(page.extract_text() or "") for page in reader.pages]
    except Exception as exc:
        raise IngestError(f"the PDF could not be read ({type(exc).__name__})") from None
    text = "\n\n".join(pages).strip()
    if not text:
        raise IngestError("the PDF has no text layer (a scanned document?); run OCR on it first")
    # pypdf ends every line with a newline: join lines inside a paragraph
    return re.sub(r"(?<![.!?:\n])\n(?!\n)", " ", text)


def docx_to_text(data: bytes) -> tuple[str, set[int], str | None]:
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise IngestError(f"the .docx file is corrupt or not a Word document ({type(exc).__name__})") from None
    blocks, headings = [], set()
    for para in document.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        if style.lower().startswith(("heading", "title")):
            headings.add(len(blocks))
        blocks.append(text)
    title = document.core_properties.title or None
    return "\n\n".join(blocks), headings, title


# ---- sentences -------------------------------------------------------------------------------

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "sgt", "capt", "gov", "sen", "rep", "st",
    "jr", "sr", "inc", "ltd", "co", "corp", "vs", "etc", "no", "approx", "dept", "est", "fig", "jan",
    "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "u.n",
    "e.g", "i.e", "a.m", "p.m", "pres", "min", "adm", "rev", "hon",
}
_SENT_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9À-Ý])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence boundaries as (start, end) offsets; knows abbreviations and closing quotes."""
    spans, start = [], 0
    for m in _SENT_END.finditer(text):
        end = m.end()
        word = re.search(r"([\w.]+)[.]+[\"'”’)\]]*$", text[start:end])
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
    """One uploaded or on-disk file to an Article. Raises IngestError with the reason."""
    display = safe_display_name(name)
    ext = os.path.splitext(display)[1].lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise IngestError(f"unsupported file type {ext or '(none)'}; use one of {', '.join(SUPPORTED_EXTENSIONS)}")
    if len(data) == 0:
        raise IngestError("the file is empty")
    if len(data) > MAX_BYTES:
        raise IngestError(f"the file is {len(data) / 2**20:.0f} MB; the limit is {MAX_BYTES // 2**20} MB")
    title = date = None
    headings: set[int] | None = None
    if ext in (".txt", ".md"):
        text = decode_text(data)
        date, text = split_date(text)
        if ext == ".md":
            text, headings = markdown_to_text(text)
    elif ext in (".html", ".htm"):
        text, title, html_date = html_to_text(data)
        date, text = split_date(text)
        date = date or html_date
    elif ext == ".pdf":
        date, text = split_date(pdf_to_text(data))
    else:
        text, headings, title = docx_to_text(data)
        date, text = split_date(text)
    return build_article(display, text, date=date, title=title, headings=headings)


def build_article(source_file: str, text: str, *, date: str | None = None, title: str | None = None,
                  headings: set[int] | None = None) -> Article:
    blocks = split_blocks(text)
    if not blocks or not any(any(ch.isalpha() for ch in b) for b in blocks):
        raise IngestError("no readable text was found in the file")
    article_id = content_hash("\n\n".join(blocks))
    flags = [(i in headings) if headings is not None else is_heading(b) for i, b in enumerate(blocks)]
    paragraphs = tuple(Paragraph(article_id, i, b, flags[i]) for i, b in enumerate(blocks))
    if not title:
        title = blocks[0] if flags[0] else _first_sentence(blocks[0])
    return Article(article_id, source_file, normalise_text(title)[:200], date, paragraphs)


def _first_sentence(block: str) -> str:
    spans = sentence_spans(block)
    first = block[spans[0][0]:spans[0][1]] if spans else block
    return first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "…"


def iter_paths(paths: list[str | Path]) -> list[Path]:
    """Files named, and the supported files inside folders named (sorted, recursive)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED_EXTENSIONS))
        else:
            out.append(p)
    return out
