"""Actors and quotes measured on the dev corpus (tests/data/dev).

    python -m dashboard.eval_extraction [--split heldout|train|all] [--json] [--errors]

- actor F1: micro F1 over (article, paragraph, canonical actor), each paragraph's actors a set;
- quote recall: the share of gold quotes found in their paragraph (same text, up to the marks,
  case, spacing and outer punctuation; or 80% of the words in common);
- speaker accuracy: among the gold quotes found, the share whose speaker is the gold speaker;
- quote precision (reported, no target): the share of quotes found that are gold quotes.

A predicted name counts as the gold actor when it is the gold canonical name or one of the
gold aliases (case and a leading "the" ignored): the annotation lists aliases so that naming
conventions ("US" or "United States") are not counted as extraction errors.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

TARGETS = {"actor_f1": 0.90, "quote_recall": 0.95, "speaker_accuracy": 0.90}
WORD_OVERLAP = 0.8


def _norm(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = " ".join(text.split()).strip(" \"'.,;:!?…—-").casefold()
    return re.sub(r"^the ", "", text)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", _norm(text))


def _same_quote(a: str, b: str) -> bool:
    if _norm(a) == _norm(b):
        return True
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return False
    common = len(set(wa) & set(wb))
    return common / max(len(set(wa)), len(set(wb))) >= WORD_OVERLAP


class _Names:
    """Gold canonical names and aliases of one article, for matching predicted names."""

    def __init__(self, gold: dict):
        self.table: dict[str, str] = {}
        for name, info in gold.get("actors", {}).items():
            for a in [name, *(info.get("aliases") or [])]:
                self.table.setdefault(_norm(a), name)

    def __call__(self, name: str) -> str:
        return self.table.get(_norm(name), name)


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    gold_quotes: int = 0
    found_quotes: int = 0
    predicted_quotes: int = 0
    correct_speakers: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: "Counts") -> None:
        for k in ("tp", "fp", "fn", "gold_quotes", "found_quotes", "predicted_quotes", "correct_speakers"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.errors.extend(other.errors)

    def metrics(self) -> dict:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        return {
            "actor_precision": round(p, 4), "actor_recall": round(r, 4),
            "actor_f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "quote_recall": round(self.found_quotes / self.gold_quotes, 4) if self.gold_quotes else 0.0,
            "quote_precision": round(self.found_quotes / self.predicted_quotes, 4) if self.predicted_quotes else 0.0,
            "speaker_accuracy": round(self.correct_speakers / self.found_quotes, 4) if self.found_quotes else 0.0,
            "gold_quotes": self.gold_quotes, "predicted_quotes": self.predicted_quotes,
        }


def run_article(dev, nlp, extractor) -> Counts:
    """Extract actors and quotes from one dev article and compare with its gold annotation."""
    from .ingest import split_sentences
    from .quotes import extract_quotes

    art, gold = dev.article, dev.gold
    names = _Names(gold)
    docs = list(nlp.pipe([p.text for p in art.paragraphs]))
    sents = [split_sentences(p) for p in art.paragraphs]
    mentions = extractor.extract(art, docs, sents)
    quotes = extract_quotes(art, docs, sents, mentions, extractor)
    c = Counts()
    for gp in gold["paragraphs"]:
        pi = gp["index"]
        g = {names(a) for a in gp["actors"]}
        p = {names(m.actor) for m in mentions if m.paragraph_index == pi}
        c.tp += len(g & p)
        c.fp += len(p - g)
        c.fn += len(g - p)
        for a in sorted(p - g):
            c.errors.append(f"{dev.name} p{pi} actor FP: {a}")
        for a in sorted(g - p):
            c.errors.append(f"{dev.name} p{pi} actor FN: {a}")
    c.predicted_quotes = len(quotes)
    used: set[int] = set()
    for gq in gold["quotes"]:
        c.gold_quotes += 1
        hit = next((i for i, q in enumerate(quotes) if i not in used and q.paragraph_index == gq["paragraph_index"]
                    and _same_quote(q.quote, gq["quote"])), None)
        if hit is None:
            c.errors.append(f"{dev.name} p{gq['paragraph_index']} quote missed: {gq['quote'][:70]!r}")
            continue
        used.add(hit)
        c.found_quotes += 1
        if names(quotes[hit].speaker) == names(gq["speaker"]):
            c.correct_speakers += 1
        else:
            c.errors.append(f"{dev.name} p{gq['paragraph_index']} speaker {quotes[hit].speaker!r} "
                            f"(gold {gq['speaker']!r}): {gq['quote'][:50]!r}")
    for i, q in enumerate(quotes):
        if i not in used:
            c.errors.append(f"{dev.name} p{q.paragraph_index} extra quote ({q.speaker!r}): {q.quote[:60]!r}")
    return c


def evaluate(split: str | None = "heldout", actors_file: Path | None = None, nlp=None,
             dev_dir: Path | None = None, names: tuple[str, ...] = ()) -> dict:
    """Metrics for one split of the dev corpus ("train", "heldout" or None for all); `names`:
    fnmatch patterns of the articles to keep."""
    from .actors import ActorExtractor, load_nlp
    from .devset import DEV_DIR, load_dev, matches

    if nlp is None:
        from models.registry import get_registry

        nlp = load_nlp(get_registry()["ner"])
    if actors_file is None:
        from .pipeline import DEFAULT_ACTORS

        actors_file = DEFAULT_ACTORS
    devs = [d for d in load_dev(split, dev_dir or DEV_DIR) if not names or matches(d.name, names)]
    if names and not devs:
        raise SystemExit(f"no dev articles in split {split or 'all'!r} match {','.join(names)!r}")
    total = Counts()
    per_article = {}
    for dev in devs:
        # one extractor per article: no memory of other dev articles leaks into the figures
        c = run_article(dev, nlp, ActorExtractor(actors_file))
        per_article[dev.name] = c.metrics()
        total.add(c)
    out = {"split": split or "all", "articles": len(devs), **total.metrics(), "per_article": per_article,
           "errors": total.errors}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dashboard.eval_extraction", description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=["heldout", "train", "all"], default="heldout")
    ap.add_argument("--actors", type=Path, default=None, help="actors file (default: seeds/actors.yaml)")
    ap.add_argument("--json", action="store_true", help="print the metrics as JSON")
    ap.add_argument("--errors", action="store_true", help="list every miss and false positive")
    ap.add_argument("--names", default="", help="comma-separated fnmatch patterns: only these dev articles")
    args = ap.parse_args(argv)
    from .devset import name_patterns

    res = evaluate(None if args.split == "all" else args.split, args.actors, names=name_patterns(args.names))
    if args.json:
        if not args.errors:
            res = {k: v for k, v in res.items() if k != "errors"}
        print(json.dumps(res, indent=2))
        return 0
    print(f"split={res['split']} articles={res['articles']}")
    for k in ("actor_precision", "actor_recall", "actor_f1", "quote_recall", "quote_precision", "speaker_accuracy"):
        target = TARGETS.get(k)
        mark = "" if target is None else ("  (target >= %.2f: %s)" % (target, "met" if res[k] >= target else "NOT met"))
        print(f"  {k:18s} {res[k]:.3f}{mark}")
    print(f"  gold quotes {res['gold_quotes']}, predicted {res['predicted_quotes']}")
    if args.errors:
        for e in res["errors"]:
            print("   ", e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
