"""Train the topic combiner: `python -m models.train topics [--exclude PATTERNS] [--out FILE]`.

A logistic regression over topic-agnostic features of each (paragraph, topic) pair
(dashboard.topics.FEATURES: the paragraph's, its sentences' and its article's similarities to
the topic, ranks and gaps among the topics, how the paragraph stands against the rest of its
article, the spelled-out-name cue), fitted on the dev **train** articles' gold paragraph topics
(tests/data/dev, its topics.yaml). No feature names a topic, so the combiner applies to any topic
list. The decision threshold `tau` is the one with the best micro-F1 over paragraph x topic in
5-fold cross-validation grouped by article (out-of-fold probabilities); the best topic of a
paragraph is also kept when its combined similarity reaches `guard` (the calibrated rule's
THRESHOLD), so a paragraph about something keeps one topic.

Deterministic (lbfgs, no sampling): the same articles give the same file. About 30 s here.
"""
from __future__ import annotations

import argparse
import json
from fnmatch import fnmatch
from pathlib import Path

import numpy as np

from dashboard.topics import DEFAULT_COMBINER, FEATURES, THRESHOLD, combiner_choice

TAUS = np.round(np.arange(0.2, 0.651, 0.025), 3)
C = 1.0  # L2 strength of the logistic regression (sklearn's default; not tuned)


def dev_pairs(split: str = "train", exclude: tuple[str, ...] = (), encoder=None):
    """(features (n, topics, F), gold (n, topics) bool, article name per paragraph, topic names)."""
    from dashboard.devset import DEV_TOPICS, load_dev
    from dashboard.eval_stance import encode_dev
    from dashboard.topics import TopicModel, load_topics

    devs = [d for d in load_dev(split) if not any(fnmatch(d.name, p) for p in exclude)]
    if encoder is None:
        from models.encoder import Encoder
        from models.registry import get_registry

        encoder = Encoder(get_registry()["encoder"])
    model = TopicModel(encoder, load_topics(DEV_TOPICS), combiner=None)
    encoded = encode_dev(encoder, devs)
    X, Y, groups = [], [], []
    for d, paras in zip(devs, encoded):
        X.append(model.article_features([pe for pe, _ in paras], [se for _, se in paras],
                                        [p.text for p in d.article.paragraphs]))
        Y.append(np.array([[n in set(g.get("topics", [])) for n in model.names] for g in d.gold["paragraphs"]]))
        groups += [d.name] * len(d.article.paragraphs)
    return np.concatenate(X), np.concatenate(Y), np.array(groups), model.names


def micro_f1(pred: np.ndarray, gold: np.ndarray) -> float:
    tp = int((pred & gold).sum())
    return 2 * tp / max(2 * tp + int((pred & ~gold).sum()) + int((~pred & gold).sum()), 1)


def decide(probs: np.ndarray, feats: np.ndarray, tau: float, guard: float = THRESHOLD) -> np.ndarray:
    return combiner_choice(probs, feats, tau, guard)


def fit(X: np.ndarray, Y: np.ndarray):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    flat, y = X.reshape(-1, X.shape[-1]), Y.reshape(-1)
    scaler = StandardScaler().fit(flat)
    lr = LogisticRegression(C=C, max_iter=2000).fit(scaler.transform(flat), y)
    return scaler, lr


def predict(model, X: np.ndarray) -> np.ndarray:
    scaler, lr = model
    return lr.predict_proba(scaler.transform(X.reshape(-1, X.shape[-1])))[:, 1].reshape(X.shape[:2])


def choose_tau(X, Y, groups, folds: int = 5) -> tuple[float, float]:
    """The threshold with the best out-of-fold micro-F1 (grouped by article) and that F1."""
    from sklearn.model_selection import GroupKFold

    oof = np.zeros(Y.shape)
    for a, b in GroupKFold(folds).split(X, groups=groups):
        oof[b] = predict(fit(X[a], Y[a]), X[b])
    scores = [micro_f1(decide(oof, X, t), Y) for t in TAUS]
    k = int(np.argmax(scores))
    return float(TAUS[k]), float(scores[k])


def main(argv: list[str] | None = None):
    ap = argparse.ArgumentParser(prog="python -m models.train topics", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exclude", default="", help="comma-separated fnmatch patterns of dev train articles to leave out")
    ap.add_argument("--out", type=Path, default=DEFAULT_COMBINER)
    args = ap.parse_args(argv)
    exclude = tuple(p.strip() for p in args.exclude.split(",") if p.strip())
    X, Y, groups, _names = dev_pairs("train", exclude)
    tau, oof_f1 = choose_tau(X, Y, groups)
    scaler, lr = fit(X, Y)
    out = {
        "features": list(FEATURES), "mean": scaler.mean_.round(6).tolist(), "scale": scaler.scale_.round(6).tolist(),
        "coef": lr.coef_[0].round(6).tolist(), "intercept": round(float(lr.intercept_[0]), 6),
        "tau": tau, "guard": THRESHOLD,
        "meta": {"trained_on": f"tests/data/dev train articles ({len(set(groups))} articles, {len(groups)} paragraphs)",
                 "exclude": args.exclude, "cv_micro_f1": round(oof_f1, 4), "C": C,
                 "command": "python -m models.train topics" + (f" --exclude '{args.exclude}'" if args.exclude else "")},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    tmp.replace(args.out)
    print(json.dumps({"out": str(args.out), "articles": len(set(groups)), "paragraphs": len(groups),
                      "tau": tau, "cv_micro_f1": round(oof_f1, 4)}))
