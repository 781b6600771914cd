"""The labelled dev corpus (tests/data/dev): loading and the held-out split.

Format and annotation rules: tests/data/dev/README.md.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from .ingest import read_document
from .schema import Article

DEV_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "dev"
DEV_TOPICS = DEV_DIR / "topics.yaml"


@dataclass
class DevArticle:
    name: str
    article: Article
    gold: dict

    @property
    def split(self) -> str:
        return self.gold.get("split", "train")


def load_dev(split: str | None = None, dev_dir: Path = DEV_DIR) -> list[DevArticle]:
    """Dev articles with their gold annotation; split = "train", "heldout" or None for all."""
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
            out.append(DevArticle(txt.stem, art, gold))
    return out


def name_patterns(text: str) -> tuple[str, ...]:
    """A command line's comma-separated fnmatch patterns of dev article names ("c4[3-9],p5?")."""
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())


def matches(name: str, patterns: tuple[str, ...]) -> bool:
    """Does the article name match any of the patterns?"""
    return any(fnmatch(name, p) for p in patterns)
