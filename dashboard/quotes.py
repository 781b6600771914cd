"""Quotes: direct quotes with their speaker (textacy's DQTriple: speaker, cue, content)."""
from __future__ import annotations

from .schema import Article, Mention, Quote, Sentence


def extract_quotes(article: Article, docs: list, sentences: list[list[Sentence]], mentions: list[Mention],
                   actors) -> list[Quote]:
    return []
