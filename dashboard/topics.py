"""Topics: a topics file (name + description), assigned by embedding similarity."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Topic:
    name: str
    description: str
    keywords: tuple[str, ...] = ()


def load_topics(path: str | Path) -> list[Topic]:
    import yaml

    path = Path(path)
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [Topic(d["name"], d.get("description", ""), tuple(d.get("keywords", []) or [])) for d in data]


class TopicModel:
    def __init__(self, encoder, topics: list[Topic]):
        self.encoder = encoder
        self.topics = topics


def assign_topics(tables: dict, model: TopicModel) -> None:
    """Fills the topics columns of paragraphs and quotes in place (nothing yet)."""
