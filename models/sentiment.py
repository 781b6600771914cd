"""Sentiment (negative / neutral / positive) for sentences and paragraphs.

Two kinds of model fill the registry's `sentiment` role:

- "head" (the default, models/weights/sentiment.safetensors): a `TopLayersClassifier` trained
  here (models/train_sentiment.py). It rides the shared encoder pass: `heads()` hands it to
  `Encoder.run`, which gives it the hidden states of the layer it branches from, so sentiment
  costs `n_top` extra layers per sentence rather than a second pass.
- "hf-classifier": any Hugging Face sequence classifier (hub id or local path) whose labels map
  by name onto negative / neutral / positive; it runs its own pass on the raw sentence texts.

Paragraph sentiment is the token-length-weighted mean of the paragraph's sentence
probabilities (`paragraph_probs`); the head is trained through the same aggregation.
"""
from __future__ import annotations

import numpy as np

from dashboard.schema import SENTIMENT_LABELS

from .registry import ModelSpec

LABELS = SENTIMENT_LABELS  # ("negative", "neutral", "positive")


# ---- aggregation and summaries ---------------------------------------------------------------

def paragraph_probs(sentence_probs: np.ndarray, sentence_token_lengths: list[int]) -> np.ndarray:
    """(3,) paragraph probabilities: the sentences' probabilities averaged with weights equal to
    their token lengths (a long sentence says more about the paragraph than a two-word one).

    An empty paragraph is neutral. The result sums to 1.
    """
    p = np.asarray(sentence_probs, dtype=np.float64).reshape(-1, len(LABELS))
    if p.shape[0] == 0:
        return np.array([0.0, 1.0, 0.0], dtype=np.float32)
    w = np.asarray(list(sentence_token_lengths), dtype=np.float64).reshape(-1)
    if w.shape[0] != p.shape[0]:
        raise ValueError(f"{p.shape[0]} sentence probabilities but {w.shape[0]} lengths")
    w = np.clip(w, 1.0, None)
    out = (p * w[:, None]).sum(0) / w.sum()
    return (out / out.sum()).astype(np.float32)


def sentiment_score(probs) -> float:
    """p(positive) - p(negative), in [-1, 1]."""
    p = np.asarray(probs, dtype=np.float64).reshape(-1)
    return float(np.clip(p[2] - p[0], -1.0, 1.0))


def label(probs) -> str:
    return LABELS[int(np.argmax(np.asarray(probs).reshape(-1)))]


# ---- standalone classifiers: label mapping ---------------------------------------------------

_LABEL_ALIASES = {"neg": 0, "negative": 0, "label_0": 0, "neu": 1, "neutral": 1, "label_1": 1,
                  "pos": 2, "positive": 2, "label_2": 2}


def hf_label_map(id2label: dict, num_labels: int) -> list[int]:
    """For each output of a classifier, the index in LABELS its probability goes to.

    Names are matched case-insensitively (negative/neg/LABEL_0, ...). A two-label
    negative/positive model is accepted (its neutral probability is 0).
    """
    names = [str(id2label.get(i, id2label.get(str(i), f"LABEL_{i}"))).lower() for i in range(num_labels)]
    mapped = [_LABEL_ALIASES.get(n) for n in names]
    if num_labels == 2 and names == ["label_0", "label_1"]:
        mapped = [0, 2]  # binary models (SST-2 style) without names
    if any(m is None for m in mapped) or not {0, 2} <= set(mapped):
        raise ValueError(f"the sentiment classifier has labels {names}; it needs negative, (neutral,) positive")
    return mapped  # type: ignore[return-value]


class SentimentModel:
    def __init__(self, spec: ModelSpec, head=None, classifier=None, tokenizer=None, label_map=None):
        self.spec = spec
        self.head = head  # TopLayersClassifier ("head" kind)
        self.classifier = classifier  # AutoModelForSequenceClassification ("hf-classifier" kind)
        self.tokenizer = tokenizer
        self.label_map = label_map  # per classifier output, its index in LABELS

    @classmethod
    def load(cls, encoder, spec: ModelSpec) -> "SentimentModel":
        if spec.kind == "head":
            from .heads import TopLayersClassifier

            head = TopLayersClassifier.load(spec.resolved_path(), encoder.float_model)
            if tuple(head.labels) != tuple(LABELS):
                raise ValueError(f"{spec.name_or_path} predicts {head.labels}, expected {LABELS}")
            return cls(spec, head=encoder.prepare_head(head))
        if spec.kind == "hf-classifier":
            from transformers import AutoModelForSequenceClassification, AutoTokenizer

            path = spec.resolved_path()
            try:
                tok = AutoTokenizer.from_pretrained(path)
                model = AutoModelForSequenceClassification.from_pretrained(path).eval()
            except OSError as exc:
                raise RuntimeError(f"could not load the sentiment model {spec.name_or_path!r}: {exc}. "
                                   "Give a local path or a model id that is in the local cache.") from None
            mapping = hf_label_map(dict(model.config.id2label or {}), int(model.config.num_labels))
            return cls(spec, classifier=model, tokenizer=tok, label_map=mapping)
        raise ValueError(f"the sentiment role cannot use a model of kind {spec.kind!r}")

    def heads(self) -> dict:
        """Heads to pass to `Encoder.run` (empty for a standalone classifier)."""
        return {"sentiment": self.head} if self.head is not None else {}

    def predict_texts(self, encoder, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """(n, 3) probabilities in LABELS order."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(LABELS)), dtype=np.float32)
        if self.head is not None:
            return encoder.run(texts, self.heads(), batch_size=batch_size)["sentiment"]
        return self._predict_classifier(texts, batch_size, max_length=getattr(encoder, "max_length", 128) * 2)

    def _predict_classifier(self, texts: list[str], batch_size: int, max_length: int = 256) -> np.ndarray:
        import torch

        out = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            idx = order[start:start + batch_size]
            enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=max_length,
                                 return_tensors="pt")
            with torch.inference_mode():
                p = torch.softmax(self.classifier(**enc).logits.float(), dim=-1).numpy()
            mapped = np.zeros((len(idx), len(LABELS)), dtype=np.float32)
            for j, target in enumerate(self.label_map):
                mapped[:, target] += p[:, j]
            out[idx] = mapped / mapped.sum(1, keepdims=True)
        return out

    def predict_paragraphs(self, encoder, sentence_texts: list[list[str]], batch_size: int = 32) -> np.ndarray:
        """(n_paragraphs, 3): all sentences in one pass, then `paragraph_probs` per paragraph."""
        flat = [s for sents in sentence_texts for s in sents]
        probs = self.predict_texts(encoder, flat, batch_size=batch_size)
        lengths = encoder.token_lengths(flat) if flat else []
        out, k = [], 0
        for sents in sentence_texts:
            n = len(sents)
            out.append(paragraph_probs(probs[k:k + n], lengths[k:k + n]))
            k += n
        return np.stack(out) if out else np.zeros((0, len(LABELS)), dtype=np.float32)
