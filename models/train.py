"""Training entry point: `python -m models.train {sentiment,stance,topics} [options]`.

Each task lives in its own module (models/train_sentiment.py, models/train_stance.py, models/train_topics.py) with a
`main(argv)`; the module is imported only when its task is asked for.
"""
from __future__ import annotations

import importlib
import sys

TASKS = {"sentiment": "models.train_sentiment", "stance": "models.train_stance", "topics": "models.train_topics"}


def main(argv: list[str] | None = None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in TASKS:
        print(f"usage: python -m models.train {{{','.join(TASKS)}}} [options]\n"
              f"       python -m models.train TASK --help   (the task's options)", file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    task, rest = argv[0], argv[1:]
    try:
        module = importlib.import_module(TASKS[task])
    except ModuleNotFoundError as exc:
        if exc.name == TASKS[task]:
            print(f"the {task} trainer ({TASKS[task]}) is not available yet", file=sys.stderr)
            return 2
        raise
    module.main(rest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
