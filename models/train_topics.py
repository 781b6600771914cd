"""Train the topic combiner: `python -m models.train topics [--exclude PATTERNS] [--out FILE]`
(options tried and not taken, kept to reproduce the model card's table: `--normalise`,
`--degree 2`, `--keywords FILE`).

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
from pathlib import Path

import numpy as np

from dashboard.devset import name_patterns
from dashboard.topics import (DEFAULT_COMBINER, FEATURES, THRESHOLD, combiner_choice, normalise_article, poly2,
                              regression_inputs)

TAUS = np.round(np.arange(0.2, 0.651, 0.025), 3)
C = 1.0  # L2 strength of the logistic regression on the linear features (sklearn's default; not tuned)
C_POLY = 0.03  # on the pairwise products (grouped out-of-fold F1 over 0.01-1 is flat: 0.748-0.751)


def dev_pairs(split: str = "train", exclude: tuple[str, ...] = (), encoder=None, topics_file=None):
    """(features (n, topics, F), gold (n, topics) bool, article name per paragraph, topic names);
    `topics_file`: another list of the dev topics (the same names, e.g. with keywords)."""
    from dashboard.devset import DEV_TOPICS, load_dev, matches

    devs = [d for d in load_dev(split) if not matches(d.name, exclude)]
    return article_pairs(devs, topics_file or DEV_TOPICS, encoder)


def story_blocks(exclude: tuple[str, ...] = (), encoder=None) -> list[tuple]:
    """article_pairs of the story articles (tests/data/dev/stories), one block per story under
    its own topic list."""
    from dashboard.devset import by_topics_file, load_stories, matches

    devs = [d for d in load_stories() if not matches(d.name, exclude)]
    return [article_pairs(group, tf, encoder) for tf, group in by_topics_file(devs).items()]


def article_pairs(devs, topics_file, encoder=None):
    """dev_pairs of the given dev articles, all annotated under `topics_file`."""
    from dashboard.eval_stance import encode_dev
    from dashboard.topics import TopicModel, load_topics

    if encoder is None:
        from models.encoder import Encoder
        from models.registry import get_registry

        encoder = Encoder(get_registry()["encoder"])
    model = TopicModel(encoder, load_topics(topics_file), combiner=None)
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


def normalised(X: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """normalise_article over each article's rows (the pipeline normalises one article at a time)."""
    out = np.empty_like(X, dtype=np.float32)
    for g in dict.fromkeys(groups):
        m = groups == g
        out[m] = normalise_article(X[m])
    return out


class Fitted:
    """Scaler(s) and the regression, in the form the Combiner applies them. `more`: further
    (X, Y, groups) blocks under other topic lists (another number of topics)."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, groups: np.ndarray, degree: int = 1, normalise: bool = False,
                 more: tuple = ()):
        from sklearn.linear_model import LogisticRegression

        self.degree, self.normalise = degree, normalise
        x = np.concatenate([self._x(X, groups)] + [self._x(Xb, gb) for Xb, _, gb in more])
        Y = np.concatenate([Y.reshape(-1)] + [Yb.reshape(-1) for _, Yb, _ in more])
        self.mean, self.scale = x.mean(0), _safe(x.std(0))
        z = (x - self.mean) / self.scale
        self.mean2 = self.scale2 = None
        if degree == 2:
            z = poly2(z)
            self.mean2, self.scale2 = z.mean(0), _safe(z.std(0))
            z = (z - self.mean2) / self.scale2
        self.lr = LogisticRegression(C=C_POLY if degree == 2 else C, max_iter=5000).fit(z, Y.reshape(-1))

    def _x(self, X, groups):
        return (normalised(X, groups) if self.normalise else X).reshape(-1, X.shape[-1]).astype(np.float64)

    def predict(self, X: np.ndarray, groups: np.ndarray) -> np.ndarray:
        z = regression_inputs(self._x(X, groups), self.mean, self.scale, self.mean2, self.scale2)
        return self.lr.predict_proba(z)[:, 1].reshape(X.shape[:2])


def combiner_json(m: Fitted, tau: float, meta: dict | None = None) -> dict:
    """The combiner file's content (what dashboard.topics.Combiner.load reads) for a fitted model."""
    r = lambda a: None if a is None else np.round(a, 6).tolist()  # noqa: E731
    return {"features": list(FEATURES), "normalise": m.normalise, "degree": m.degree,
            "mean": r(m.mean), "scale": r(m.scale), "mean2": r(m.mean2), "scale2": r(m.scale2),
            "coef": r(m.lr.coef_[0]), "intercept": round(float(m.lr.intercept_[0]), 6),
            "tau": tau, "guard": THRESHOLD, "meta": dict(meta or {})}


def _safe(scale: np.ndarray) -> np.ndarray:
    return np.where(scale > 1e-12, scale, 1.0)


