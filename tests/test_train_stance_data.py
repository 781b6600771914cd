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
