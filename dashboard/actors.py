"""Actors: named people, countries and organisations per sentence, resolved to canonical actors.

Requires: spaCy docs of the article's paragraphs (the registry's `ner` role) and the actors
file. Produces: Mention records.
"""
from __future__ import annotations

from pathlib import Path

from .schema import Article, Mention, Sentence

NER_TYPES = {"PERSON": "person", "GPE": "country", "ORG": "organisation"}


def load_nlp(spec):
    import spacy

    try:
        return spacy.load(spec.resolved_path())
    except OSError as exc:
        raise RuntimeError(f"could not load the spaCy pipeline {spec.name_or_path!r}: {exc}") from None


class ActorExtractor:
    def __init__(self, actors_file: Path | None = None):
        self.actors_file = actors_file

    def extract(self, article: Article, docs: list, sentences: list[list[Sentence]]) -> list[Mention]:
        out = []
        for p, doc, sents in zip(article.paragraphs, docs, sentences):
            for ent in doc.ents:
                if ent.label_ not in NER_TYPES:
                    continue
                si = next((s.index for s in sents if s.start <= ent.start_char < s.end), 0)
                out.append(Mention(article.article_id, p.index, si, ent.text, NER_TYPES[ent.label_], ent.text,
                                   ent.start_char, ent.end_char))
        return out
