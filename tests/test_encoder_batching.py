"""The shared pass with the real embedded model."""
import numpy as np
import pytest


@pytest.fixture(scope="module")
def encoder():
    from models.encoder import Encoder

    return Encoder()


def test_encoder_sorted_batches_match_one_by_one(encoder):
    texts = ["Talks collapsed.", "The ministry welcomed the agreement on grain exports after weeks of talks.",
             "Prices rose.", "A much longer sentence about the central bank raising interest rates again to fight inflation."]
    batched = encoder.run(texts, batch_size=3)["embedding"]
    single = np.stack([encoder.run([t])["embedding"][0] for t in texts])
    assert batched.shape == (4, 384)
    np.testing.assert_allclose(batched, single, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)


def test_encoder_embeddings_are_semantic(encoder):
    a, b, c = encoder.embed(["The two sides agreed a ceasefire.", "A truce was signed by both armies.",
                             "The central bank raised interest rates."])
    assert a @ b > a @ c + 0.2


def test_encoder_heads_read_the_branch_layer(encoder):
    from models.heads import TopLayersClassifier

    head = TopLayersClassifier(encoder.model, 2, ("a", "b", "c")).eval()
    out = encoder.run(["one sentence", "and another one here"], {"h": head})
    assert out["h"].shape == (2, 3)
    np.testing.assert_allclose(out["h"].sum(1), 1.0, atol=1e-5)


def test_encoder_empty_input(encoder):
    out = encoder.run([])
    assert out["embedding"].shape == (0, 384)
