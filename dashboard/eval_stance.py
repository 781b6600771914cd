"""Topic and stance figures on the dev corpus (tests/data/dev).

    python -m dashboard.eval_stance [--split heldout|train|all] [--json] [--calibrate] [--stories]

- topic F1: micro over paragraph x topic (the dev topics file), topics assigned from the
  embeddings of the shared pass exactly as the pipeline does (dashboard.topics);
- stance accuracy: the stance model on the gold (actor, topic, evidence) items, with accuracy
  per form (direct, reported, verb, negation, hedge, endorse) and per gold label;
- --stories: the story articles (tests/data/dev/stories/STORY), each story under its own topic
  list (topic lists the 17-topic dev list does not contain), with figures per story;
- --calibrate: grid search of the generic topic rule (THRESHOLD, MARGIN, SECONDARY, ARTICLE_WEIGHT, LEXICAL) on
  the train split, printed (copy the values into dashboard/topics.py).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from . import topics as topics_mod
from .devset import DEV_TOPICS, by_topics_file, load_dev, load_stories, matches, name_patterns, topic_descriptions
from .ingest import split_sentences


def encode_dev(encoder, devs):
    """Per dev article: per paragraph (paragraph embedding, sentence embeddings)."""
    texts, spans = [], []
    for d in devs:
        for p in d.article.paragraphs:
            sents = [s.text for s in split_sentences(p)] or [p.text]
            spans.append((len(texts), len(texts) + len(sents)))
            texts.extend(sents)
    emb = encoder.embed(texts)
    out, k = [], 0
    for d in devs:
        paras = []
        for _ in d.article.paragraphs:
            a, b = spans[k]
            se = emb[a:b]
            pe = se.mean(0)
            paras.append((pe / (np.linalg.norm(pe) + 1e-9), se))
            k += 1
        out.append(paras)
    return out


def topic_f1(model, devs, encoded, **rule) -> dict:
    """Micro P/R/F1 over paragraph x topic, topics assigned as the pipeline does (the learned
    combiner when the model has one, else the rule). `rule` (threshold, margin, secondary,
    article_weight, lexical_min) evaluates the rule with other values instead."""
    old = topics_mod.ARTICLE_WEIGHT
    if rule.get("article_weight") is not None:
        topics_mod.ARTICLE_WEIGHT = rule["article_weight"]
    sel = {k: rule[k] for k in ("threshold", "margin", "secondary", "lexical_min") if rule.get(k) is not None}
    try:
        tp = fp = fn = 0
        for d, paras in zip(devs, encoded):
            pe, se = [pe for pe, _ in paras], [se for _, se in paras]
            if model.combiner is not None and not rule:
                preds = model.assign_article(pe, se, [p.text for p in d.article.paragraphs])[0]
            else:
                scores, local = model.article_scores(pe, se)
                preds = [model.select(s, loc, lexical=model.lexical(para.text), **sel)
                         for s, loc, para in zip(scores, local, d.article.paragraphs)]
            for gold, pred in zip(d.gold["paragraphs"], preds):
                pred = set(pred)
                g = set(gold.get("topics", []))
                tp += len(pred & g)
                fp += len(pred - g)
                fn += len(g - pred)
    finally:
        topics_mod.ARTICLE_WEIGHT = old
    return _prf(tp, fp, fn, sum(len(d.gold["paragraphs"]) for d in devs))


def _prf(tp: int, fp: int, fn: int, paragraphs: int) -> dict:
    p = tp / max(tp + fp, 1)
    r = tp / max(tp + fn, 1)
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / max(p + r, 1e-9), 4),
            "paragraphs": paragraphs, "tp": tp, "fp": fp, "fn": fn}


def calibrate(model, devs, encoded) -> dict:
    """Grid search of the generic rule for micro-F1 (ties: the first, i.e. the smaller values)."""
    best = None
    lexical = [[model.lexical(p.text) for p in d.article.paragraphs] for d in devs]
    gold = [set(g.get("topics", [])) for d in devs for g in d.gold["paragraphs"]]
    old = topics_mod.ARTICLE_WEIGHT
    try:
        for w in (0.0, 0.2, 0.35, 0.5, 0.65):
            topics_mod.ARTICLE_WEIGHT = w
            rows = []  # (scores, local, lexical) per paragraph, computed once per article weight
            for paras, lex in zip(encoded, lexical):
                scores, local = model.article_scores([pe for pe, _ in paras], [se for _, se in paras])
                rows.extend(zip(scores, local, lex))
            for t in (0.1, 0.15, 0.2, 0.25):
                for m in (0.0, 0.02, 0.04, 0.08):
                    for sec in (0.35, 0.4, 0.45, 0.5, 0.55, 9.0):
                        for lx in (0.2, 0.25, 0.3, 0.35, 0.4, 9.0):
                            tp = fp = fn = 0
                            for (sc, loc, lex), g in zip(rows, gold):
                                pred = set(model.select(sc, loc, threshold=t, margin=m, secondary=sec, lexical=lex,
                                                        lexical_min=lx))
                                tp, fp, fn = tp + len(pred & g), fp + len(pred - g), fn + len(g - pred)
                            f = round(2 * tp / max(2 * tp + fp + fn, 1), 4)
                            if best is None or f > best[0]:
                                best = (f, t, m, sec, w, lx)
    finally:
        topics_mod.ARTICLE_WEIGHT = old
    return dict(zip(("f1", "threshold", "margin", "secondary", "article_weight", "lexical"), best))


def stance_accuracy(stance_model, devs, topics=None) -> dict:
    """The stance model on the gold items; `topics`: the list the items' topics come from (None:
    each article's own topics file, and the accuracy per list, by its folder's name, in `by_list`)."""
    from .stance import evidence_context

    fixed = None if topics is None else {t.name: t.description for t in topics}
    desc = lambda d: fixed if fixed is not None else topic_descriptions(d.topics_file)  # noqa: E731
    # (actor, topic, description, evidence, paragraph context: the model's input; stance, form, list)
    items = [(s["actor"], s["topic"], desc(d).get(s["topic"], ""), s["evidence"],
              evidence_context(d.article.paragraphs[int(s["paragraph_index"])].text, s["evidence"]),
              s["stance"], s.get("form", ""), d.topics_file.parent.name)
             for d in devs for s in d.gold.get("stances", [])]
    if not items:
        return {"accuracy": None, "items": 0}
    probs = stance_model.predict([i[:5] for i in items])
    from .schema import STANCE_LABELS

    pred = [STANCE_LABELS[k] for k in probs.argmax(1)]
    ok = [p == i[5] for p, i in zip(pred, items)]
    by = lambda key: {k: round(float(np.mean([o for o, i in zip(ok, items) if key(i) == k])), 4)  # noqa: E731
                      for k in sorted({key(i) for i in items})}
    misses = [{"actor": i[0], "topic": i[1], "gold": i[5], "pred": p, "form": i[6], "evidence": i[3]}
              for p, i, o in zip(pred, items, ok) if not o]
    return {"accuracy": round(float(np.mean(ok)), 4), "items": len(items), "by_form": by(lambda i: i[6]),
            "by_label": by(lambda i: i[5]), **({"by_list": by(lambda i: i[7])} if fixed is None else {}),
            "misses": misses}


def evaluate(split: str | None = "heldout", engine=None, do_calibrate: bool = False,
             with_stance: bool = True, int8: bool = False, names: tuple[str, ...] = (),
             topic_rule: bool = False, topics_file=None, stories: bool = False) -> dict:
    """Topic and stance figures on a split (`names`: fnmatch patterns of the articles to keep;
    `topic_rule`: assign topics with the calibrated rule instead of the learned combiner;
    `topics_file`: another list of the dev topics, the same names (e.g. with keywords);
    `stories`: the story articles, each under its story's own topic list)."""

    from .pipeline import Engine
    from .store import Store

    t0 = time.perf_counter()
    if engine is None:
        import atexit
        import shutil
        import tempfile

        tmp = tempfile.mkdtemp(prefix="stancewatch-eval-")
        atexit.register(shutil.rmtree, tmp, True)
        engine = Engine(store=Store(tmp), quantize=int8)
    if stories:
        if topics_file or do_calibrate:
            raise SystemExit("--stories uses each story's own topic list (no --topics, no --calibrate)")
        return _evaluate_stories(split, engine, with_stance, names, topic_rule, t0)
    topics = topics_mod.load_topics(topics_file or DEV_TOPICS)
    if {t.name for t in topics} != {t.name for t in topics_mod.load_topics(DEV_TOPICS)}:
        raise SystemExit(f"{topics_file}: the topics must have the dev topics' names (the gold labels use them)")
    model = topics_mod.TopicModel(engine.encoder, topics, **({"combiner": None} if topic_rule else {}))
    devs = [d for d in load_dev(None if split == "all" else split)
            if not names or matches(d.name, names)]
    if not devs:
        raise SystemExit(f"no dev articles in split {split!r} under {DEV_TOPICS.parent}")
    encoded = encode_dev(engine.encoder, devs)
    out = {"split": split, "articles": len(devs),
           "topics": {**topic_f1(model, devs, encoded),
                      **({"assignment": "combiner", "tau": model.combiner.tau} if model.combiner is not None else
                         {"assignment": "rule", "threshold": model.threshold, "margin": model.margin,
                          "secondary": topics_mod.SECONDARY, "article_weight": topics_mod.ARTICLE_WEIGHT})},
           "stance": stance_accuracy(engine.stance, devs, topics) if with_stance else None}
    if do_calibrate:
        train = load_dev("train")
        out["calibration_on_train"] = calibrate(model, train, encode_dev(engine.encoder, train))
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def _evaluate_stories(split, engine, with_stance, names, topic_rule, t0) -> dict:
    devs = [d for d in load_stories(None if split == "all" else split) if not names or matches(d.name, names)]
    if not devs:
        raise SystemExit(f"no story articles in split {split!r}")
    stance = stance_accuracy(engine.stance, devs) if with_stance else None
    by_story, total = {}, [0, 0, 0, 0]
    for tf, group in by_topics_file(devs).items():
        model = topics_mod.TopicModel(engine.encoder, topics_mod.load_topics(tf),
                                      **({"combiner": None} if topic_rule else {}))
        f = topic_f1(model, group, encode_dev(engine.encoder, group))
        by_story[tf.parent.name] = {"articles": len(group), **f,
                                    "stance": stance["by_list"].get(tf.parent.name) if stance else None}
        total = [a + b for a, b in zip(total, (f["tp"], f["fp"], f["fn"], f["paragraphs"]))]
    return {"split": split, "stories": by_story, "articles": len(devs),
            "topics": {**_prf(*total), "assignment": "rule" if topic_rule else "combiner"},
            "stance": stance, "seconds": round(time.perf_counter() - t0, 1)}


def end_to_end(split: str | None = "heldout", engine=None, names=(), stories: bool = False) -> dict:
    """The stance table as the product builds it (candidates from the actors and quotes stage,
    topics from the dev topics file, the stance model), against the gold items: which gold
    (paragraph, actor, topic) pairs get a row, with the right stance, and how many rows have no
    gold pair. Each article is scored by a fresh actor extractor (no memory of the others).
    `names`: fnmatch patterns of the articles to keep (an article's name matches itself);
    `stories`: the story articles, each under its story's own topic list."""
    return _e2e_summary(split or "all", _e2e_counts(split, engine, names, stories))


def gold_aggregate(items: list[dict]) -> dict:
    """(actor, topic) -> the gold counterpart of an article's aggregate stance (the stance
    matrix's cell): favor or against by the majority of the gold items that take a side (they
    carry no confidence), mixed on a tie, neutral when none does."""
    votes: dict[tuple, list[int]] = {}
    for g in items:
        v = votes.setdefault((g["actor"], g["topic"]), [0, 0])
        v[0] += g["stance"] == "favor"
        v[1] += g["stance"] == "against"
    return {k: "favor" if f > a else "against" if a > f else "mixed" if f else "neutral"
            for k, (f, a) in votes.items()}


def _e2e_counts(split, engine, names, stories: bool = False) -> dict:
    import tempfile

    from .eval_extraction import _Names
    from .pipeline import Engine, score_articles
    from .stance import aggregate_stances
    from .store import Store

    devs = [d for d in (load_stories if stories else load_dev)(None if split == "all" else split)
            if not names or matches(d.name, names)]
    if names and not devs:
        raise SystemExit(f"no dev articles in split {split!r} match {','.join(names)!r}")
    with tempfile.TemporaryDirectory(prefix="stancewatch-e2e-") as tmp:
        base = engine or Engine(store=Store(tmp), topics_file=DEV_TOPICS)
        base.encoder, base.sentiment, base.nlp, base.stance  # load once
        loaded = {k: v for k, v in base._loaded.items() if k not in ("actors", "topics")}
        scored = []
        for d in devs:  # each article in a store of its own, removed after
            with tempfile.TemporaryDirectory(prefix="stancewatch-e2e-") as one:
                eng = Engine(store=Store(one), topics_file=d.topics_file, actors_file=None, _loaded=dict(loaded))
                scored.append(score_articles([d.article], eng)["stances"])
    gold_n = found = right = rows = rows_matched = triples = triples_right = 0
    by_form: dict[str, list[int]] = {}
    for d, st in zip(devs, scored):
        canon = _Names(d.gold)
        st = st.assign(actor=[canon(a) for a in st["actor"]])  # the gold's names for the actors
        pred = {(int(r.paragraph_index), r.actor, r.topic): r.stance for r in st.itertuples(index=False)}
        gold = {(int(g["paragraph_index"]), g["actor"], g["topic"]): g for g in d.gold.get("stances", [])}
        # the article's aggregate per (actor, topic), as the stance matrix shows it, against the gold's
        agg = aggregate_stances(st, level="article")
        pred_agg = {(r.actor, r.topic): r.stance for r in agg.itertuples(index=False)}
        gold_agg = gold_aggregate(d.gold.get("stances", []))
        common = set(pred_agg) & set(gold_agg)
        triples += len(common)
        triples_right += sum(pred_agg[k] == gold_agg[k] for k in common)
        rows += len(pred)
        rows_matched += len(set(pred) & set(gold))
        for key, g in gold.items():
            gold_n += 1
            ok = key in pred and pred[key] == g["stance"]
            found += key in pred
            right += ok
            by_form.setdefault(g.get("form", ""), []).append(int(ok))
    return {"articles": len(devs), "gold_pairs": gold_n, "found": found, "right": right, "rows": rows,
            "rows_matched": rows_matched, "triples": triples, "triples_right": triples_right, "by_form": by_form}


def _e2e_summary(split: str, c: dict) -> dict:
    gold_n, found, right, rows = c["gold_pairs"], c["found"], c["right"], c["rows"]
    return {"split": split, "articles": c["articles"], "gold_pairs": gold_n,
            "found": found, "right": right, "rows_matched": c["rows_matched"],
            "pair_recall": round(found / max(gold_n, 1), 4),
            "accuracy_on_found": round(right / max(found, 1), 4),
            "end_to_end_accuracy": round(right / max(gold_n, 1), 4),
            "rows": rows, "rows_with_a_gold_pair": round(c["rows_matched"] / max(rows, 1), 4),
            "end_to_end_by_form": {k: round(float(np.mean(v)), 2) for k, v in sorted(c["by_form"].items())},
            # (actor, topic) per article with both gold items and rows: is the aggregate stance right?
            "article_triples": c["triples"],
            "article_stance_accuracy": round(c["triples_right"] / max(c["triples"], 1), 4)}


def end_to_end_out_of_fold(fold_dir) -> dict:
    """`end_to_end` on the train articles, each scored by the fold model that did not see it
    (the `--fold-dir` of `python -m models.train stance --cv K`)."""
    import tempfile
    from pathlib import Path

    from .pipeline import Engine
    from .store import Store

    fold_dir = Path(fold_dir)
    folds = json.loads((fold_dir / "folds.json").read_text())
    parts = []
    for k, fold in enumerate(folds):
        with tempfile.TemporaryDirectory(prefix="stancewatch-e2e-") as tmp:
            eng = Engine(store=Store(tmp), topics_file=DEV_TOPICS,
                         model_overrides={"stance": str(fold_dir / f"fold{k}.safetensors")})
            parts.append(_e2e_counts("train", eng, set(fold)))
    total = {key: sum(p[key] for p in parts) for key in ("articles", "gold_pairs", "found", "right", "rows",
                                                         "rows_matched", "triples", "triples_right")}
    total["by_form"] = {}
    for p in parts:
        for k, v in p["by_form"].items():
            total["by_form"].setdefault(k, []).extend(v)
    return _e2e_summary("train, out of fold", total)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dashboard.eval_stance", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="heldout", choices=["heldout", "train", "all"])
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--calibrate", action="store_true", help="grid-search the topic rule on the train split")
    ap.add_argument("--topics-only", action="store_true", help="skip the stance model")
    ap.add_argument("--names", default="", help="comma-separated fnmatch patterns: only these dev articles")
    ap.add_argument("--topic-rule", action="store_true",
                    help="assign topics with the calibrated rule instead of the learned combiner")
    ap.add_argument("--topics", default=None,
                    help="another list of the dev topics with the same names (e.g. tests/data/dev/topics_keywords.yaml)")
    ap.add_argument("--int8", action="store_true", help="int8 dynamic quantisation (encoder and stance head)")
    ap.add_argument("--end-to-end", action="store_true",
                    help="score the articles through the pipeline and compare its stance rows with the gold items")
    ap.add_argument("--fold-dir", default=None,
                    help="with --end-to-end: score the train articles out of fold with the fold models saved by "
                         "`python -m models.train stance --cv K --fold-dir DIR`")
    ap.add_argument("--stories", action="store_true",
                    help="the story articles (tests/data/dev/stories), each under its own topic list")
    ap.add_argument("--errors", action="store_true", help="list the missed stance items (never for tuning on held-out)")
    args = ap.parse_args(argv)
    names = name_patterns(args.names)
    if args.end_to_end:
        if args.fold_dir and names:
            raise SystemExit("--names does not apply with --fold-dir (each fold scores the articles it left out)")
        if args.fold_dir and args.stories:
            raise SystemExit("--stories does not apply with --fold-dir")
        res = (end_to_end_out_of_fold(args.fold_dir) if args.fold_dir else
               end_to_end(args.split, names=names, stories=args.stories))
        print(json.dumps(res, indent=None if args.json else 2))
        return 0
    res = evaluate(args.split, do_calibrate=args.calibrate, with_stance=not args.topics_only, int8=args.int8,
                   names=names, topic_rule=args.topic_rule, topics_file=args.topics, stories=args.stories)
    if args.json:
        print(json.dumps(res, indent=2))
        return 0
    t, s = res["topics"], res["stance"]
    print(f"dev split {res['split']}: {res['articles']} articles, {t['paragraphs']} paragraphs")
    if "stories" in res:  # each story has its own list; the assignment's settings are the committed ones
        how = t["assignment"]
        for name, f in res["stories"].items():
            st = "" if f["stance"] is None else f", stance {f['stance']:.3f}"
            print(f"  story {name}: {f['articles']} articles, {f['paragraphs']} paragraphs, "
                  f"topic F1 {f['f1']:.3f} (P {f['precision']:.3f}, R {f['recall']:.3f}){st}")
    elif t["assignment"] == "combiner":
        how = f"combiner, tau {t['tau']}"
    else:
        how = (f"rule: threshold {t['threshold']}, margin {t['margin']}, secondary {t['secondary']}, "
               f"article weight {t['article_weight']}")
    print(f"topic F1 {t['f1']:.3f} (P {t['precision']:.3f}, R {t['recall']:.3f}; {how})")
    if s and s["items"]:
        print(f"stance accuracy {s['accuracy']:.3f} on {s['items']} gold items")
        print("  by form:  " + ", ".join(f"{k} {v:.2f}" for k, v in s["by_form"].items()))
        print("  by label: " + ", ".join(f"{k} {v:.2f}" for k, v in s["by_label"].items()))
        for m in s["misses"] if args.errors else []:
            print(f"  miss [{m['form']}] {m['actor']} / {m['topic']}: gold {m['gold']}, got {m['pred']}: "
                  f"{m['evidence'][:90]}")
    if "calibration_on_train" in res:
        print(f"calibration on train: {res['calibration_on_train']}")
    print(f"({res['seconds']}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
