"""Train the stance cross-encoder: `python -m models.train stance [--cv K] [--epochs N] [--out PATH]`.

Input: "actor | topic: description [SEP] evidence [SEP] paragraph context" -> against / neutral /
favor (dashboard.stance.pair_text, evidence_context: the context is the evidence's paragraph with
the evidence replaced by "…"; `--no-context` leaves it out). Model: the embedded MiniLM's bottom
layers frozen, its top N_TOP layers copied and fine-tuned with a linear classifier
(models.heads.TopLayersClassifier); only the trained parameters are saved (fp16 safetensors).
`--members N` trains N such heads with seeds --seed, --seed + 1, ... on the same examples and
saves their ensemble (mean probabilities; each head's layers as 4-bit differences from the base
encoder's, models.heads.HeadEnsemble), which is what the committed weights are when the model
card says so.
Training starts from the sentiment trainer's tweet-only stage 1 head (its 3 fine-tuned layers
and its classifier, negative / neutral / positive read as against / neutral / favor;
`--init-from none` starts from the base encoder): sentiment is the nearest task with a lot of
labelled data.

Training data (nothing from the seeds or the dev held-out articles):
  1. the dev TRAIN articles' gold stance items (tests/data/dev, split "train"; with `--stories`
     also the story articles of tests/data/dev/stories, each under its story's topic list);
  2. hand-written examples, models/data/stance_handwritten.tsv;
  3. weak supervision from templates over invented actors and topics (models/data/): stance
     verb frames (favor / against / neutral), negated frames ("would not back"), reported
     speech, hedges, endorsement of someone else's position, two-topic sentences where each
     topic gets its own label, another actor's position in the same sentence, off-topic
     evidence (neutral), and quotes built on the Bing Liu opinion lexicon shipped in NewsSentiment.

--cv K: K-fold cross-validation over the dev train articles (templates and hand-written
examples always in training), printed as accuracy per fold and overall. The final model is
then trained on everything and evaluated on the dev held-out split (reported only).
"""
from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"
OUT = Path(__file__).resolve().parent / "weights" / "stance.safetensors"
LEXICON_DIR = "NewsSentiment/knowledge/bingliuopinion"
N_TOP = 6
SEED = 13
INIT_DEFAULT = "sentiment-stage1"
LABELS = ("against", "neutral", "favor")
LAB = {k: i for i, k in enumerate(LABELS)}

