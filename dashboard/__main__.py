"""The CLI: python -m dashboard score|serve|bench|export ...

    python -m dashboard score PATH... [--topics FILE] [--actors FILE] [--store DIR] [--out DIR] [--json]
    python -m dashboard serve [--store DIR] [--port N]

`score` exits 0 when at least one file was stored (added now or already in the store), 2 when
none was; the --json summary lists every file that failed, with its reason, in `errors`, and
every file's outcome in `files`. No traceback reaches the user (STANCEWATCH_DEBUG=1 shows it).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def _engine(args):
    from .pipeline import DEFAULT_ACTORS, DEFAULT_TOPICS, Engine
    from .store import Store
    from models.registry import parse_overrides

    return Engine(
        store=Store(args.store),
        topics_file=Path(args.topics) if args.topics else DEFAULT_TOPICS,
        actors_file=Path(args.actors) if args.actors else DEFAULT_ACTORS,
        model_overrides=parse_overrides(args.model),
        quantize=getattr(args, "int8", False),
    )


def _add_common(p):
    p.add_argument("--store", help="store directory (default: $STANCEWATCH_STORE or data/)")
    p.add_argument("--topics", help="topics file, YAML list of name/description (default: seeds/topics.yaml)")
    p.add_argument("--actors", help="actors file, YAML list of name/type/aliases (default: seeds/actors.yaml)")
    p.add_argument("--model", action="append", metavar="ROLE=NAME_OR_PATH",
                   help="replace a registry model (roles: encoder, sentiment, stance, ner, nli); repeatable")
    p.add_argument("--int8", action="store_true", help="int8 dynamic quantisation of the encoder")


def cmd_score(args) -> int:
    from .exports import write_exports
    from .ingest import SUPPORTED_EXTENSIONS, iter_paths, safe_path_label
    from .pipeline import score_paths

    engine = _engine(args)
    missing = [p for p in args.paths if not Path(p).exists()]
    empty = [p for p in args.paths if Path(p).is_dir() and not iter_paths([p])]
    progress = None
    if not args.json and sys.stderr.isatty():
        progress = lambda msg, frac: print(f"\r[{frac:5.0%}] {msg:<60}", end="", file=sys.stderr, flush=True)
    report = score_paths([p for p in args.paths if Path(p).exists()], engine, progress)
    pre = [{"file": safe_path_label(p), "error": "no such file or folder"} for p in missing]
    pre += [{"file": safe_path_label(p), "error": f"no {', '.join(SUPPORTED_EXTENSIONS)} files in this folder"}
            for p in empty]
    report.errors = pre + report.errors
    report.files = [{"file": e["file"], "status": "rejected", "reason": e["error"]} for e in pre] + report.files
    if progress:
        print(file=sys.stderr)
    if args.out:
        write_exports(engine.store, Path(args.out), article_ids=set(report.added) | set(report.known))
    summary = report.summary()
    summary["files"] = [{k: f[k] for k in ("file", "status", "reason", "article_id") if k in f} for f in report.files]
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(f"{summary['articles']} articles, {summary['paragraphs']} paragraphs: "
              f"{summary['scored']} scored, {summary['cached']} from the store, in {summary['seconds']} s")
        for f in report.files:
            if f["status"] in ("rejected", "failed", "duplicate"):
                print(f"  {f['status']} {f['file']}: {f['reason']}")
        if args.out:
            print(f"exports written to {args.out}")
    stored = len(report.added) + len(report.known)
    return 0 if stored else 2


def cmd_serve(args) -> int:
    import subprocess

    env = dict(os.environ)
    if args.store:
        env["STANCEWATCH_STORE"] = str(Path(args.store).resolve())
    root = Path(__file__).resolve().parent.parent
    cmd = [sys.executable, "-m", "streamlit", "run", str(root / "streamlit_app.py"), "--server.port", str(args.port)]
    return subprocess.call(cmd, cwd=root, env=env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="Stancewatch engine")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("score", help="ingest and score files or folders into the store")
    p.add_argument("paths", nargs="+", metavar="PATH")
    _add_common(p)
    p.add_argument("--out", help="write paragraphs.csv, quotes.csv and stances.csv here")
    p.add_argument("--json", action="store_true", help="print one JSON summary line")
    p.set_defaults(func=cmd_score)
    p = sub.add_parser("serve", help="open the dashboard")
    p.add_argument("--store")
    p.add_argument("--port", type=int, default=8501)
    p.set_defaults(func=cmd_serve)
    try:
        from .bench import add_parser as add_bench
    except ImportError:
        pass
    else:
        add_bench(sub)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted; everything stored before this point is kept", file=sys.stderr)
        return 130
    except Exception as exc:  # one line for the user, never a traceback (unless STANCEWATCH_DEBUG=1)
        if os.environ.get("STANCEWATCH_DEBUG"):
            raise
        if isinstance(exc, (ValueError, RuntimeError, OSError)):
            message = " ".join(str(exc).split()) or type(exc).__name__
        else:
            message = f"internal error ({type(exc).__name__}: {' '.join(str(exc).split())[:300]}); " \
                      "set STANCEWATCH_DEBUG=1 to see where"
        if args.__dict__.get("json"):
            print(json.dumps({"articles": 0, "paragraphs": 0, "scored": 0, "cached": 0, "added": 0, "known": 0,
                              "errors": [{"file": "", "error": message}], "seconds": 0, "files": []},
                             ensure_ascii=False))
        else:
            print(f"error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
