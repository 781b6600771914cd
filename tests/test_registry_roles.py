import pytest

from models.registry import DEFAULTS, EMBEDDED_ENCODER, get_registry, parse_overrides


def test_registry_defaults_cover_every_role_with_labels():
    reg = get_registry()
    assert set(reg) == {"encoder", "sentiment", "stance", "ner", "nli"}
    assert reg["encoder"].name_or_path == EMBEDDED_ENCODER
    assert reg["sentiment"].labels == ("negative", "neutral", "positive")
    assert reg["stance"].labels == ("against", "neutral", "favor")


def test_registry_embedded_encoder_resolves_to_installed_package():
    from pathlib import Path

    path = Path(get_registry()["encoder"].resolved_path())
    assert (path / "model.safetensors").exists() and (path / "tokenizer.json").exists()


def test_registry_environment_then_cli_override(monkeypatch):
    monkeypatch.setenv("STANCEWATCH_MODEL_ENCODER", "/models/from-env")
    assert get_registry()["encoder"].name_or_path == "/models/from-env"
    reg = get_registry(parse_overrides(["encoder=org/other-encoder", "sentiment=org/sst-model"]))
    assert reg["encoder"].name_or_path == "org/other-encoder"
    assert reg["sentiment"].kind == "hf-classifier"
    assert reg["sentiment"].labels == DEFAULTS["sentiment"].labels


def test_registry_rejects_unknown_role_and_bad_syntax():
    with pytest.raises(ValueError, match="unknown model role"):
        get_registry({"summariser": "x"})
    with pytest.raises(ValueError, match="role=name_or_path"):
        parse_overrides(["encoder"])


def test_registry_version_changes_with_weights(tmp_path):
    from dataclasses import replace

    f = tmp_path / "head.safetensors"
    f.write_bytes(b"one")
    spec = replace(DEFAULTS["sentiment"], name_or_path=str(f))
    v1 = spec.version
    f.write_bytes(b"two")
    assert spec.version != v1