# ---- templates --------------------------------------------------------------------------------
# {A} actor as written, {P} pronoun, {X} the topic phrase, {B} another actor.
# polarity: +1 favor of X, -1 against X, 0 neutral.
SENTENCE_TEMPLATES = [
    (+1, "{A} supports {X}."), (+1, "{A} said {P} supported {X}."), (+1, "{A} backed {X} on Tuesday."),
    (+1, "{A} pressed for {X}."), (+1, "{A} called for {X} at the summit."), (+1, "{A} welcomed {X}."),
    (+1, "{A} urged lawmakers to approve {X}."), (+1, "{A} defended {X}, calling it necessary."),
    (+1, "{A} praised {X} as a step in the right direction."), (+1, "{A} hailed {X} as a breakthrough."),
    (+1, "{A} said {P} would vote for {X}."), (+1, "{A} insisted on {X}."), (+1, "{A} has long argued for {X}."),
    (+1, "{A} said there was no alternative to {X}."), (+1, "{A} said {P} did not oppose {X}."),
    (+1, "{A} said {P} would not stand in the way of {X}."), (+1, "{A} said {P} would not block {X}."),
    (+1, "{A} rejected calls to abandon {X}."), (+1, "{A} told reporters that {X} was essential."),
    (+1, "{A} promised to deliver {X} within a year."), (+1, "{A} is open to {X}, aides said."),
    (+1, "{A} said {P} might consider {X} if the conditions are right."), (+1, "{A} signalled support for {X}."),
    (+1, "{A} endorsed {X} in a speech on Monday."), (+1, "{A} is campaigning for {X}."),
    (+1, "{A} said {X} would benefit everyone."), (+1, "{A} argued that {X} was long overdue."),
    (-1, "{A} opposes {X}."), (-1, "{A} said {P} opposed {X}."), (-1, "{A} rejected {X}."), (-1, "{A} ruled out {X}."),
    (-1, "{A} dismissed {X} as a gimmick."), (-1, "{A} warned against {X}."), (-1, "{A} vowed to block {X}."),
    (-1, "{A} criticised {X}."), (-1, "{A} condemned {X}."), (-1, "{A} refused to back {X}."),
    (-1, "{A} said {P} would not support {X}."), (-1, "{A} will not accept {X}, a spokesman said."),
    (-1, "{A} said {P} would never agree to {X}."), (-1, "{A} said {X} was off the table."),
    (-1, "{A} called {X} a mistake."), (-1, "{A} voted against {X}."), (-1, "{A} urged the government to drop {X}."),
    (-1, "{A} said {P} was not going to accept {X}."), (-1, "{A} has no intention of backing {X}."),
    (-1, "{A} said {X} would be a disaster."), (-1, "{A} told reporters {P} had serious doubts about {X} and would oppose it."),
    (-1, "{A} threatened to veto {X}."), (-1, "{A} is fighting {X} in court."), (-1, "{A} denounced {X}."),
    (0, "{A} said {X} would be discussed next week."), (0, "{A} declined to comment on {X}."),
    (0, "{A} said it was too early to judge {X}."), (0, "{A} met officials to discuss {X}."),
    (0, "{A} said a decision on {X} would come after the elections."), (0, "{A} asked for more details about {X}."),
    (0, "{A} said {P} had not made up {Q} mind on {X}."), (0, "{A} said {X} had both benefits and risks."),
    (0, "{A} said a report on {X} would be published in May."), (0, "{A} said {P} would neither back nor oppose {X}."),
    (0, "{A} said {X} was a matter for parliament."), (0, "{A} confirmed that talks about {X} had taken place."),
]
ENDORSE_TEMPLATES = [
    (+1, "{A} welcomed {B}'s support for {X}."), (+1, "{A} said {P} agreed with {B} that {X} was needed."),
    (+1, "{A} sided with {B} in backing {X}."), (+1, "{A} criticised {B} for opposing {X}."),
    (+1, "{A} praised {B}'s decision to push ahead with {X}."), (+1, "{A} attacked {B}'s attempt to block {X}."),
    (-1, "{A} welcomed {B}'s rejection of {X}."), (-1, "{A} praised {B} for blocking {X}."),
    (-1, "{A} criticised {B}'s push for {X}."), (-1, "{A} said {P} agreed with {B} that {X} would be a mistake."),
    (-1, "{A} applauded {B}'s decision to abandon {X}."), (-1, "{A} condemned {B}'s plan for {X}."),
]
QUOTE_TEMPLATES = [
    (+1, "We fully support {X}"), (+1, "{XC} is exactly what this country needs"), (+1, "{XC} is the right thing to do"),
    (+1, "I will fight for {X}"), (+1, "Nobody should stand in the way of {X}"), (+1, "We want {X}, and we want it now"),
    (+1, "{XC} is {POS}, and we will make it happen"), (+1, "I have always believed in {X}"),
    (+1, "We are not going to give up on {X}"), (+1, "There is no alternative to {X}"),
    (-1, "We will not accept {X}"), (-1, "{XC} is a terrible idea"), (-1, "You can forget about {X}"),
    (-1, "I am not going to agree to {X}"), (-1, "{XC} would be {NEG}"), (-1, "We will do everything to stop {X}"),
    (-1, "I will never support {X}"), (-1, "{XC} is the last thing we need"), (-1, "Nobody here wants {X}"),
    (0, "We are looking at {X} carefully"), (0, "There are arguments on both sides of {X}"),
    (0, "We will decide on {X} when we have all the facts"), (0, "I cannot say anything about {X} today"),
]
TWO_TOPIC_TEMPLATES = [  # (polarity for X, polarity for Y)
    ((-1, +1), "{A} rejected {X} but said {Y} must go ahead."),
    ((+1, -1), "{A} backed {X} while warning against {Y}."),
    ((-1, 0), "{A} said {P} would not provide {X} as part of {Y}."),
    ((+1, 0), "{A} said {X} should be discussed alongside {Y}, which {P} insisted on."),
    ((-1, 0), "As part of the talks on {Y}, {A} ruled out {X}."),
    ((+1, 0), "{A} pressed for {X} during the debate on {Y}."),
]
TWO_ACTOR_TEMPLATES = [  # (polarity for A, polarity for B)
    ((+1, -1), "{A} backed {X}, while {B} opposed it."),
    ((-1, +1), "{A} rejected {X}, which {B} has championed for years."),
    ((+1, -1), "{B} dismissed {X}, but {A} said {P} supported it."),
    ((0, +1), "{A} said {B} had pressed for {X}."),
    ((0, -1), "{A} noted that {B} had rejected {X}."),
]
VERB_POS_ADJ = ["good", "great", "wise", "fair", "sensible", "excellent"]


