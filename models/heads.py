"""Heads trained here. Each reads the shared encoder's hidden states; only trained parameters
are saved (safetensors), the base weights come from the encoder package.

`TopLayersClassifier` copies the encoder's top `n_top` layers, fine-tunes them with a linear
classifier on mean-pooled tokens, and at inference reads the hidden states of layer
`num_layers - n_top` from the shared pass, so sentiment costs `n_top` extra layers rather than
a second full pass.

Optionally (the sentiment head) it carries a `news` layer: a linear classifier on the shared
pass's sentence embedding (normalised mean pooling of the last layer), fitted on labelled news
sentences (and a down-weighted tweet sample); inference mixes the two:
(1 - news_mix) * head + news_mix * news.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import torch
from torch import nn

from .encoder import mean_pool


def bidirectional_mask(config, hidden, mask2d):
    from transformers.masking_utils import create_bidirectional_mask

    return create_bidirectional_mask(config=config, inputs_embeds=hidden, attention_mask=mask2d)


class TopLayersClassifier(nn.Module):
    def __init__(self, encoder_model, n_top: int, labels: tuple[str, ...], dropout: float = 0.1):
        super().__init__()
        layers = encoder_model.encoder.layer
        self.num_layers = len(layers)
        self.n_top = n_top
        self.branch_layer = self.num_layers - n_top
        self.config = encoder_model.config
        self.layers = nn.ModuleList([copy.deepcopy(layers[i]) for i in range(self.branch_layer, self.num_layers)])
        for p in self.layers.parameters():
            p.requires_grad_(True)
        self.labels = tuple(labels)
        self.n_outputs = len(labels)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(self.config.hidden_size, len(labels))
        self.news: nn.Linear | None = None
        self.news_mix = 0.0

    def set_news_layer(self, weight, bias, mix: float) -> None:
        """The linear news classifier on sentence embeddings (weight (labels, hidden), bias (labels,))."""
        self.news = nn.Linear(self.config.hidden_size, self.n_outputs)
        with torch.no_grad():
            self.news.weight.copy_(torch.as_tensor(weight, dtype=torch.float32))
            self.news.bias.copy_(torch.as_tensor(bias, dtype=torch.float32))
        self.news.requires_grad_(False)
        self.news_mix = float(mix)

    def logits_from_branch(self, hidden, mask2d):
        ext = bidirectional_mask(self.config, hidden, mask2d)
        for layer in self.layers:
            hidden = layer(hidden, ext)
        return self.classifier(self.dropout(mean_pool(hidden, mask2d)))

    def forward(self, hidden_states, mask2d):
        """Probabilities from the shared pass's hidden states (inference)."""
        probs = torch.softmax(self.logits_from_branch(hidden_states[self.branch_layer], mask2d), dim=-1)
        if self.news is None or self.news_mix <= 0:
            return probs
        emb = nn.functional.normalize(mean_pool(hidden_states[-1], mask2d), dim=-1)
        return (1 - self.news_mix) * probs + self.news_mix * torch.softmax(self.news(emb), dim=-1)

    # ---- persistence: only the trained parameters ----
    def save(self, path: str | Path, meta: dict) -> None:
        from safetensors.torch import save_file

        state = {k: v.detach().contiguous().to(torch.float16) for k, v in self.state_dict().items()}
        meta = {"n_top": str(self.n_top), "labels": json.dumps(list(self.labels)), **{k: str(v) for k, v in meta.items()}}
        if self.news is not None:
            meta["news_mix"] = str(self.news_mix)
        save_file(state, str(path), metadata=meta)

    @staticmethod
    def read_saved(path: str | Path) -> tuple[dict, dict]:
        """(metadata, fp32 state dict) of a head saved by `save`."""
        from safetensors import safe_open
        from safetensors.torch import load_file

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"trained head {path} is missing; run `python -m models.train` to make it")
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        return meta, {k: v.float() for k, v in load_file(str(path)).items()}

    @classmethod
    def load(cls, path: str | Path, encoder_model) -> "TopLayersClassifier":
        path = Path(path)
        meta, state = cls.read_saved(path)
        head = cls(encoder_model, int(meta["n_top"]), tuple(json.loads(meta["labels"])))
        if "news_mix" in meta:
            head.set_news_layer(state["news.weight"], state["news.bias"], float(meta["news_mix"]))
        missing, unexpected = head.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ValueError(f"{path.name} does not fit this encoder (missing {missing[:3]}, unexpected {unexpected[:3]})")
        head.meta = meta
        head.eval()
        return head


# ---- ensembles: several heads trained alike, stored as 4-bit deltas from the base encoder ----

ENSEMBLE_FORMAT = "ensemble-int4-delta"
_Q = 7  # int4 levels -7..7, one fp16 scale per output row


def base_layer_state(encoder_model, n_top: int) -> dict:
    """The base encoder's top `n_top` layers, named as a head's `layers.i.*` (fp32)."""
    layers = encoder_model.encoder.layer
    first = len(layers) - n_top
    return {f"layers.{i - first}.{k}": v.detach().float()
            for i in range(first, len(layers)) for k, v in layers[i].state_dict().items()}


