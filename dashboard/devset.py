"""The labelled dev corpus (tests/data/dev): loading and the held-out split.

Format and annotation rules: tests/data/dev/README.md.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatch
from functools import lru_cache
from pathlib import Path

from .ingest import read_document
from .schema import Article

DEV_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "dev"
DEV_TOPICS = DEV_DIR / "topics.yaml"
STORIES_DIR = DEV_DIR / "stories"  # one folder per story: its own topics.yaml and articles


@dataclass
class DevArticle:
    name: str
    article: Article
    gold: dict
    topics_file: Path = DEV_TOPICS  # the topic list its paragraph topics and stances use

    @property
    def split(self) -> str:
        return self.gold.get("split", "train")


def load_dev(split: str | None = None, dev_dir: Path = DEV_DIR) -> list[DevArticle]:
    """Dev articles with their gold annotation; split = "train", "heldout" or None for all.
    Annotated under `dev_dir`/topics.yaml."""
    out = []
    for txt in sorted(dev_dir.glob("*.txt")):
        ann = txt.with_suffix(".json")
        if not ann.exists():
            continue
        gold = json.loads(ann.read_text(encoding="utf-8"))
        art = read_document(txt.name, txt.read_bytes())
        if len(art.paragraphs) != len(gold["paragraphs"]):
            raise ValueError(f"{txt.name}: {len(art.paragraphs)} paragraphs read, {len(gold['paragraphs'])} annotated")
        if split is None or gold.get("split", "train") == split:
            out.append(DevArticle(txt.stem, art, gold, dev_dir / "topics.yaml"))
    return out


def load_stories(split: str | None = None, stories_dir: Path = STORIES_DIR) -> list[DevArticle]:
    """The story articles (tests/data/dev/stories/STORY/): each story is a few articles annotated
    under the story's own topic list, as an analyst brings one list per story. They test the
    topic and stance models on topic lists the 17-topic dev list does not contain."""
    if not stories_dir.is_dir():
        return []
    return [d for s in sorted(p for p in stories_dir.iterdir() if p.is_dir()) for d in load_dev(split, s)]


def by_topics_file(devs: list[DevArticle]) -> dict[Path, list[DevArticle]]:
    """The articles grouped by the topic list they are annotated under, in first-seen order."""
    out: dict[Path, list[DevArticle]] = {}
    for d in devs:
        out.setdefault(d.topics_file, []).append(d)
    return out


@lru_cache(maxsize=None)
def topic_descriptions(topics_file: Path) -> dict[str, str]:
    """Topic name -> description of a dev topic list (the corpus's files do not change while it runs)."""
    from .topics import load_topics

    return {t.name: t.description for t in load_topics(topics_file)}


def name_patterns(text: str) -> tuple[str, ...]:
    """A command line's comma-separated fnmatch patterns of dev article names ("c4[3-9],p5?")."""
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())


def matches(name: str, patterns: tuple[str, ...]) -> bool:
    """Does the article name match any of the patterns?"""
    return any(fnmatch(name, p) for p in patterns)
