"""The zero-shot NLI stance backend: its loading and scoring path, checked with a TINY RANDOM
BERT NLI model created here (random weights: only shapes, label mapping and plumbing are
checked, never the quality of its answers)."""
from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def tiny_random_nli_model(tmp_path_factory):
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    path = tmp_path_factory.mktemp("tiny_random_nli_model")
    words = "[PAD] [UNK] [CLS] [SEP] [MASK] . , the we will not accept tariffs supports opposes ost brenn".split()
    (path / "vocab.txt").write_text("\n".join(words) + "\n")
    BertTokenizer(str(path / "vocab.txt")).save_pretrained(path)
    config = BertConfig(vocab_size=len(words), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64, num_labels=3,
                        id2label={0: "CONTRADICTION", 1: "NEUTRAL", 2: "ENTAILMENT"},
                        label2id={"CONTRADICTION": 0, "NEUTRAL": 1, "ENTAILMENT": 2})
    import torch

    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(path)
    return path


ITEMS = [("Ost", "tariffs", "Taxes on imports.", "We will not accept tariffs."),
         ("Brenn", "tariffs", "", "Brenn supports the tariffs.")]


def test_nli_tiny_random_model_loads_and_scores(tiny_random_nli_model):
    from models.nli import HYPOTHESES, NLIStance
    from models.registry import get_registry

    spec = get_registry({"nli": str(tiny_random_nli_model)})["nli"]
    assert spec.kind == "nli"
    nli = NLIStance.load(spec)
    assert (nli.entail, nli.contra) == (2, 0)
    premises, hyps = nli.preprocess(ITEMS)
    assert hyps[:2] == [h.format(actor="Ost", topic="tariffs") for h in HYPOTHESES]
    assert premises[:2] == [ITEMS[0][3]] * 2
    probs = nli.predict(ITEMS)
    assert probs.shape == (2, 3) and np.allclose(probs.sum(1), 1.0, atol=1e-5)
    assert np.allclose(probs, nli.predict(ITEMS))  # deterministic (eval mode)
    assert nli.predict([]).shape == (0, 3)


def test_nli_postprocess_maps_entailment_to_sides(tiny_random_nli_model):
    from models.nli import NLIStance
    from models.registry import get_registry

    nli = NLIStance.load(get_registry({"nli": str(tiny_random_nli_model)})["nli"])
    # one item: "supports" strongly entailed, "opposes" strongly contradicted -> favor
    logits = np.array([[-5.0, 0.0, 5.0], [5.0, 0.0, -5.0]], dtype=np.float32)
    p = nli.postprocess(logits)[0]
    assert p.argmax() == 2 and p[0] < 0.01


def test_nli_backend_replaces_the_head_through_the_registry(tiny_random_nli_model, engine_factory, tmp_path):
    from dashboard.stance import StanceModel

    eng = engine_factory(tmp_path / "store", model_overrides={"nli": str(tiny_random_nli_model)})
    model = StanceModel.load(None, eng.registry)  # the NLI backend needs no encoder
    assert model.nli is not None and model.head is None
    assert model.predict(ITEMS).shape == (2, 3)
    # a paragraph context (the pipeline's candidates carry one) is not part of the NLI premise
    np.testing.assert_allclose(model.predict([i + ("Ost spoke in the capital.",) for i in ITEMS]), model.predict(ITEMS))
    assert str(tiny_random_nli_model) in eng.registry["nli"].version


def test_nli_bad_labels_are_a_clear_error(tiny_random_nli_model, tmp_path):
    from transformers import AutoModelForSequenceClassification

    from models.nli import NLIStance
    from models.registry import get_registry

    m = AutoModelForSequenceClassification.from_pretrained(tiny_random_nli_model)
    m.config.id2label = {0: "neg", 1: "neu", 2: "pos"}
    m.save_pretrained(tmp_path)
    for f in ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
        src = tiny_random_nli_model / f
        if src.exists():
            (tmp_path / f).write_bytes(src.read_bytes())
    with pytest.raises(ValueError, match="entailment"):
        NLIStance.load(get_registry({"nli": str(tmp_path)})["nli"])
    with pytest.raises(RuntimeError, match="could not load the NLI model"):
        NLIStance.load(get_registry({"nli": str(tmp_path / "nowhere")})["nli"])
