"""The shared transformer pass: tokenise, sort by length, batch, run once, hand hidden states to heads.

Only `_forward` touches torch (the split of transformers' pipelines): heads registered with
`run` receive the hidden states of the layer they branch from, batch by batch, so the
encoder runs once per sentence whatever the number of heads.
"""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass

import numpy as np

from .registry import ModelSpec, get_registry

DEFAULT_BATCH_SIZE = 32
DEFAULT_MAX_LENGTH = 128


def _torch():
    import torch

    torch.set_num_threads(max(1, int(os.environ.get("STANCEWATCH_THREADS", os.cpu_count() or 1))))
    return torch


def quantize_int8(module):
    """int8 dynamic quantisation of every Linear with one scale per output channel: embedding
    cosine to fp32 0.974 on the dev paragraphs (one scale per tensor drifts further)."""
    torch = _torch()
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    return quantize_dynamic(module, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)


def mean_pool(hidden, mask):
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


@dataclass
class EncodedBatch:
    hidden_states: tuple  # every layer's output, index 0 = embeddings
    mask: object  # attention mask, (batch, tokens)


class Encoder:
    """A Hugging Face encoder chosen by the registry's `encoder` role (id or path)."""

    def __init__(self, spec: ModelSpec | None = None, *, max_length: int = DEFAULT_MAX_LENGTH,
                 quantize: bool = False):
        torch = _torch()
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        self.spec = spec or get_registry()["encoder"]
        path = self.spec.resolved_path()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path)
            self.model = AutoModel.from_pretrained(path)
        except OSError as exc:
            raise RuntimeError(f"could not load the encoder {self.spec.name_or_path!r}: {exc}. "
                               "Give a local path or a model id that is in the local cache.") from None
        self.model.eval()
        self.quantized = quantize
        self._float_model = None
        if quantize:
            self._float_model = self.model  # heads copy their layers from the fp32 structure
            self.model = quantize_int8(copy.deepcopy(self.model))
        self.max_length = max_length
        self.config = self.model.config
        self.hidden_size = int(self.config.hidden_size)
        self.num_layers = int(self.config.num_hidden_layers)

    @property
    def float_model(self):
        """The fp32 model (the same object as `model` unless quantised): heads are built from it."""
        return self._float_model if self._float_model is not None else self.model

    def prepare_head(self, head):
        """A loaded head, quantised like the encoder (int8 mode) and in eval mode."""
        head.eval()
        return quantize_int8(head) if self.quantized else head

    @property
    def version(self) -> str:
        return self.spec.version + (":int8" if self.quantized else "") + f":L{self.max_length}"

    def tokenize(self, texts: list[str]):
        return self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")

    def _forward(self, texts: list[str]) -> EncodedBatch:
        torch = _torch()
        enc = self.tokenize(texts)
        with torch.inference_mode():
            out = self.model(**enc, output_hidden_states=True)
        return EncodedBatch(out.hidden_states, enc["attention_mask"])

    def token_lengths(self, texts: list[str]) -> list[int]:
        ids = self.tokenizer(texts, truncation=True, max_length=self.max_length)["input_ids"]
        return [len(x) for x in ids]

    def run(self, texts: list[str], heads: dict | None = None, *, batch_size: int = DEFAULT_BATCH_SIZE,
            sort_by_length: bool = True, progress=None) -> dict[str, np.ndarray]:
        """Embeddings (normalised mean pooling) plus each head's output, in the input order.

        `heads` maps a name to a callable `head(hidden_states, mask) -> tensor (batch, k)`.
        `progress(done, total)` is called after each batch.
        """
        torch = _torch()
        heads = heads or {}
        n = len(texts)
        outputs: dict[str, np.ndarray | None] = {"embedding": None, **{k: None for k in heads}}
        if n == 0:
            empty = {"embedding": np.zeros((0, self.hidden_size), dtype=np.float32)}
            empty.update({k: np.zeros((0, getattr(h, "n_outputs", 3)), dtype=np.float32) for k, h in heads.items()})
            return empty
        order = np.argsort(self.token_lengths(texts), kind="stable") if sort_by_length else np.arange(n)
        done = 0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            batch = self._forward([texts[i] for i in idx])
            with torch.inference_mode():
                emb = torch.nn.functional.normalize(mean_pool(batch.hidden_states[-1], batch.mask), dim=-1)
                results = {"embedding": emb}
                for name, head in heads.items():
                    results[name] = head(batch.hidden_states, batch.mask)
            for name, value in results.items():
                arr = value.float().cpu().numpy()
                if outputs[name] is None:
                    outputs[name] = np.zeros((n, arr.shape[1]), dtype=np.float32)
                outputs[name][idx] = arr
            done += len(idx)
            if progress is not None:
                progress(done, n)
        return outputs  # type: ignore[return-value]

    def embed(self, texts: list[str], batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
        return self.run(texts, batch_size=batch_size)["embedding"]
