"""The one vocabulary: typed records and the column names of every table.

Records flow one way (ingest -> encode -> heads -> extract -> tables -> store); each stage
takes records and returns records. Tables are pandas DataFrames whose columns are listed here
once, so that the store, the CLI exports and the pages agree.
"""
from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field

SENTIMENT_LABELS = ("negative", "neutral", "positive")
STANCE_LABELS = ("against", "neutral", "favor")
ACTOR_TYPES = ("person", "country", "organisation")


def normalise_text(text: str) -> str:
    """NFKC, unified quotes/dashes kept, whitespace collapsed: the text a content hash is taken of."""
    text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


def content_hash(text: str, n: int = 16) -> str:
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()[:n]


@dataclass(frozen=True)
class Paragraph:
    article_id: str
    index: int
    text: str
    is_heading: bool = False

    @property
    def paragraph_hash(self) -> str:
        return content_hash(self.text)


@dataclass(frozen=True)
class Sentence:
    article_id: str
    paragraph_index: int
    index: int
    start: int  # character offsets in the paragraph text
    end: int
    text: str


@dataclass(frozen=True)
class Article:
    article_id: str
    source_file: str
    title: str
    date: str | None  # ISO YYYY-MM-DD or None
    paragraphs: tuple[Paragraph, ...] = field(default_factory=tuple)

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.paragraphs)


@dataclass(frozen=True)
class Mention:
    """One mention of a canonical actor in a sentence."""
    article_id: str
    paragraph_index: int
    sentence_index: int
    actor: str  # canonical name
    actor_type: str  # one of ACTOR_TYPES
    surface: str  # the text as written
    start: int  # offsets in the paragraph text
    end: int
    role: str = ""  # title dropped from the name ("President", "Foreign Minister")


@dataclass(frozen=True)
class Quote:
    """A direct quote: speaker, cue (the reporting verb), content (textacy's DQTriple)."""
    article_id: str
    paragraph_index: int
    sentence_index: int
    speaker: str  # canonical actor, "" when no speaker was found
    cue: str
    quote: str
    start: int  # offsets of the quote content in the paragraph text
    end: int


@dataclass(frozen=True)
class StanceRow:
    article_id: str
    paragraph_index: int
    actor: str
    topic: str
    stance: str  # one of STANCE_LABELS
    confidence: float
    evidence: str
    evidence_kind: str = "sentence"  # "quote" or "sentence"


# ---- table columns -------------------------------------------------------------------------

ARTICLE_COLUMNS = ["article_id", "source_file", "title", "date", "n_paragraphs", "added_at", "version"]

PARAGRAPH_COLUMNS = [
    "article_id", "source_file", "title", "date", "paragraph_index", "is_heading", "text",
    "sentiment", "sentiment_score", "p_negative", "p_neutral", "p_positive", "actors", "topics",
]
# stored beside the exported columns: the cache key and what topics need
PARAGRAPH_STORE_COLUMNS = PARAGRAPH_COLUMNS + ["paragraph_hash", "model_key", "topic_scores", "embedding"]

SENTENCE_COLUMNS = [
    "article_id", "paragraph_index", "sentence_index", "start", "end", "text",
    "sentiment", "sentiment_score", "p_negative", "p_neutral", "p_positive", "embedding",
]

MENTION_COLUMNS = [
    "article_id", "paragraph_index", "sentence_index", "actor", "actor_type", "role", "surface",
    "start", "end",
]

QUOTE_COLUMNS = ["article_id", "source_file", "paragraph_index", "speaker", "quote", "sentiment", "topics"]
QUOTE_STORE_COLUMNS = QUOTE_COLUMNS + ["sentence_index", "cue", "start", "end", "sentiment_score"]

STANCE_COLUMNS = [
    "article_id", "source_file", "paragraph_index", "actor", "topic", "stance", "confidence", "evidence",
]
STANCE_STORE_COLUMNS = STANCE_COLUMNS + ["evidence_kind"]

TABLES = ("articles", "paragraphs", "sentences", "mentions", "quotes", "stances")
LIST_COLUMNS = {"actors", "topics"}
