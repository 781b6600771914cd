"""A pluggable zero-shot stance backend: any NLI model (Hugging Face id or local path) chosen by the
registry's `nli` role (`--model nli=/path/to/nli-model` or STANCEWATCH_MODEL_NLI).

No NLI model ships with Stancewatch; when a user has one locally, the stance stage uses it
instead of the trained cross-encoder head. For every (actor, topic, evidence) the evidence is
the premise and two hypotheses are tested, "{actor} supports {topic}." and "{actor} opposes
{topic}."; each hypothesis's entailment probability (entailment vs contradiction, as in
transformers' zero-shot pipeline with multi_label) gives p(favor) and p(against), and
p(neutral) = 1 - max(both) before normalising.

preprocess (hypotheses) / _forward (the only torch) / postprocess (probabilities), the split of
transformers' pipelines.
"""
from __future__ import annotations

import numpy as np

from .registry import ModelSpec

HYPOTHESES = ("{actor} supports {topic}.", "{actor} opposes {topic}.")


def _label_index(id2label: dict) -> tuple[int, int]:
    """Indices of the entailment and contradiction outputs, found by name."""
    names = {int(i): str(n).lower() for i, n in id2label.items()}
    ent = [i for i, n in names.items() if n.startswith("entail")]
    con = [i for i, n in names.items() if n.startswith("contra")]
    if not ent or not con:
        raise ValueError(f"the NLI model's labels {id2label} need an 'entailment' and a 'contradiction' label")
    return ent[0], con[0]


class NLIStance:
    def __init__(self, spec: ModelSpec, model, tokenizer, max_length: int = 256):
        self.spec = spec
        self.model = model
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.entail, self.contra = _label_index(model.config.id2label)

    @classmethod
    def load(cls, spec: ModelSpec) -> "NLIStance":
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        path = spec.resolved_path()
        try:
            tok = AutoTokenizer.from_pretrained(path)
            model = AutoModelForSequenceClassification.from_pretrained(path).eval()
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"could not load the NLI model {spec.name_or_path!r}: {exc}. "
                               "Give a local path or a model id that is in the local cache.") from None
        return cls(spec, model, tok)

    # ---- the three steps ----
    @staticmethod
    def preprocess(items) -> tuple[list[str], list[str]]:
        premises, hyps = [], []
        for actor, topic, _desc, evidence in items:
            for h in HYPOTHESES:
                premises.append(evidence)
                hyps.append(h.format(actor=actor, topic=topic))
        return premises, hyps

    def _forward(self, premises: list[str], hyps: list[str], batch_size: int = 32) -> np.ndarray:
        import torch

        out = []
        for s in range(0, len(premises), batch_size):
            enc = self.tokenizer(premises[s:s + batch_size], hyps[s:s + batch_size], padding=True,
                                 truncation=True, max_length=self.max_length, return_tensors="pt")
            with torch.inference_mode():
                out.append(self.model(**enc).logits.float().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.model.config.num_labels), dtype=np.float32)

    def postprocess(self, logits: np.ndarray) -> np.ndarray:
        pair = logits[:, [self.entail, self.contra]]
        pair = np.exp(pair - pair.max(1, keepdims=True))
        entail = (pair[:, 0] / pair.sum(1)).reshape(-1, len(HYPOTHESES))  # (items, [supports, opposes])
        favor, against = entail[:, 0], entail[:, 1]
        neutral = 1.0 - np.maximum(favor, against)
        probs = np.stack([against, neutral, favor], axis=1)
        return (probs / probs.sum(1, keepdims=True)).astype(np.float32)

    def predict(self, items) -> np.ndarray:
        """(actor, topic, description, evidence) items -> (n, 3) probabilities, STANCE_LABELS order."""
        if not items:
            return np.zeros((0, 3), dtype=np.float32)
        return self.postprocess(self._forward(*self.preprocess(items)))
