"""The stance trainer's dev-item views and its initial state (models/train_stance.py)."""
import pytest

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


def test_evidence_context_is_the_paragraph_around_the_evidence():
    from dashboard.stance import evidence_context

    quote = "This deal is a disaster for our members"
    assert evidence_context(PARA, quote) == ('The union said it would not back the merger. "…," said Ada Korr, its '
                                             'leader, adding that she supported a new strike ballot.')
    assert evidence_context(PARA, "The union said it would not back the merger.").startswith('… "This deal')
    assert evidence_context(PARA, PARA) == "…"  # the evidence is the whole paragraph: no context
    assert evidence_context(PARA, "not in the paragraph") == PARA


def test_dev_examples_carry_their_paragraph_context_only_when_asked():
    plain = dev_examples("train")
    ctx = dev_examples("train", sentence_views=True, context=True)
    assert all(e["context"] == "" for e in plain)
    assert all("…" in e["context"] and e["evidence"] not in e["context"] for e in ctx)
    # the gold items are the same items, with a context added
    gold = [{k: v for k, v in e.items() if k != "context"} for e in ctx if e["source"] == "dev"]
    assert gold == [{k: v for k, v in e.items() if k != "context"} for e in plain]


def test_init_state_maps_a_sentiment_head_onto_the_stance_layers(tmp_path):
    """--init-from: a 3-layer sentiment head's layer j becomes the 6-layer stance head's layer 3 + j,
    its classifier the stance classifier (negative/neutral/positive -> against/neutral/favor);
    the same from the .pt cache and from a saved .safetensors head."""
    import torch

    from models.encoder import Encoder
    from models.heads import TopLayersClassifier
    from models.train_stance import LABELS, init_state

    enc = Encoder()
    torch.manual_seed(0)
    senti = TopLayersClassifier(enc.model, 3, ("negative", "neutral", "positive"))
    with torch.no_grad():
        for p in senti.parameters():
            p.add_(torch.randn_like(p) * 0.01)
    torch.save(senti.state_dict(), tmp_path / "stage1.pt")
    senti.save(tmp_path / "head.safetensors", {"task": "sentiment"})
    base = TopLayersClassifier(enc.model, 6, LABELS)
    for src, tol in ((tmp_path / "stage1.pt", 0), (tmp_path / "head.safetensors", 1e-3)):
        stance = TopLayersClassifier(enc.model, 6, LABELS)
        missing, unexpected = stance.load_state_dict(init_state(src, 6, 6), strict=False)
        assert not unexpected and all(k.startswith(("layers.0.", "layers.1.", "layers.2.")) for k in missing)
        for j in range(3):
            a = senti.layers[j].attention.self.query.weight
            assert torch.allclose(stance.layers[3 + j].attention.self.query.weight, a, atol=tol)
            assert torch.equal(stance.layers[j].attention.self.query.weight, base.layers[j].attention.self.query.weight)
        assert torch.allclose(stance.classifier.weight, senti.classifier.weight, atol=tol)
        no_cls = init_state(src, 6, 6, classifier=False)
        assert not any(k.startswith("classifier.") for k in no_cls)
    with pytest.raises(ValueError):
        init_state(tmp_path / "stage1.pt", 6, 2)


def test_template_contexts_surround_the_evidence_and_keep_every_label():
    """--template-context: a share of the template examples get a synthetic paragraph around
    their evidence; the evidence, the label and the other examples stay as they were."""
    import random

    from models.train_stance import add_template_contexts, template_examples

    plain = template_examples(300, set(), random.Random(5))
    ex = [dict(e) for e in plain]
    add_template_contexts(ex, random.Random(6), share=0.6)
    with_ctx = [e for e in ex if e.get("context")]
    assert 0.4 * len(ex) < len(with_ctx) < 0.8 * len(ex)
    for e, p in zip(ex, plain):
        assert (e["evidence"], e["stance"], e["actor"], e["topic"]) == (p["evidence"], p["stance"], p["actor"], p["topic"])
        if e.get("context"):
            assert "…" in e["context"] and e["evidence"] not in e["context"] and e["context"] != "…"
    # a bare quote is given its attribution, as a quote's paragraph has it
    quotes = [e for e in with_ctx if e["source"] == "template-quote" and not e["evidence"].startswith("“")]
    assert quotes and all("“…,”" in e["context"] for e in quotes)
    assert not any(e.get("context") for e in template_examples(50, set(), random.Random(5)))


def test_dev_examples_leave_out_the_excluded_articles():
    """--exclude: the committed weights are reproduced without the articles added after them."""
    every = dev_examples("train")
    names = {e["article"] for e in every}
    kept = dev_examples("train", exclude=("c4[3-9]", "c50", "e5*"))
    left = {e["article"] for e in kept}
    assert {"c43", "c50", "e51"} <= names and not {"c43", "c49", "c50", "e51", "e58"} & left
    assert left == {n for n in names if not (n.startswith("e5") or n in {f"c{i}" for i in range(43, 51)})}
    assert kept == [e for e in every if e["article"] in left]


def test_trainer_members_save_an_ensemble_that_loads(tmp_path):
    """`--members 2` trains two heads (seeds 13 and 14) and saves their 4-bit ensemble, which
    the stance model reads like a single head (tiny run: templates and hand-written examples,
    one epoch, from the base encoder)."""
    from safetensors import safe_open

    from models.train_stance import main

    out = tmp_path / "ens.safetensors"
    metrics = main(["--members", "2", "--epochs", "1", "--templates", "20", "--hand-weight", "1",
                    "--exclude", "*", "--init-from", "none", "--out", str(out)])
    with safe_open(str(out), framework="pt") as f:
        meta = f.metadata()
    assert meta["format"] == "ensemble-int4-delta" and meta["members"] == "2" and meta["seeds"] == "13,14"
    assert 0 <= metrics["heldout_accuracy_saved"] <= 1


def test_dev_examples_take_story_items_with_their_own_topic_descriptions():
    """--stories: the story articles' items join, each described by its story's topic list (the
    17-topic dev list has none of their topics); without it, no story item."""
    from dashboard.devset import load_stories
    from dashboard.topics import load_topics

    stories = load_stories("train")
    assert stories
    plain = dev_examples("train")
    both = dev_examples("train", stories=True)
    names = {d.name for d in stories}
    assert not {e["article"] for e in plain} & names
    story_items = [e for e in both if e["article"] in names]
    assert len(story_items) == sum(len(d.gold["stances"]) for d in stories)
    assert len(both) == len(plain) + len(story_items)
    for d in stories:
        desc = {t.name: t.description for t in load_topics(d.topics_file)}
        for e in (e for e in story_items if e["article"] == d.name):
            assert e["description"] == desc[e["topic"]] and e["description"]
    some = stories[0].name.split("_")[0] + "_*"
    left = dev_examples("train", stories=True, exclude=(some,))
    assert not any(e["article"].startswith(some[:-1]) for e in left)
