"""Sentiment (negative / neutral / positive) for sentences and paragraphs.

Default: a TopLayersClassifier head (models/weights/sentiment.safetensors) that rides the
shared encoder pass. Any Hugging Face sequence classifier (id or path) can replace it through
the registry's `sentiment` role; its labels are mapped by name onto ours.
"""
from __future__ import annotations

import numpy as np

from dashboard.schema import SENTIMENT_LABELS

from .registry import ModelSpec

_LABEL_ALIASES = {"neg": "negative", "negative": "negative", "label_0": "negative",
                  "neu": "neutral", "neutral": "neutral", "label_1": "neutral",
                  "pos": "positive", "positive": "positive", "label_2": "positive"}


def paragraph_probs(sentence_probs: np.ndarray, sentence_token_lengths: list[int]) -> np.ndarray:
    """A paragraph's probabilities: the token-length-weighted mean of its sentences'."""
    sentence_probs = np.asarray(sentence_probs, dtype=np.float32).reshape(-1, len(SENTIMENT_LABELS))
    if len(sentence_probs) == 0:
        return np.array([0.0, 1.0, 0.0], dtype=np.float32)
    w = np.asarray(sentence_token_lengths, dtype=np.float32).reshape(-1)
    w = w if w.sum() > 0 else np.ones(len(sentence_probs), dtype=np.float32)
    p = (sentence_probs * w[:, None]).sum(0) / w.sum()
    return (p / p.sum()).astype(np.float32)


def sentiment_score(probs) -> float:
    """p(positive) - p(negative), in [-1, 1]."""
    return float(probs[2] - probs[0])


def label(probs) -> str:
    return SENTIMENT_LABELS[int(np.argmax(probs))]


class SentimentModel:
    def __init__(self, spec: ModelSpec, head=None, classifier=None, tokenizer=None, index=None):
        self.spec = spec
        self.head = head
        self.classifier = classifier
        self.tokenizer = tokenizer
        self.index = index  # classifier output column for each of our labels

    @classmethod
    def load(cls, encoder, spec: ModelSpec) -> "SentimentModel":
        if spec.kind == "head":
            from .heads import TopLayersClassifier

            return cls(spec, head=TopLayersClassifier.load(spec.resolved_path(), encoder.model))
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        path = spec.resolved_path()
        try:
            tok = AutoTokenizer.from_pretrained(path)
            model = AutoModelForSequenceClassification.from_pretrained(path).eval()
        except OSError as exc:
            raise RuntimeError(f"could not load the sentiment model {spec.name_or_path!r}: {exc}") from None
        names = {i: _LABEL_ALIASES.get(str(n).lower()) for i, n in model.config.id2label.items()}
        index = []
        for lab in SENTIMENT_LABELS:
            hits = [i for i, n in names.items() if n == lab]
            if not hits:
                raise ValueError(f"sentiment model {spec.name_or_path!r} has labels {model.config.id2label}; "
                                 "it needs negative, neutral and positive")
            index.append(hits[0])
        return cls(spec, classifier=model, tokenizer=tok, index=index)

    def heads(self) -> dict:
        return {"sentiment": self.head} if self.head is not None else {}

    def predict_texts(self, encoder, texts: list[str], batch_size: int = 32) -> np.ndarray:
        if self.head is not None:
            return encoder.run(texts, self.heads(), batch_size=batch_size)["sentiment"]
        import torch

        out = np.zeros((len(texts), 3), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        for s in range(0, len(texts), batch_size):
            idx = order[s:s + batch_size]
            enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=256,
                                 return_tensors="pt")
            with torch.inference_mode():
                probs = torch.softmax(self.classifier(**enc).logits, -1)[:, self.index]
            out[idx] = (probs / probs.sum(-1, keepdim=True)).numpy()
        return out