def _lexicon(name: str, vocab: set[str]) -> list[str]:
    import importlib.util

    spec = importlib.util.find_spec("NewsSentiment")
    if spec is None or not spec.submodule_search_locations:
        return []
    path = Path(list(spec.submodule_search_locations)[0]) / "knowledge" / "bingliuopinion" / name
    words = [w.strip() for w in path.read_text(encoding="latin-1").splitlines()
             if w.strip() and not w.startswith(";")]
    return [w for w in words if w in vocab and w.isalpha() and len(w) > 3]


def load_world():
    import yaml

    topics = yaml.safe_load((DATA_DIR / "stance_topics.yaml").read_text(encoding="utf-8"))
    actors = []
    for line in (DATA_DIR / "actors.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            name, kind, pron = line.split("|")
            actors.append((name, kind, pron))
    return topics, actors


def _surface(name: str, kind: str, rng: random.Random) -> str:
    if kind == "person" and rng.random() < 0.7:
        return name.split()[-1]
    return name


def _poss(pron: str) -> str:
    return {"he": "his", "she": "her"}.get(pron, "its")


def template_examples(n: int, vocab: set[str], rng: random.Random) -> list[dict]:
    topics, actors = load_world()
    pos_words = _lexicon("positive-words.txt", vocab) or VERB_POS_ADJ
    neg_words = _lexicon("negative-words.txt", vocab) or ["bad", "wrong"]
    out = []

    def phrase(topic):
        if topic.get("con") and rng.random() < 0.25:
            return rng.choice(topic["con"]), -1
        return rng.choice(topic["pro"]), +1

    def add(actor, topic, evidence, polarity, kind, x=None):
        label = "neutral" if polarity == 0 else ("favor" if polarity > 0 else "against")
        out.append({"actor": actor, "topic": topic["name"], "description": topic["description"],
                    "evidence": evidence, "stance": label, "source": kind, "phrase": x})

    def fill(t, a, kind, pron, x, b="", y=""):
        s = t.format(A=_surface(a, kind, rng), P=pron, Q=_poss(pron), X=x, XC=x[0].upper() + x[1:], B=b, Y=y,
                     POS=f"a {rng.choice(pos_words)} idea", NEG=f"{rng.choice(neg_words)}")
        return s[0].upper() + s[1:]

    while len(out) < n:
        topic = rng.choice(topics)
        a, kind, pron = rng.choice(actors)
        b = rng.choice([x for x in actors if x[0] != a])
        x, xpol = phrase(topic)
        r = rng.random()
        if r < 0.40:
            pol, t = rng.choice(SENTENCE_TEMPLATES)
            add(a, topic, fill(t, a, kind, pron, x), pol * xpol, "template", x)
        elif r < 0.62:
            pol, t = rng.choice(QUOTE_TEMPLATES)
            ev = fill(t, a, kind, pron, x)
            if rng.random() < 0.3:  # the quote with its attribution
                ev = f"“{ev},” {_surface(a, kind, rng)} said."
            add(a, topic, ev, pol * xpol, "template-quote", x)
        elif r < 0.72:
            pol, t = rng.choice(ENDORSE_TEMPLATES)
            add(a, topic, fill(t, a, kind, pron, x, b=_surface(b[0], b[1], rng)), pol * xpol, "template-endorse", x)
        elif r < 0.82:
            other = rng.choice([t for t in topics if t is not topic])
            y, ypol = phrase(other)
            (px, py), t = rng.choice(TWO_TOPIC_TEMPLATES)
            ev = fill(t, a, kind, pron, x, y=y)
            add(a, topic, ev, px * xpol, "template-two-topics", x)
            add(a, other, ev, py * ypol, "template-two-topics", y)
        elif r < 0.90:
            (pa, pb), t = rng.choice(TWO_ACTOR_TEMPLATES)
            ev = fill(t, a, kind, pron, x, b=_surface(b[0], b[1], rng))
            add(a, topic, ev, pa * xpol, "template-two-actors", x)
            add(b[0], topic, ev, pb * xpol, "template-two-actors", x)
        else:  # evidence about another topic: neutral on this one
            other = rng.choice([t for t in topics if t is not topic])
            y, _ = phrase(other)
            pol, t = rng.choice(SENTENCE_TEMPLATES + QUOTE_TEMPLATES)
            add(a, topic, fill(t, a, kind, pron, y), 0, "template-off-topic", x)
    return out


# Sentences around a template's evidence, for a model that reads the paragraph context: framing
# that names the topic without taking a side, another actor's position on it, the same actor on
# another topic. The label stays the evidence's: the context must not decide it on its own.
CONTEXT_FRAMES = [
    "Asked whether {B} would commit to {X}, {A} answered at length.",
    "Reporters asked {A} about {X} at the end of the press conference.",
    "The debate on {X} dominated the session on Thursday.",
    "{XC} has been on the agenda for months.",
    "Supporters and critics of {X} packed the hall.",
    "{A} spoke after a meeting with {B}.",
]


def add_template_contexts(examples: list[dict], rng: random.Random, share: float = 0.6) -> None:
    """Give `share` of the template examples a paragraph context (in place): a synthetic paragraph
    of the evidence and one or two sentences from CONTEXT_FRAMES, another actor's stance on the
    same topic (either side) or the actor's stance on another topic, cut as
    dashboard.stance.evidence_context cuts a real one. A bare quote gets its attribution."""
    from dashboard.stance import evidence_context

    topics, actors = load_world()
    kind_of = {n: k for n, k, _ in actors}
    for e in examples:
        if not e["source"].startswith("template") or not e.get("phrase") or rng.random() >= share:
            continue
        x = e["phrase"]
        kind = kind_of.get(e["actor"], "organisation")
        a = _surface(e["actor"], kind, rng)
        b_name, b_kind, b_pron = rng.choice([t for t in actors if t[0] != e["actor"]
                                             and t[0].split()[-1] not in e["evidence"]])
        b = _surface(b_name, b_kind, rng)

        def sentence():
            r = rng.random()
            if r < 0.45:
                s = rng.choice(CONTEXT_FRAMES).format(A=a, B=b, X=x, XC=x[0].upper() + x[1:])
            elif r < 0.8:  # another actor's position on the same topic, either side
                s = rng.choice(SENTENCE_TEMPLATES)[1].format(A=b, P=b_pron, Q=_poss(b_pron), X=x)
            else:  # the same actor on another topic
                other = rng.choice([t for t in topics if t["name"] != e["topic"]])
                s = rng.choice(SENTENCE_TEMPLATES)[1].format(A=a, P="they", Q="their", X=rng.choice(other["pro"]))
            return s[0].upper() + s[1:]

        ev = e["evidence"]
        body = f"“{ev},” {a} said." if e["source"] == "template-quote" and not ev.startswith("“") else ev
        parts = [sentence(), body] if rng.random() < 0.7 else [body]
        if rng.random() < 0.4:
            parts.append(sentence())
        if len(parts) > 1 or body != ev:
            e["context"] = evidence_context(" ".join(parts), ev)


def handwritten_examples(extra: list[Path] = ()) -> list[dict]:
    """models/data/stance_handwritten.tsv, plus the `extra` files in the same format."""
    topics, _ = load_world()
    desc = {t["name"]: t["description"] for t in topics}
    out = []
    lines = [l for path in [DATA_DIR / "stance_handwritten.tsv", *extra]
             for l in Path(path).read_text(encoding="utf-8").splitlines()]
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        actor, topic, stance, evidence = line.split("\t")
        assert stance in LAB, line
        out.append({"actor": actor, "topic": topic, "description": desc[topic], "evidence": evidence.strip('"'),
                    "stance": stance, "source": "handwritten"})
    return out


def sentence_view(paragraph_text: str, evidence: str) -> str:
    """The whole sentence(s) of the paragraph that contain `evidence` (the text a stance
    candidate of the pipeline carries when the evidence is a clause or a short quote)."""
    from dashboard.ingest import sentence_spans

    i = paragraph_text.find(evidence)
    if i < 0:
        return evidence
    j = i + len(evidence)
    spans = [(a, b) for a, b in sentence_spans(paragraph_text) if a < j and i < b]
    return paragraph_text[spans[0][0]:spans[-1][1]].strip() if spans else evidence


def dev_examples(split: str, sentence_views: bool = False, context: bool = False,
                 exclude: tuple[str, ...] = (), stories: bool = False) -> list[dict]:
    """Gold stance items of the dev split: (actor, topic, description, evidence, stance, article).
    `exclude`: fnmatch patterns of article names to leave out (e.g. "c4[3-9]").
    `stories`: also the story articles of the split (tests/data/dev/stories), each item with
    the description from its story's own topic list.
    `sentence_views`: each item whose evidence is a clause or a quote also appears with its whole
    sentence as the evidence (same label; source "dev-sentence"), as the pipeline's candidates
    often carry it. `context`: each item also carries its paragraph context
    (dashboard.stance.evidence_context)."""
    from dashboard.devset import load_dev, load_stories, matches, topic_descriptions
    from dashboard.stance import evidence_context

    out = []
    for d in load_dev(split) + (load_stories(split) if stories else []):
        if matches(d.name, exclude):
            continue
        desc = topic_descriptions(d.topics_file)
        for s in d.gold.get("stances", []):
            para = d.article.paragraphs[int(s["paragraph_index"])].text
            item = {"actor": s["actor"], "topic": s["topic"], "description": desc.get(s["topic"], ""),
                    "evidence": s["evidence"], "stance": s["stance"], "form": s.get("form", ""),
                    "article": d.name, "paragraph": int(s["paragraph_index"]), "source": "dev",
                    "context": evidence_context(para, s["evidence"]) if context else ""}
            out.append(item)
            if sentence_views:
                view = sentence_view(para, s["evidence"])
                if view != s["evidence"].strip():
                    out.append({**item, "evidence": view, "source": "dev-sentence",
                                "context": evidence_context(para, view) if context else ""})
    return out


# ---- training -------------------------------------------------------------------------------

def _items(examples):
    """Model inputs: (actor, topic, description, evidence, paragraph context; "" when none)."""
    return [(e["actor"], e["topic"], e["description"], e["evidence"], e.get("context", "")) for e in examples]


def precompute(encoder, head_branch: int, examples, batch_size: int = 64):
    """Frozen bottom layers once per example: [(hidden (tokens, dim), label)] (padding removed)."""
    from dashboard.stance import branch_hidden, encode_pairs

    out = []
    for s in range(0, len(examples), batch_size):
        chunk = examples[s:s + batch_size]
        enc = encode_pairs(encoder.tokenizer, _items(chunk))
        hidden = branch_hidden(encoder.model, enc, head_branch)
        lens = enc["attention_mask"].sum(1).tolist()
        for i, e in enumerate(chunk):
            out.append((hidden[i, :lens[i]].clone(), LAB[e["stance"]]))
    return out


def train_head(encoder, train_feats, *, epochs: int, lr: float, batch_size: int = 32, seed: int = SEED,
               n_top: int = N_TOP, init: dict | None = None, log=print):
    import torch

    from .heads import TopLayersClassifier

    torch.manual_seed(seed)
    head = TopLayersClassifier(encoder.model, n_top, LABELS)
    if init:
        head.load_state_dict(init, strict=False)
    head.train()
    params = [{"params": head.layers.parameters(), "lr": lr}, {"params": head.classifier.parameters(), "lr": lr * 10}]
    opt = torch.optim.AdamW(params, weight_decay=0.01)
    steps = epochs * ((len(train_feats) + batch_size - 1) // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[lr, lr * 10], total_steps=steps, pct_start=0.1)
    counts = np.bincount([y for _, y in train_feats], minlength=3).astype(np.float32)
    weight = torch.tensor(counts.sum() / (3 * np.maximum(counts, 1)), dtype=torch.float32)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight, label_smoothing=0.05)
    rng = random.Random(seed)
    for ep in range(epochs):
        idx = list(range(len(train_feats)))
        rng.shuffle(idx)
        # bucket by length for speed: sort within chunks of 20 batches
        chunks = [sorted(idx[i:i + batch_size * 20], key=lambda j: train_feats[j][0].shape[0])
                  for i in range(0, len(idx), batch_size * 20)]
        batches = [c[i:i + batch_size] for c in chunks for i in range(0, len(c), batch_size)]
        rng.shuffle(batches)
        total, t0 = 0.0, time.perf_counter()
        for b in batches:
            hs = [train_feats[j][0] for j in b]
            L = max(h.shape[0] for h in hs)
            hidden = torch.zeros(len(b), L, hs[0].shape[1])
            mask = torch.zeros(len(b), L, dtype=torch.long)
            for i, h in enumerate(hs):
                hidden[i, :h.shape[0]] = h
                mask[i, :h.shape[0]] = 1
            y = torch.tensor([train_feats[j][1] for j in b])
            loss = loss_fn(head.logits_from_branch(hidden, mask), y)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(head.parameters(), 1.0)
            opt.step()
            sched.step()
            total += loss.item() * len(b)
        log(f"  epoch {ep + 1}/{epochs}: loss {total / len(train_feats):.4f} ({time.perf_counter() - t0:.0f}s)")
    head.eval()
    return head


def sentiment_stage1() -> Path:
    """The sentiment trainer's stage 1 head (tweets only, its default settings), trained and
    cached first when it is missing (about 35 minutes on 2 cores; `models.train sentiment` caches
    the same file)."""
    from . import train_sentiment as ts

    path = ts.stage1_path(ts.parse_args([]))
    if not path.exists():
        print(f"{path} is missing: training the sentiment stage 1 on the tweets first")
        ts.main(["--news-epochs", "0", "--news-mix", "0", "--out", ""])
    return path


def init_state(path: Path, num_layers: int, n_top: int, classifier: bool = True) -> dict:
    """A sentiment head's parameters renamed for a stance head of `n_top` layers.

    The sentiment head fine-tunes the top k layers (its `layers.j` is encoder layer
    num_layers - k + j); the stance head's `layers.i` is encoder layer num_layers - n_top + i.
    The label orders match: (negative, neutral, positive) -> (against, neutral, favor)."""
    import torch

    from .heads import TopLayersClassifier

    if path.suffix == ".safetensors":
        meta, state = TopLayersClassifier.read_saved(path)
        k = int(meta["n_top"])
    else:
        state = torch.load(path, map_location="cpu", weights_only=True)
        k = 1 + max(int(n.split(".")[1]) for n in state if n.startswith("layers."))
    if k > n_top:
        raise ValueError(f"{path.name} fine-tunes {k} layers; the stance head has only {n_top}")
    out = {}
    for n, v in state.items():
        if n.startswith("layers."):
            _, j, rest = n.split(".", 2)
            out[f"layers.{n_top - k + int(j)}.{rest}"] = v
        elif classifier and n.startswith("classifier."):
            out[n] = v
    return out


def accuracy(head, encoder, examples) -> tuple[float, list[str]]:
    from dashboard.stance import predict_head

    if not examples:
        return float("nan"), []
    probs = predict_head(head, encoder, _items(examples))
    pred = [LABELS[i] for i in probs.argmax(1)]
    return float(np.mean([p == e["stance"] for p, e in zip(pred, examples)])), pred


def main(argv: list[str] | None = None):
    ap = argparse.ArgumentParser(prog="python -m models.train stance", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cv", type=int, default=0, help="K-fold CV over the dev train articles first (0 = skip)")
    ap.add_argument("--cv-only", action="store_true", help="stop after the cross-validation (choosing settings)")
    ap.add_argument("--errors", action="store_true", help="list the held-out misses (never for tuning)")
    ap.add_argument("--hand-extra", type=Path, action="append", default=[],
                    help="more hand-written examples (e.g. models/data/stance_handwritten_batch2.tsv; not in the default)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--templates", type=int, default=400, help="how many template examples")
    ap.add_argument("--dev-weight", type=int, default=4, help="repeat each dev train item this many times")
    ap.add_argument("--sentence-views", action=argparse.BooleanOptionalAction, default=True,
                    help="also train on each dev item's whole sentence as its evidence, as the pipeline's "
                         "candidates carry it (default: on)")
    ap.add_argument("--context", action=argparse.BooleanOptionalAction, default=True,
                    help="give the model the paragraph around the evidence after the evidence "
                         "(dev items; templates and hand-written examples have none; default: on)")
    ap.add_argument("--template-context", type=float, default=0.0,
                    help="with --context: the share of template examples given a synthetic paragraph "
                         "context (framing, another actor's position, the actor on another topic; 0 = none)")
    ap.add_argument("--stories", action="store_true",
                    help="also train on the story articles (tests/data/dev/stories), each with its own topic list")
    ap.add_argument("--exclude", default="",
                    help="dev train articles to leave out: comma-separated name patterns, e.g. "
                         "'c4[3-9],c50' (the committed weights leave out the seventh and eighth sessions' 48; see the card)")
    ap.add_argument("--seed", type=int, default=SEED,
                    help="the training run's seed (shuffling, dropout); the examples do not change")
    ap.add_argument("--members", type=int, default=1,
                    help="train this many heads alike, with seeds --seed, --seed + 1, ..., and save their "
                         "ensemble (mean probabilities; 4-bit deltas from the base encoder, models.heads."
                         "HeadEnsemble); 1 = one head, fp16 (the CV always trains single heads)")
    ap.add_argument("--hand-weight", type=int, default=3, help="repeat each hand-written example this many times")
    ap.add_argument("--n-top", type=int, default=N_TOP, help="how many top encoder layers to fine-tune")
    ap.add_argument("--init-from", default=INIT_DEFAULT,
                    help="start from a trained sentiment head, its top layers and classifier "
                         "(negative/neutral/positive -> against/neutral/favor): a .pt or .safetensors path, "
                         f"'{INIT_DEFAULT}' (default: the sentiment trainer's tweet-only stage 1, trained "
                         "and cached first if missing) or 'none' (start from the base encoder)")
    ap.add_argument("--init-classifier", action=argparse.BooleanOptionalAction, default=True,
                    help="with --init-from: also start from its classifier")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--fold-dir", type=Path, default=None,
                    help="with --cv: save each fold's model (foldK.safetensors) and the folds (folds.json) here")
    ap.add_argument("--report", type=Path, default=None, help="write the metrics as JSON here")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(2)
    from dashboard.devset import name_patterns
    from dashboard.stance import CONTEXT_INPUT, EVIDENCE_INPUT

    from .encoder import Encoder
    from .heads import HeadEnsemble

    t_start = time.perf_counter()
    rng = random.Random(SEED)
    encoder = Encoder()
    vocab = set(encoder.tokenizer.get_vocab())
    templ = template_examples(args.templates, vocab, rng)
    if args.context and args.template_context:
        add_template_contexts(templ, random.Random(SEED + 1), args.template_context)
    hand = handwritten_examples(args.hand_extra)
    exclude = name_patterns(args.exclude)
    dev_all = dev_examples("train", sentence_views=args.sentence_views, context=args.context, exclude=exclude,
                           stories=args.stories)
    dev_train = [e for e in dev_all if e["source"] == "dev"]  # the gold items (what is scored)
    dev_held = dev_examples("heldout", context=args.context)
    input_format = CONTEXT_INPUT if args.context else EVIDENCE_INPUT  # saved in the weights' metadata
    print(f"examples: {len(templ)} template, {len(hand)} hand-written, {len(dev_train)} dev train "
          f"({len({e['article'] for e in dev_train})} articles), {len(dev_held)} dev held-out (report only)")
    branch = encoder.num_layers - args.n_top
    t0 = time.perf_counter()
    f_templ = precompute(encoder, branch, templ)
    f_hand = precompute(encoder, branch, hand)
    f_all = precompute(encoder, branch, dev_all)

    # each gold item counts dev_weight times; an item with a sentence view splits that between its two views
    views = Counter((e["article"], e["paragraph"], e["actor"], e["topic"]) for e in dev_all)
    reps = [max(1, args.dev_weight // views[(e["article"], e["paragraph"], e["actor"], e["topic"])]) for e in dev_all]

    def dev_feats(skip: set[str] = frozenset()) -> list:
        """The dev features repeated as `reps` says, leaving out the articles in `skip`."""
        return [f for f, e, r in zip(f_all, dev_all, reps) if e["article"] not in skip for _ in range(r)]

    print(f"frozen layers precomputed in {time.perf_counter() - t0:.0f}s")
    init = None
    if args.init_from != "none":
        src = sentiment_stage1() if args.init_from == INIT_DEFAULT else Path(args.init_from).expanduser()
        init = init_state(src, encoder.num_layers, args.n_top, args.init_classifier)
        print(f"initial layers{' and classifier' if args.init_classifier else ''} from {src}")
    base = f_templ + f_hand * args.hand_weight
    metrics: dict = {"n_template": len(templ), "n_handwritten": len(hand), "n_dev_train": len(dev_train),
                     "n_dev_heldout": len(dev_held), "n_top": args.n_top, "epochs": args.epochs, "lr": args.lr,
                     "context": args.context}

    if args.cv:
        arts = sorted({e["article"] for e in dev_train})
        random.Random(SEED).shuffle(arts)
        folds = [set(arts[i::args.cv]) for i in range(args.cv)]
        correct, n = 0, 0
        per_fold = []
        if args.fold_dir:
            args.fold_dir.mkdir(parents=True, exist_ok=True)
            (args.fold_dir / "folds.json").write_text(json.dumps([sorted(f) for f in folds]))
        for k, fold in enumerate(folds):
            tr = dev_feats(fold)
            te = [e for e in dev_train if e["article"] in fold]
            print(f"CV fold {k + 1}/{args.cv}: {len(te)} items from {sorted(fold)}")
            head = train_head(encoder, base + tr, epochs=args.epochs, lr=args.lr, n_top=args.n_top, init=init,
                              seed=args.seed)
            acc, _ = accuracy(head, encoder, te)
            if args.fold_dir:
                head.save(args.fold_dir / f"fold{k}.safetensors",
                          {"task": "stance", "fold": str(k), "input": input_format})
            per_fold.append(round(acc, 4))
            correct += round(acc * len(te))
            n += len(te)
            print(f"  fold accuracy {acc:.3f}")
        metrics["cv_folds"] = per_fold
        metrics["cv_accuracy"] = round(correct / max(n, 1), 4)
        print(f"CV accuracy over {n} dev train items: {metrics['cv_accuracy']:.3f}")
        if args.cv_only:
            print(json.dumps(metrics))
            return metrics

    print("final model: all training data" + (f", {args.members} members" if args.members > 1 else ""))
    heads = []
    for j in range(args.members):
        heads.append(train_head(encoder, base + dev_feats(), epochs=args.epochs, lr=args.lr, n_top=args.n_top,
                                init=init, seed=args.seed + j))
        if args.members > 1:
            print(f"  member {j + 1} (seed {args.seed + j}): held-out accuracy "
                  f"{accuracy(heads[-1], encoder, dev_held)[0]:.3f}")
    head = heads[0] if args.members == 1 else HeadEnsemble(heads)
    acc_train, _ = accuracy(head, encoder, dev_train)
    acc_held, pred = accuracy(head, encoder, dev_held)
    metrics.update({"dev_train_accuracy": round(acc_train, 4), "heldout_accuracy": round(acc_held, 4)})
    print(f"dev train accuracy (seen) {acc_train:.3f}; held-out accuracy {acc_held:.3f} on {len(dev_held)} items")
    for p, e in zip(pred, dev_held):
        if args.errors and p != e["stance"]:
            print(f"  miss [{e['form']}] {e['actor']} / {e['topic']}: gold {e['stance']}, got {p}: {e['evidence'][:100]}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"task": "stance", "input": input_format, "base": encoder.spec.name_or_path, "heldout_accuracy": acc_held}
    if args.members > 1:
        head.save(args.out, {**meta, "seeds": ",".join(str(args.seed + j) for j in range(args.members))},
                  encoder.float_model)
        saved_acc = accuracy(HeadEnsemble.load(args.out, encoder.float_model), encoder, dev_held)[0]
        metrics["heldout_accuracy_saved"] = round(saved_acc, 4)
        print(f"held-out accuracy of the saved (4-bit) ensemble {saved_acc:.3f}")
    else:
        head.save(args.out, meta)
    args.out.chmod(0o644)  # a committed file: readable by everyone
    metrics["seconds"] = round(time.perf_counter() - t_start, 1)
    metrics["size_mb"] = round(args.out.stat().st_size / 1e6, 2)
    print(f"saved {args.out} ({metrics['size_mb']} MB) in {metrics['seconds']}s")
    if args.report:
        args.report.write_text(json.dumps(metrics, indent=2))
    return metrics


if __name__ == "__main__":
    main()
