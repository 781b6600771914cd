"""Head ensembles (models.heads.HeadEnsemble): mean probabilities of their members, stored as
4-bit deltas from the base encoder's layers, read back only against that encoder, and loaded
by the stance model like a single head."""
from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

LABELS = ("against", "neutral", "favor")
ITEMS = [("Mara Velk", "Import tariffs", "Taxes on imported goods.", "Velk said she would never accept new duties."),
         ("Mara Velk", "Import tariffs", "Taxes on imported goods.", "We need these tariffs", "“…,” Velk said.")]


@pytest.fixture(scope="module")
def encoder():
    from models.encoder import Encoder

    return Encoder()


def _member(encoder, seed: int, n_top: int = 6):
    """A head whose layers differ from the base encoder's by a small random delta (as
    fine-tuning leaves them) and whose classifier is random."""
    from models.heads import TopLayersClassifier

    g = torch.Generator().manual_seed(seed)
    head = TopLayersClassifier(encoder.float_model, n_top, LABELS)
    with torch.no_grad():
        for name, p in head.named_parameters():
            if name.startswith("layers.") and p.ndim == 2:
                p.add_(torch.randn(p.shape, generator=g) * 0.01)
        head.classifier.weight.copy_(torch.randn(head.classifier.weight.shape, generator=g))
    return head.eval()


def _probs(head, encoder, items):
    from dashboard.stance import predict_head

    return predict_head(head, encoder, items)


def test_ensemble_is_the_mean_of_its_members_and_survives_its_4bit_file(encoder, tmp_path):
    from models.heads import HeadEnsemble, load_head

    members = [_member(encoder, s) for s in (1, 2, 3)]
    ens = HeadEnsemble(members)
    per = [_probs(m, encoder, ITEMS) for m in members]
    np.testing.assert_allclose(_probs(ens, encoder, ITEMS), np.mean(per, 0), atol=1e-5)

    path = tmp_path / "ens.safetensors"
    ens.save(path, {"task": "stance", "input": "x"}, encoder.float_model)
    single = tmp_path / "one.safetensors"
    members[0].save(single, {"task": "stance"})
    assert path.stat().st_size < 0.4 * 3 * single.stat().st_size  # 4 bits against fp16's 16, plus scales

    again = load_head(path, encoder.float_model)
    assert isinstance(again, HeadEnsemble) and len(again.members) == 3
    assert again.meta["task"] == "stance" and again.meta["input"] == "x"
    # each stored weight is within half a quantisation step of the trained one
    for m0, m1 in zip(members, again.members):
        s0, s1 = m0.state_dict(), m1.state_dict()
        for k, v in s0.items():
            if k.startswith("layers.") and v.ndim == 2:
                base = encoder.float_model.encoder.layer[int(k.split(".")[1])].state_dict()[k.split(".", 2)[2]]
                step = (v - base).abs().amax(1, keepdim=True) / 7
                assert ((s1[k] - v).abs() <= step * 0.51).all(), k  # fp16 scales: a hair over half a step
    p_again, p_ens = _probs(again, encoder, ITEMS), _probs(ens, encoder, ITEMS)
    np.testing.assert_allclose(p_again, p_ens, atol=0.05)  # random deltas: coarser than trained ones
    assert (p_again.argmax(1) == p_ens.argmax(1)).all()


def test_ensemble_refuses_other_base_weights_and_mixed_members(encoder, tmp_path):
    from models.heads import HeadEnsemble

    path = tmp_path / "ens.safetensors"
    HeadEnsemble([_member(encoder, 1), _member(encoder, 2)]).save(path, {"task": "stance"}, encoder.float_model)
    other = copy.deepcopy(encoder.float_model)
    with torch.no_grad():
        other.encoder.layer[5].output.dense.weight[0, 0] += 0.5
    with pytest.raises(ValueError, match="other base weights"):
        HeadEnsemble.load(path, other)
    with pytest.raises(ValueError, match="same number of layers"):
        HeadEnsemble([_member(encoder, 1), _member(encoder, 2, n_top=3)])


def test_stance_model_loads_an_ensemble_from_the_registry(encoder, tmp_path):
    from dashboard.stance import CONTEXT_INPUT, StanceModel
    from models.heads import HeadEnsemble
    from models.registry import get_registry

    path = tmp_path / "stance-ens.safetensors"
    HeadEnsemble([_member(encoder, 4), _member(encoder, 5)]).save(
        path, {"task": "stance", "input": CONTEXT_INPUT}, encoder.float_model)
    model = StanceModel.load(encoder, get_registry({"stance": str(path)}))
    assert isinstance(model.head, HeadEnsemble) and model.uses_context
    probs = model.predict(ITEMS)
    assert probs.shape == (2, 3)
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-5)
