"""Evaluate the committed sentiment weights through the pipeline's own path.

    python -m models.evaluate [--weights models/weights/sentiment.safetensors] [--tweet-limit N]

Tweets: the test split of models.train_sentiment.tweet_splits (each tweet is one text).
News: the held-out articles of tests/data/dev, paragraph level: every paragraph is split into
sentences with dashboard.ingest.split_sentences, the sentences go through Encoder.run with the
sentiment head, and models.sentiment.paragraph_probs aggregates them. Prints JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

# the slice the tests and the model card pin: TEST_SLICE tweets evenly spaced through the test
# split (the split is in corpus order, which is grouped by label: a prefix would be one class)
TEST_SLICE = 600


def _evenly_spaced(total: int, n: int) -> np.ndarray:
    return np.linspace(0, total - 1, n).astype(int)


def tweet_slice(test, n: int = TEST_SLICE):
    return test.iloc[_evenly_spaced(len(test), n)]


def load_model(weights: str | None = None, encoder=None, int8: bool = False):
    from .encoder import Encoder
    from .registry import get_registry
    from .sentiment import SentimentModel

    reg = get_registry()
    spec = reg["sentiment"] if not weights else replace(reg["sentiment"], name_or_path=str(weights))
    encoder = encoder or Encoder(reg["encoder"], quantize=int8)
    return encoder, SentimentModel.load(encoder, spec)


def evaluate(encoder, model, *, tweet_limit: int | None = None, news_split: str = "heldout",
             dev_dir: Path | None = None) -> dict:
    """Macro-F1 (and per-class F1) on the tweet test split (`tweet_limit` tweets evenly spaced through it when given)
    and on the dev corpus paragraphs of `news_split`."""
    from .train_sentiment import DEV_DIR, load_news, metrics, tweet_splits

    out: dict = {}
    test = tweet_splits()["test"]
    if tweet_limit is not None:
        test = tweet_slice(test, tweet_limit)
    t0 = time.perf_counter()
    probs = model.predict_texts(encoder, test["text"].tolist())
    out["tweet_test"] = {**metrics(test["sentiment"].tolist(), probs), "seconds": round(time.perf_counter() - t0, 1)}
    if len(test) > TEST_SLICE:
        pos = _evenly_spaced(len(test), TEST_SLICE)
        out[f"tweet_test_slice{TEST_SLICE}"] = metrics(test["sentiment"].iloc[pos].tolist(), probs[pos])
    news = load_news(news_split, dev_dir or DEV_DIR)
    if news:
        t0 = time.perf_counter()
        pp = model.predict_paragraphs(encoder, [p.sentences for p in news])
        out[f"news_{news_split}"] = {**metrics([p.label for p in news], pp),
                                     "articles": len({p.article for p in news}),
                                     "seconds": round(time.perf_counter() - t0, 1)}
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m models.evaluate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--weights", default=None, help="sentiment head (default: the registry's)")
    ap.add_argument("--tweet-limit", type=int, default=None, help="only N tweets evenly spaced through the test split")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--int8", action="store_true", help="int8 dynamic quantisation (encoder and head)")
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("STANCEWATCH_THREADS", str(args.threads))
    import torch

    torch.set_num_threads(args.threads)
    encoder, model = load_model(args.weights, int8=args.int8)
    result = {"weights": model.spec.version, "int8": args.int8}
    result.update(evaluate(encoder, model, tweet_limit=args.tweet_limit))
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
