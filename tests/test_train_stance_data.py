"""The stance trainer's dev-item views (models/train_stance.py): no model needed."""
from models.train_stance import dev_examples, sentence_view

PARA = ('The union said it would not back the merger. "This deal is a disaster for our members," '
        'said Ada Korr, its leader, adding that she supported a new strike ballot.')


def test_sentence_view_is_the_whole_sentence_around_the_evidence():
    assert sentence_view(PARA, "would not back the merger") == "The union said it would not back the merger."
    quote = "This deal is a disaster for our members"
    assert sentence_view(PARA, quote).startswith('"This deal is a disaster') and sentence_view(PARA, quote).endswith(
        "new strike ballot.")
    assert sentence_view(PARA, "The union said it would not back the merger.") == (
        "The union said it would not back the merger.")
    assert sentence_view(PARA, "not in the paragraph") == "not in the paragraph"


def test_dev_examples_sentence_views_keep_labels_and_never_touch_heldout():
    plain = dev_examples("train")
    views = dev_examples("train", sentence_views=True)
    gold = [e for e in views if e["source"] == "dev"]
    extra = [e for e in views if e["source"] == "dev-sentence"]
    assert gold == plain and extra
    by_key = {(e["article"], e["paragraph"], e["actor"], e["topic"]): e for e in plain}
    for e in extra:
        g = by_key[(e["article"], e["paragraph"], e["actor"], e["topic"])]
        assert e["stance"] == g["stance"] and g["evidence"].strip() in e["evidence"] and e["evidence"] != g["evidence"]
    held = {e["article"] for e in dev_examples("heldout")}
    assert held and not held & {e["article"] for e in views}