def base_fingerprint(base_state: dict) -> str:
    """A short hash of the base weights the deltas are taken from: an ensemble is read only
    against the encoder it was packed for."""
    import hashlib

    h = hashlib.sha256()
    for k in sorted(base_state):
        h.update(k.encode())
        h.update(base_state[k].contiguous().numpy().astype("<f4").tobytes())
    return h.hexdigest()[:16]


def _pack_int4(delta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    scale = (delta.abs().amax(1, keepdim=True) / _Q).clamp_min(1e-12)
    q = (delta / scale).round().clamp(-_Q, _Q).to(torch.int16) + 8  # 1..15
    flat = q.flatten()
    if flat.numel() % 2:
        flat = torch.cat([flat, flat.new_full((1,), 8)])
    packed = (flat[0::2] | (flat[1::2] << 4)).to(torch.uint8)
    return packed, scale.squeeze(1).to(torch.float16)


def _unpack_int4(packed: torch.Tensor, scale: torch.Tensor, shape) -> torch.Tensor:
    p = packed.to(torch.int16)
    flat = torch.stack([p & 15, p >> 4], 1).flatten()[: shape[0] * shape[1]]
    return (flat.reshape(shape).float() - 8) * scale.float().unsqueeze(1)


class HeadEnsemble(nn.Module):
    """Heads of one architecture trained on the same data with different seeds; its
    probabilities are the members' mean (`logits_from_branch` returns their log, so that a
    softmax of it gives the mean back). Every member's layers are stored as 4-bit deltas
    (one scale per output row) from the base encoder's layers; biases, LayerNorms and the
    classifier as fp16."""

    def __init__(self, members: list[TopLayersClassifier]):
        super().__init__()
        if not members or len({(m.n_top, m.labels) for m in members}) != 1:
            raise ValueError("an ensemble needs members with the same number of layers and labels")
        self.members = nn.ModuleList(members)
        self.n_top, self.labels = members[0].n_top, members[0].labels
        self.branch_layer = members[0].branch_layer
        self.meta: dict = {}

    def logits_from_branch(self, hidden, mask2d):
        probs = torch.stack([torch.softmax(m.logits_from_branch(hidden, mask2d), -1) for m in self.members])
        return torch.log(probs.mean(0).clamp_min(1e-12))

    def save(self, path: str | Path, meta: dict, encoder_model) -> None:
        from safetensors.torch import save_file

        base = base_layer_state(encoder_model, self.n_top)
        state = {}
        for j, m in enumerate(self.members):
            for k, v in m.state_dict().items():
                v = v.detach().float()
                if k in base and v.ndim == 2:
                    state[f"m{j}.{k}.q4"], state[f"m{j}.{k}.scale"] = _pack_int4(v - base[k])
                else:
                    state[f"m{j}.{k}"] = v.to(torch.float16).contiguous()
        meta = {"format": ENSEMBLE_FORMAT, "members": str(len(self.members)), "n_top": str(self.n_top),
                "labels": json.dumps(list(self.labels)), "base_fingerprint": base_fingerprint(base),
                **{k: str(v) for k, v in meta.items()}}
        save_file(state, str(path), metadata=meta)

    @classmethod
    def load(cls, path: str | Path, encoder_model) -> "HeadEnsemble":
        from safetensors import safe_open
        from safetensors.torch import load_file

        path = Path(path)
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        if meta.get("format") != ENSEMBLE_FORMAT:
            raise ValueError(f"{path.name} is not a head ensemble (format {meta.get('format')!r})")
        n_top, labels = int(meta["n_top"]), tuple(json.loads(meta["labels"]))
        base = base_layer_state(encoder_model, n_top)
        if base_fingerprint(base) != meta.get("base_fingerprint"):
            raise ValueError(f"{path.name} was packed against other base weights than this encoder's: "
                             "its layers are stored as differences from them and cannot be read here")
        saved = load_file(str(path))
        members = []
        for j in range(int(meta["members"])):
            head = TopLayersClassifier(encoder_model, n_top, labels)
            state = {}
            for k, v in head.state_dict().items():
                if f"m{j}.{k}.q4" in saved:
                    state[k] = base[k] + _unpack_int4(saved[f"m{j}.{k}.q4"], saved[f"m{j}.{k}.scale"], v.shape)
                else:
                    state[k] = saved[f"m{j}.{k}"].float()
            head.load_state_dict(state)
            members.append(head)
        ens = cls(members)
        ens.meta = meta
        ens.eval()
        return ens


def load_head(path: str | Path, encoder_model):
    """A saved head: one `TopLayersClassifier` or a `HeadEnsemble`, as its metadata says."""
    from safetensors import safe_open

    path = Path(path)
    if path.exists():
        with safe_open(str(path), framework="pt") as f:
            if (f.metadata() or {}).get("format") == ENSEMBLE_FORMAT:
                return HeadEnsemble.load(path, encoder_model)
    return TopLayersClassifier.load(path, encoder_model)
