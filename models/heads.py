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
