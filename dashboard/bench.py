"""python -m dashboard bench [--json]: speed and memory of the whole product, measured in one run.

Prints ratios (speedups, fractions of the machine's own measured bound) rather than raw
timings alone, so the numbers mean the same on another machine of this kind.
"""
from __future__ import annotations

import json
import os
import random
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEV_DIR = ROOT / "tests" / "data" / "dev"


# ---- the corpus ------------------------------------------------------------------------------

def write_bench_corpus(out_dir: Path, n_paragraphs: int = 2000, per_article: int = 8, seed: int = 7) -> int:
    """Articles of recombined dev-corpus sentences: realistic text, no two paragraphs alike."""
    from .ingest import read_document, sentence_spans

    rng = random.Random(seed)
    sentences = []
    for f in sorted(DEV_DIR.glob("*.txt")) or sorted((ROOT / "seeds").glob("*.txt")):
        art = read_document(f.name, f.read_bytes())
        for p in art.paragraphs:
            if not p.is_heading:
                sentences.extend(p.text[s:e] for s, e in sentence_spans(p.text))
    if not sentences:
        raise RuntimeError("no dev articles to build the benchmark corpus from")
    seen: set[str] = set()
    paragraphs = []
    while len(paragraphs) < n_paragraphs:
        para = " ".join(rng.sample(sentences, k=min(len(sentences), rng.choice([2, 3, 3, 4]))))
        if para not in seen:
            seen.add(para)
            paragraphs.append(para)
    out_dir.mkdir(parents=True, exist_ok=True)
    for i in range(0, n_paragraphs, per_article):
        day = 1 + (i // per_article) % 28
        month = 1 + (i // per_article // 28) % 12
        body = "\n\n".join(paragraphs[i:i + per_article])
        (out_dir / f"bench_{i // per_article:04d}.txt").write_text(f"date 2025-{month:02d}-{day:02d} {body}\n",
                                                                   encoding="utf-8")
    return n_paragraphs


# ---- the encoder's bound ---------------------------------------------------------------------

def gemm_gflops(hidden: int, intermediate: int, tokens: int = 2048, seconds: float = 3.0) -> float:
    """Sustained fp32 GEMM throughput on the encoder's own layer shapes (tokens x hidden x ...)."""
    import torch

    shapes = [(tokens, hidden, hidden)] * 4 + [(tokens, hidden, intermediate), (tokens, intermediate, hidden)]
    mats = [(torch.randn(m, k), torch.randn(k, n)) for m, k, n in shapes]
    flops_per_round = sum(2 * m * k * n for m, k, n in shapes)
    for a, b in mats:  # warm up
        a @ b
    rounds, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for a, b in mats:
            a @ b
        rounds += 1
    return flops_per_round * rounds / (time.perf_counter() - t0) / 1e9


def encoder_flops(n_tokens: int, hidden: int, intermediate: int, layers: int) -> float:
    """Forward FLOPs of a BERT encoder on one sequence of n_tokens (matmuls only)."""
    per_layer = 2 * n_tokens * (4 * hidden * hidden + 2 * hidden * intermediate) + 2 * 2 * n_tokens * n_tokens * hidden
    return float(per_layer * layers)


# ---- the dashboard's cold start --------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cold_start(store: Path, timeout: float = 120.0) -> float | None:
    """Seconds from starting the Streamlit server to the first page rendered in headless Chromium."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        return None
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = {**os.environ, "STANCEWATCH_STORE": str(store)}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        page = browser.new_page()
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
                                 "--server.port", str(port), "--server.headless", "true"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}/", timeout=5000)
                    break
                except Exception:
                    if time.perf_counter() - t0 > timeout:
                        return None
                    time.sleep(0.1)
            page.get_by_text("Paragraphs").first.wait_for(timeout=timeout * 1000)
            return time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            browser.close()


# ---- the pages' analysis on 100k paragraphs --------------------------------------------------

def inflate(tables: dict, n_paragraphs: int) -> dict:
    """Copies of the scored tables under new article ids until there are n_paragraphs."""
    import pandas as pd

    reps = -(-n_paragraphs // max(len(tables["paragraphs"]), 1))
    out = {}
    for name, df in tables.items():
        parts = []
        for r in range(reps):
            part = df.copy()
            part["article_id"] = part["article_id"] + f"-{r:03d}"
            if "date" in part.columns:
                d = pd.to_datetime(part["date"], errors="coerce") + pd.to_timedelta(r % 365, unit="D")
                part["date"] = d.dt.strftime("%Y-%m-%d")
            parts.append(part)
        out[name] = pd.concat(parts, ignore_index=True)
    out["paragraphs"] = out["paragraphs"].iloc[:n_paragraphs]
    return out


def filter_ms(tables: dict, repeats: int = 5) -> tuple[float, float]:
    """Median ms of a page's work on these tables: filter by an actor and a topic, then the stance
    matrix, the topic breakdown and the quote list. Also the ms to index the tables once (done
    once per store write and cached by the pages)."""
    from . import analysis

    t0 = time.perf_counter()
    corpus = analysis.build_corpus(tables)
    index_ms = (time.perf_counter() - t0) * 1000
    actor = _most_common(tables["paragraphs"]["actors"]) or ""
    topic = _most_common(tables["paragraphs"]["topics"]) or ""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f = analysis.Filters(actors=(actor,) if actor else (), topics=(topic,) if topic else ())
        view = analysis.apply_filters(corpus, f)
        analysis.stance_matrix(view)
        analysis.topic_breakdown(view)
        analysis.quote_list(view)
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.median(times)), index_ms


def _most_common(col) -> str | None:
    counts: dict[str, int] = {}
    for v in col.head(5000):
        for x in (v if v is not None and not isinstance(v, str) else []):
            counts[x] = counts.get(x, 0) + 1
    return max(counts, key=counts.get) if counts else None


# ---- the run ---------------------------------------------------------------------------------

def run(n_paragraphs: int = 2000, naive_paragraphs: int = 400, quiet: bool = False) -> dict:
    import torch

    from .pipeline import Engine, score_paths
    from .store import Store

    say = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    work = Path(tempfile.mkdtemp(prefix="stancewatch-bench-"))
    try:
        corpus, small = work / "corpus", work / "small"
        write_bench_corpus(corpus, n_paragraphs)
        write_bench_corpus(small, naive_paragraphs, seed=11)
        say(f"corpus: {n_paragraphs} paragraphs; naive baseline on {naive_paragraphs}")

        engine = Engine(store=Store(work / "store"))
        engine.encoder, engine.sentiment, engine.nlp, engine.actors, engine.topics, engine.stance  # load once
        # warm-up (first calls allocate), on a separate store
        warm = Engine(store=Store(work / "warm"), _loaded=engine._loaded)
        write_bench_corpus(work / "warmup", 16, seed=3)
        score_paths([work / "warmup"], warm)

        naive = Engine(store=Store(work / "naive"), per_paragraph_calls=True, _loaded=engine._loaded)
        t0 = time.perf_counter()
        r_naive = score_paths([small], naive)
        naive_pps = r_naive.scored / (time.perf_counter() - t0)
        say(f"naive: {naive_pps:.1f} paragraphs/s")

        t0 = time.perf_counter()
        r = score_paths([corpus], engine)
        first_s = time.perf_counter() - t0
        pps = r.scored / first_s
        peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        say(f"batched: {pps:.1f} paragraphs/s, peak RSS {peak_rss_mb:.0f} MB")

        t0 = time.perf_counter()
        r2 = score_paths([corpus], engine)
        rescore_s = time.perf_counter() - t0
        assert r2.scored == 0

        # the encoder alone against its bound
        tables = engine.store.read()
        texts = tables["sentences"]["text"].tolist()
        enc = engine.encoder
        lengths = enc.token_lengths(texts)
        enc.run(texts[:64])
        t0 = time.perf_counter()
        enc.run(texts, batch_size=engine.batch_size)
        enc_s = time.perf_counter() - t0
        n_par = len(tables["paragraphs"])
        enc_pps = n_par / enc_s
        cfg = enc.config
        gflops = gemm_gflops(cfg.hidden_size, cfg.intermediate_size)
        flops = sum(encoder_flops(n, cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers) for n in lengths)
        bound_pps = gflops * 1e9 / (flops / n_par)
        say(f"encoder: {enc_pps:.1f} paragraphs/s; bound {bound_pps:.1f} (GEMM {gflops:.0f} GFLOP/s, "
            f"{np.mean([len(s.split()) for s in tables['paragraphs']['text']]):.0f} words/paragraph)")

        big = inflate(tables, 100_000)
        fms, index_ms = filter_ms(big)
        say(f"analysis on 100k paragraphs: {fms:.0f} ms per interaction, {index_ms:.0f} ms to index once")
        del big

        cs = cold_start(engine.store.root)
        say(f"cold start: {cs if cs is None else round(cs, 1)} s")

        return {
            "paragraphs": r.scored,
            "paragraphs_per_s": round(pps, 1),
            "naive_paragraphs_per_s": round(naive_pps, 1),
            "speedup_vs_naive": round(pps / naive_pps, 2),
            "encoder_paragraphs_per_s": round(enc_pps, 1),
            "encoder_bound_paragraphs_per_s": round(bound_pps, 1),
            "gemm_gflops": round(gflops, 1),
            "encoder_fraction_of_bound": round(enc_pps / bound_pps, 3),
            "rescore_fraction": round(rescore_s / first_s, 4),
            "filter_ms_100k": round(fms, 1),
            "index_ms_100k": round(index_ms, 1),
            "peak_rss_mb": round(peak_rss_mb),
            "cold_start_s": None if cs is None else round(cs, 2),
            "threads": torch.get_num_threads(),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def add_parser(sub) -> None:
    p = sub.add_parser("bench", help="measure speed and memory (prints ratios)")
    p.add_argument("--json", action="store_true", help="print one final JSON line")
    p.add_argument("--paragraphs", type=int, default=2000)
    p.set_defaults(func=_cmd)


def _cmd(args) -> int:
    result = run(args.paragraphs)
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:32s} {v}")
    return 0
