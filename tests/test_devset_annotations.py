"""The dev corpus is consistent with its own rules (tests/data/dev/README.md)."""
import pytest

from dashboard.devset import DEV_TOPICS, STORIES_DIR, load_dev, load_stories
from dashboard.topics import load_topics

ARTICLES = load_dev()
STORIES = load_stories()


def test_devset_size_and_split():
    held = [a for a in ARTICLES if a.split == "heldout"]
    assert len(ARTICLES) >= 20 and len(held) >= 6
    assert sum(len(a.article.paragraphs) for a in ARTICLES) >= 150
    assert sum(len(a.gold["stances"]) for a in ARTICLES) >= 100
    stances = [s["stance"] for a in ARTICLES for s in a.gold["stances"]]
    assert stances.count("favor") >= 0.3 * len(stances) and stances.count("against") >= 0.3 * len(stances)


def test_story_topic_lists():
    """Every story folder has its own topic list of names and descriptions and at least one article."""
    folders = [p for p in STORIES_DIR.iterdir() if p.is_dir()] if STORIES_DIR.is_dir() else []
    for f in folders:
        topics = load_topics(f / "topics.yaml")
        assert len(topics) >= 4 and all(t.description for t in topics), f
        assert any(d.topics_file == f / "topics.yaml" for d in STORIES), f
    assert len({d.name for d in ARTICLES + STORIES}) == len(ARTICLES) + len(STORIES)


@pytest.mark.parametrize("dev", ARTICLES + STORIES, ids=lambda d: d.name)
def test_devset_annotation_matches_text(dev):
    TOPICS = {t.name for t in load_topics(dev.topics_file)}
    assert TOPICS, dev.topics_file
    gold, paras = dev.gold, dev.article.paragraphs
    assert [p["index"] for p in gold["paragraphs"]] == list(range(len(paras)))
    assert dev.article.date is not None
    actors = set(gold["actors"])
    for p, g in zip(paras, gold["paragraphs"]):
        assert g["sentiment"] in {"negative", "neutral", "positive"}
        assert set(g["actors"]) <= actors
        assert set(g["topics"]) <= TOPICS
    for q in gold["quotes"]:
        assert q["quote"] in paras[q["paragraph_index"]].text
        assert q["speaker"] in actors
    for s in gold["stances"]:
        assert s["evidence"] in paras[s["paragraph_index"]].text
        assert s["actor"] in actors and s["topic"] in TOPICS
        assert s["stance"] in {"favor", "against", "neutral"}


def test_keyword_topics_are_the_dev_topics_with_keywords():
    """tests/data/dev/topics_keywords.yaml (the keyword check of the topic combiner) differs from
    topics.yaml only by its keywords."""
    kw = load_topics(DEV_TOPICS.parent / "topics_keywords.yaml")
    plain = load_topics(DEV_TOPICS)
    assert [(t.name, t.description) for t in kw] == [(t.name, t.description) for t in plain]
    assert all(t.keywords for t in kw) and not any(t.keywords for t in plain)