def choose_tau(views, groups, folds: int = 5, degree: int = 1, normalise: bool = False,
               more: tuple = ()) -> tuple[float, float]:
    """The threshold with the best out-of-fold micro-F1 (grouped by article) and that F1. `views`:
    [(X, Y)] of the same paragraphs under one or more topic lists (the model is fitted on all
    of them, the F1 pooled over all of them); `more`: (X, Y, groups) blocks of other articles
    under other topic lists (the stories), in the folds and the pooled F1 too."""
    from sklearn.model_selection import GroupKFold

    oof = [np.zeros(Y.shape) for _, Y in views]
    oof_more = [np.zeros(Y.shape) for _, Y, _ in more]
    sizes = np.cumsum([0, len(groups)] + [len(g) for _, _, g in more])
    everyone = np.concatenate([groups] + [g for _, _, g in more])
    for a, b in GroupKFold(folds).split(everyone, groups=everyone):
        part = lambda idx, k: idx[(idx >= sizes[k]) & (idx < sizes[k + 1])] - sizes[k]  # noqa: E731
        a0, b0 = part(a, 0), part(b, 0)
        m = Fitted(np.concatenate([X[a0] for X, _ in views]), np.concatenate([Y[a0] for _, Y in views]),
                   np.concatenate([groups[a0]] * len(views)), degree, normalise,
                   more=tuple((Xb[part(a, k)], Yb[part(a, k)], gb[part(a, k)])
                              for k, (Xb, Yb, gb) in enumerate(more, 1)))
        for o, (X, _) in zip(oof, views):
            o[b0] = m.predict(X[b0], groups[b0])
        for k, (o, (Xb, _, gb)) in enumerate(zip(oof_more, more), 1):
            bk = part(b, k)
            if len(bk):
                o[bk] = m.predict(Xb[bk], gb[bk])
    blocks = [(o, X, Y) for o, (X, Y) in zip(oof, views)] + [(o, X, Y) for o, (X, Y, _) in zip(oof_more, more)]
    gold = np.concatenate([Y.ravel() for _, _, Y in blocks])
    # micro-F1 pooled over every block (each its own number of topics)
    scores = [micro_f1(np.concatenate([decide(o, X, t).ravel() for o, X, _ in blocks]), gold) for t in TAUS]
    k = int(np.argmax(scores))
    return float(TAUS[k]), float(scores[k])


def main(argv: list[str] | None = None):
    ap = argparse.ArgumentParser(prog="python -m models.train topics", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exclude", default="", help="comma-separated fnmatch patterns of dev train articles to leave out")
    ap.add_argument("--out", type=Path, default=DEFAULT_COMBINER)
    ap.add_argument("--degree", type=int, choices=(1, 2), default=1,
                    help="2: the regression also reads every pairwise product of the features")
    ap.add_argument("--normalise", action="store_true", help="normalise the features per article")
    ap.add_argument("--keywords", type=Path, default=None,
                    help="also train on the paragraphs' features under this list of the dev topics (with keywords)")
    ap.add_argument("--stories", action="store_true",
                    help="also train on the story articles (tests/data/dev/stories), each under its own topic list")
    args = ap.parse_args(argv)
    exclude = name_patterns(args.exclude)
    X, Y, groups, _names = dev_pairs("train", exclude)
    more = tuple((Xb, Yb, gb) for Xb, Yb, gb, _ in story_blocks(exclude)) if args.stories else ()
    n_story_articles = len({g for _, _, gb in more for g in gb})
    views = [(X, Y)]
    if args.keywords:
        Xk, Yk, gk, _ = dev_pairs("train", exclude, topics_file=args.keywords)
        if not ((gk == groups).all() and (Yk == Y).all()):
            raise SystemExit(f"{args.keywords}: it must list the dev topics' names in the same order")
        views.append((Xk, Yk))
    tau, oof_f1 = choose_tau(views, groups, degree=args.degree, normalise=args.normalise, more=more)
    m = Fitted(np.concatenate([v[0] for v in views]), np.concatenate([v[1] for v in views]),
               np.concatenate([groups] * len(views)), args.degree, args.normalise, more=more)
    flags = "".join([f" --exclude '{args.exclude}'" if args.exclude else "",
                     f" --degree {args.degree}" if args.degree != 1 else "",
                     " --normalise" if args.normalise else "",
                     f" --keywords {args.keywords}" if args.keywords else "",
                     " --stories" if args.stories else ""])
    out = combiner_json(m, tau, {
        "trained_on": f"tests/data/dev train articles ({len(set(groups))} articles, {len(groups)} paragraphs)"
        + (f", also under {args.keywords}" if args.keywords else "")
        + (f", and {n_story_articles} story articles under their own topic lists" if more else ""),
        "exclude": args.exclude, "cv_micro_f1": round(oof_f1, 4), "C": C_POLY if args.degree == 2 else C,
        "command": "python -m models.train topics" + flags})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    tmp.replace(args.out)
    print(json.dumps({"out": str(args.out), "articles": len(set(groups)), "paragraphs": len(groups),
                      "story_articles": n_story_articles,
                      "tau": tau, "cv_micro_f1": round(oof_f1, 4)}))
