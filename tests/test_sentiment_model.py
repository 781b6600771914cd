"""The committed sentiment head with the real embedded encoder.

(a) macro-F1 on a fixed held-out slice matches the model card (models/MODEL_CARD.md, "Pinned
    slice"): 600 tweets evenly spaced through the tweet test split, and the held-out news paragraphs of
    tests/data/dev scored the pipeline's way (sentence pass + paragraph_probs);
(b) unambiguous news sentences get the right label;
(c) the paragraph aggregation has the right shape and sums to one.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
CARD = ROOT / "models" / "MODEL_CARD.md"

# The card's "Pinned slice" numbers (python -m models.evaluate prints them).
EXPECTED = {"tweet_test_slice600": 0.782, "news_heldout": 0.7331}
TOLERANCE = 0.02


@pytest.fixture(scope="module")
def loaded():
    from models.evaluate import load_model

    return load_model()


def test_pinned_slice_matches_model_card(loaded):
    from models.evaluate import TEST_SLICE, evaluate

    encoder, model = loaded
    res = evaluate(encoder, model, tweet_limit=TEST_SLICE)
    assert res["tweet_test"]["n"] == TEST_SLICE
    assert res["news_heldout"]["n"] > 0
    got = {"tweet_test_slice600": res["tweet_test"]["macro_f1"], "news_heldout": res["news_heldout"]["macro_f1"]}
    card = CARD.read_text(encoding="utf-8")
    for key, want in EXPECTED.items():
        assert abs(got[key] - want) <= TOLERANCE, f"{key}: measured {got[key]:.4f}, model card says {want:.4f}"
        # the card states the same number
        row = re.search(rf"^\|\s*{key}\s*\|[^\n]*", card, re.MULTILINE)
        assert row and f"{want:.3f}" in row.group(0), f"MODEL_CARD.md has no pinned row for {key} = {want:.3f}"


CLEAR = [
    ("Rebel shelling killed dozens of civilians and destroyed the city's only hospital.", "negative"),
    ("The minister condemned the attack as a brutal and cowardly crime.", "negative"),
    ("Thousands of workers lost their jobs as the factory collapsed into bankruptcy.", "negative"),
    ("Both sides welcomed the peace agreement, calling it a historic breakthrough.", "positive"),
    pytest.param("The economy grew strongly and unemployment fell to a record low, to widespread relief.", "positive",
                 marks=pytest.mark.xfail(strict=True, reason="known miss: falling unemployment reads as negative "
                                                            "(MODEL_CARD.md, Sentiment, Known limits)")),
    ("The committee will meet on Tuesday to review the schedule.", "neutral"),
    ("The report is published every quarter by the statistics office.", "neutral"),
]


@pytest.mark.parametrize("text,want", CLEAR)
def test_clear_sentences(loaded, text, want):
    from models.sentiment import label

    encoder, model = loaded
    probs = model.predict_texts(encoder, [text])
    assert probs.shape == (1, 3)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    assert label(probs[0]) == want


def test_paragraph_probs_aggregation():
    from models.sentiment import label, paragraph_probs, sentiment_score

    sp = np.array([[0.8, 0.1, 0.1], [0.1, 0.1, 0.8], [0.2, 0.6, 0.2]], dtype=np.float32)
    pp = paragraph_probs(sp, [30, 10, 10])
    assert pp.shape == (3,)
    assert abs(float(pp.sum()) - 1.0) < 1e-6
    np.testing.assert_allclose(pp, (sp * np.array([[30], [10], [10]])).sum(0) / 50, atol=1e-6)
    assert label(pp) == "negative"
    assert -1.0 <= sentiment_score(pp) <= 1.0
    assert abs(sentiment_score(pp) - (pp[2] - pp[0])) < 1e-6
    # equal lengths: a plain mean; one sentence: itself; no sentence: neutral
    np.testing.assert_allclose(paragraph_probs(sp, [5, 5, 5]), sp.mean(0), atol=1e-6)
    np.testing.assert_allclose(paragraph_probs(sp[:1], [7]), sp[0], atol=1e-6)
    empty = paragraph_probs(np.zeros((0, 3), dtype=np.float32), [])
    assert empty.shape == (3,) and label(empty) == "neutral"


def test_paragraph_probs_match_the_pipeline_path(loaded):
    """predict_paragraphs = one sentence pass, then paragraph_probs with token lengths."""
    from dashboard.ingest import split_sentences
    from dashboard.schema import Paragraph
    from models.sentiment import paragraph_probs

    encoder, model = loaded
    para = Paragraph("a", 0, "Talks collapsed on Monday. Both armies resumed shelling the border towns, "
                              "killing nine people. A new round is planned for May.")
    sents = [s.text for s in split_sentences(para)]
    assert len(sents) == 3
    pp = model.predict_paragraphs(encoder, [sents])[0]
    sp = model.predict_texts(encoder, sents)
    np.testing.assert_allclose(pp, paragraph_probs(sp, encoder.token_lengths(sents)), atol=1e-5)
    assert pp.argmax() == 0  # negative


def test_news_layer_mixes_with_the_top_layers_and_survives_save_load(loaded, tmp_path):
    """The committed head carries the news layer; inference is (1 - mix) * top layers + mix *
    softmax(news(embedding)), and a save/load round trip keeps it (fp16 on disk)."""
    import torch

    from models.heads import TopLayersClassifier

    encoder, model = loaded
    head = model.head
    assert head.news is not None and 0 < head.news_mix < 1
    texts = ["Talks collapsed on Monday.", "Both sides welcomed the agreement.", "The report is due in May."]
    out = encoder.run(texts, {"mixed": head})
    enc = encoder.tokenize(texts)
    with torch.inference_mode():
        hs = encoder.model(**enc, output_hidden_states=True).hidden_states
        top = torch.softmax(head.logits_from_branch(hs[head.branch_layer], enc["attention_mask"]), -1).numpy()
        news = torch.softmax(head.news(torch.from_numpy(out["embedding"])), -1).numpy()
    np.testing.assert_allclose(out["mixed"], (1 - head.news_mix) * top + head.news_mix * news, atol=1e-4)
    path = tmp_path / "head.safetensors"
    head.save(path, {"task": "sentiment"})
    again = TopLayersClassifier.load(path, encoder.float_model)
    assert again.news_mix == head.news_mix
    np.testing.assert_allclose(encoder.run(texts, {"mixed": again})["mixed"], out["mixed"], atol=2e-3)
