"""Topics: the topics file, assignment from the shared pass's embeddings (real embedded model),
and re-assignment from stored embeddings after the topic list changes."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dashboard.topics import Topic, TopicModel, TopicsFileError, assign_topics, load_topics, parse_topics

# a topic list the model was never calibrated or trained on
TOPICS = [
    Topic("School meals", "Governments paying for free lunches for pupils in state schools."),
    Topic("Space exploration", "Sending rockets, probes and astronauts to the Moon, Mars and beyond."),
    Topic("Fishing quotas", "Limits on how many fish each country's boats may catch at sea."),
]


@pytest.fixture(scope="module")
def encoder(engine_factory, tmp_path_factory):
    return engine_factory(tmp_path_factory.mktemp("topics_store")).encoder


def make_tables(encoder, articles: dict[str, list[str]]) -> dict[str, pd.DataFrame]:
    """paragraphs / sentences / quotes tables as the pipeline builds them (one sentence per line)."""
    paras, sents = [], []
    for aid, blocks in articles.items():
        for pi, block in enumerate(blocks):
            lines = block.split("\n")
            emb = encoder.embed(lines)
            pe = emb.mean(0)
            paras.append({"article_id": aid, "paragraph_index": pi, "source_file": f"{aid}.txt", "text": " ".join(lines),
                          "topics": [], "topic_scores": "{}", "embedding": pe / np.linalg.norm(pe)})
            start = 0
            for si, (line, e) in enumerate(zip(lines, emb)):
                sents.append({"article_id": aid, "paragraph_index": pi, "sentence_index": si, "start": start,
                              "end": start + len(line), "text": line, "embedding": e})
                start += len(line) + 1
    quotes = pd.DataFrame([{"article_id": "a1", "paragraph_index": 1, "sentence_index": 1, "speaker": "Jo Park",
                            "quote": "Astronauts will walk on Mars", "topics": []}])
    return {"paragraphs": pd.DataFrame(paras), "sentences": pd.DataFrame(sents), "quotes": quotes}


def test_topics_file_parse_and_errors(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text("- name: Rent control\n  description: Capping rents.\n  keywords: rent cap, rent freeze\n")
    assert load_topics(f) == [Topic("Rent control", "Capping rents.", ("rent cap", "rent freeze"))]
    assert load_topics(tmp_path / "missing.yaml") == []
    with pytest.raises(TopicsFileError, match="topic 1 has no name"):
        parse_topics([{"description": "x"}])
    with pytest.raises(TopicsFileError, match="appears twice"):
        parse_topics([{"name": "A"}, {"name": "A"}])
    with pytest.raises(TopicsFileError, match="expected a list"):
        parse_topics({"name": "A"})


def test_topics_default_file_has_the_seed_domain():
    from dashboard.pipeline import DEFAULT_TOPICS

    topics = load_topics(DEFAULT_TOPICS)
    assert len(topics) == 7 and all(t.description.endswith(".") for t in topics)
    names = " ".join(t.name for t in topics).lower()
    for word in ("ceasefire", "security guarantees", "nato", "minerals", "military aid", "european defence",
                 "sanctions"):
        assert word in names


def test_topics_assign_unseen_topic_list(encoder):
    tables = make_tables(encoder, {
        "a1": ["The council will pay for free lunches for every pupil from September.\n"
               "Head teachers said hungry children cannot learn.",
               "The agency launched a probe towards Mars on Tuesday.\nAstronauts will walk on Mars",
               "Fishing boats may catch a third less cod next year under the new quota.\n"
               "The schools minister also promised free breakfasts for pupils."],
    })
    assign_topics(tables, TopicModel(encoder, TOPICS))
    p = tables["paragraphs"]
    assert list(p["topics"]) == [["School meals"], ["Space exploration"], ["School meals", "Fishing quotas"]]
    scores = json.loads(p["topic_scores"][1])
    assert set(scores) == {t.name for t in TOPICS}
    assert max(scores, key=scores.get) == "Space exploration"
    assert list(tables["quotes"]["topics"]) == [["Space exploration"]]


def test_topics_empty_list_assigns_nothing(encoder):
    tables = make_tables(encoder, {"a1": ["Nothing to see.", "Still nothing.\nReally"]})
    assign_topics(tables, TopicModel(encoder, []))
    assert list(tables["paragraphs"]["topics"]) == [[], []]
    assert list(tables["paragraphs"]["topic_scores"]) == ["{}", "{}"]


def test_topics_lexical_cue_spells_out_the_name_or_a_keyword():
    """A paragraph that names a topic ("fishing quotas", "quota for cod") needs a lower score;
    one generic word of a long name is not enough, and nothing lexical is assigned below it."""
    model = TopicModel(encoder=None, topics=TOPICS + [Topic("Public healthcare funding", "More money for hospitals.",
                                                            ("nurses",))])
    lex = model.lexical("Ministers agreed new fishing quotas for the North Sea; the quota for cod falls.")
    assert lex.tolist() == [False, False, True, False]
    # "public" and "funding" (two of three name words) spell it out; "funding" alone does not; a keyword does
    assert model.lexical("More public funding was promised.")[3]
    assert not model.lexical("Funding for the space agency was cut.")[3]
    assert model.lexical("Nurses marched on the capital.")[3]
    scores = np.array([0.2, 0.1, 0.3, 0.1], dtype=np.float32)
    local = np.zeros(4, dtype=np.float32)
    spelled = np.array([True, False, False, False])
    assert model.select(scores, local, lexical=spelled, lexical_min=0.15) == ["Fishing quotas", "School meals"]
    assert model.select(scores, local, lexical=spelled, lexical_min=0.25) == ["Fishing quotas"]
    assert model.select(scores, local) == ["Fishing quotas"]


def test_topics_quote_over_two_sentences_takes_the_topics_of_both(encoder):
    """A quote whose first sentence says nothing topical ("Not on my watch.") is about what its
    next sentence is about, not whatever topic its first sentence happens to be nearest."""
    tables = make_tables(encoder, {"a1": [
        "Fishing boats may catch a third less cod next year under the new quota.",
        "The agency launched a probe towards Mars, and the ministry set new cod quotas for fishing boats.\n"
        "Not on my watch.\nThe rockets will carry astronauts to Mars, she said."]})
    p1 = tables["sentences"][tables["sentences"]["paragraph_index"] == 1]
    start, end = int(p1["start"].iloc[1]), int(p1["end"].iloc[2]) - len(", she said.")
    tables["quotes"] = pd.DataFrame([{"article_id": "a1", "paragraph_index": 1, "sentence_index": 1, "speaker": "Jo Park",
                                      "quote": "Not on my watch. The rockets will carry astronauts to Mars",
                                      "topics": [], "start": start, "end": end}])
    model = TopicModel(encoder, TOPICS)
    assign_topics(tables, model)
    assert set(tables["paragraphs"]["topics"][1]) >= {"Fishing quotas", "Space exploration"}
    # the first sentence alone is nearest to fishing (0.14 against 0.09)
    sims = model.similarity(encoder.embed(["Not on my watch."]))[0]
    assert sims[2] > sims[1]
    assert list(tables["quotes"]["topics"]) == [["Space exploration"]]


def test_topics_combiner_is_committed_and_reads_no_topic_name():
    from dashboard.topics import DEFAULT_COMBINER, FEATURES, Combiner

    comb = Combiner.load(DEFAULT_COMBINER)
    assert comb is not None and len(comb.coef) == len(FEATURES) and 0 < comb.tau < 1
    assert comb.meta["command"].startswith("python -m models.train topics")
    # every feature is computed per (paragraph, topic) from similarities: any list length works
    model = TopicModel(encoder=None, topics=TOPICS[:2], combiner=comb)
    model._emb = [np.eye(4, dtype=np.float32)[:1], np.eye(4, dtype=np.float32)[1:2]]
    feats = model.article_features([np.eye(4, dtype=np.float32)[0]], [np.eye(4, dtype=np.float32)[:1]], ["x"])
    assert feats.shape == (1, 2, len(FEATURES))
    topics, probs = model.assign_article([np.eye(4, dtype=np.float32)[0]], [np.eye(4, dtype=np.float32)[:1]], ["x"])
    assert topics == [["School meals"]] and probs[0, 0] > probs[0, 1]


def test_topics_rule_without_combiner_still_assigns(encoder):
    tables = make_tables(encoder, {"a1": ["The agency launched a probe towards Mars on Tuesday."]})
    assign_topics(tables, TopicModel(encoder, TOPICS, combiner=None))
    assert list(tables["paragraphs"]["topics"]) == [["Space exploration"]]


def test_topics_trainer_fits_a_combiner_that_loads(tmp_path):
    """`python -m models.train topics` on a few dev train articles writes a file the pipeline loads."""
    from dashboard.topics import Combiner
    from models.train import main

    out = tmp_path / "topics.json"
    keep_out = "c[1-9]?,p*,e*"  # leaves the train articles c01-c07: a quick fit
    assert main(["topics", "--exclude", keep_out, "--out", str(out)]) == 0
    comb = Combiner.load(out)
    assert comb.meta["exclude"] == keep_out and "python -m models.train topics --exclude" in comb.meta["command"]
    assert 0.2 <= comb.tau <= 0.65 and np.isfinite(comb.coef).all()


def test_topics_combiner_reproduces_model_card_heldout(encoder):
    import re
    from pathlib import Path

    from dashboard.devset import DEV_TOPICS, load_dev
    from dashboard.eval_stance import encode_dev, topic_f1

    card = (Path(__file__).resolve().parent.parent / "models" / "MODEL_CARD.md").read_text(encoding="utf-8")
    section = card.split("## Topics", 1)[1].split("\n## ", 1)[0]
    m = re.search(r"Held-out topic F1 of the committed combiner: ([01]\.[0-9]+)", section)
    assert m, "models/MODEL_CARD.md ## Topics must state the committed combiner's held-out topic F1"
    devs = load_dev("heldout")
    model = TopicModel(encoder, load_topics(DEV_TOPICS))
    assert model.combiner is not None
    assert topic_f1(model, devs, encode_dev(encoder, devs))["f1"] == pytest.approx(float(m.group(1)), abs=0.02)


def test_poly2_matches_scikit_learn_order():
    from sklearn.preprocessing import PolynomialFeatures

    from dashboard.topics import poly2

    z = np.random.default_rng(0).normal(size=(5, 4))
    assert np.allclose(poly2(z), PolynomialFeatures(2, include_bias=False).fit_transform(z))


def test_normalise_article_ignores_the_level_and_spread_of_similarities():
    """A topic list whose texts sit closer to the articles (keywords, specific names) raises every
    cosine: per-article normalisation makes the combiner read the same inputs."""
    from dashboard.topics import DIFF_FEATURES, FEATURES, LEVEL_FEATURES, normalise_article

    rng = np.random.default_rng(1)
    feats = rng.normal(size=(4, 6, len(FEATURES))).astype(np.float32)
    shifted = feats.copy()
    for name in LEVEL_FEATURES:
        k = FEATURES.index(name)
        shifted[..., k] = 1.7 * feats[..., k] + 0.3
    for name in DIFF_FEATURES:
        k = FEATURES.index(name)
        shifted[..., k] = 1.7 * feats[..., k]
    a, b = normalise_article(feats), normalise_article(shifted)
    assert np.allclose(a, b, atol=1e-4)
    rank = FEATURES.index("combined_rank")
    assert np.array_equal(a[..., rank], feats[..., rank])  # ranks and cues pass unchanged
    assert not np.allclose(a, feats)


@pytest.mark.parametrize("degree,normalise", [(1, True), (2, False), (2, True)])
def test_trained_combiner_file_gives_the_trainers_probabilities(tmp_path, degree, normalise):
    """What the trainer fitted (scalers, products, regression) is what the pipeline applies."""
    from dashboard.topics import FEATURES, Combiner
    from models.train_topics import Fitted, combiner_json

    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 5, len(FEATURES))).astype(np.float32)
    Y = (X[..., 1] + 0.5 * X[..., 0] * X[..., 2] + rng.normal(scale=0.3, size=(40, 5))) > 0.8
    groups = np.repeat(np.arange(8), 5)
    m = Fitted(X, Y, groups, degree, normalise)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(combiner_json(m, 0.4)))  # the file the trainer writes
    comb = Combiner.load(path)
    for g in range(8):  # the pipeline scores one article at a time
        rows = groups == g
        assert np.allclose(comb.probability(X[rows]), m.predict(X[rows], groups[rows]), atol=1e-4)


def test_trainer_blocks_under_other_topic_lists_join_the_fit_and_the_folds():
    """`--stories`: paragraphs under another topic list (another number of topics) are rows of
    the same regression, so a block of the same width gives exactly the fit on the concatenation;
    the tau search pools the out-of-fold F1 over every block."""
    from dashboard.topics import FEATURES
    from models.train_topics import Fitted, choose_tau

    rng = np.random.default_rng(3)

    def block(n, k, tag):
        X = rng.normal(size=(n, k, len(FEATURES))).astype(np.float32)
        Y = (X[..., 0] + rng.normal(scale=0.5, size=(n, k))) > 0.9
        return X, Y, np.repeat([f"{tag}{i}" for i in range(n // 5)], 5)

    a, b, c = block(40, 5, "a"), block(30, 5, "b"), block(30, 3, "c")
    joined = Fitted(np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]]), np.concatenate([a[2], b[2]]))
    more = Fitted(*a, more=(b,))
    assert np.allclose(joined.lr.coef_, more.lr.coef_) and np.allclose(joined.mean, more.mean)
    three = Fitted(*a, more=(b, c))  # three topics in c: its rows still join
    assert three.predict(c[0], c[2]).shape == (30, 3)
    # same width: the same folds and the same pooled F1 as the concatenation
    assert choose_tau([(a[0], a[1])], a[2], more=(b,)) == choose_tau(
        [(np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]]))], np.concatenate([a[2], b[2]]))
    tau, f1 = choose_tau([(a[0], a[1])], a[2], more=(b, c))
    assert 0.2 <= tau <= 0.65 and 0 < f1 <= 1


def test_story_evaluation_scores_each_story_under_its_own_list(capsys):
    """eval_stance --stories: topics of a story article are assigned from its story's list and
    scored against its gold; the stance items are described by that list too."""
    from dashboard.devset import load_stories
    from dashboard.eval_stance import main

    d = load_stories("train")[0]
    story = d.topics_file.parent.name
    assert main(["--stories", "--split", "train", "--names", d.name, "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert list(res["stories"]) == [story] and res["articles"] == 1
    t = res["topics"]
    assert t["tp"] + t["fn"] == sum(len(p["topics"]) for p in d.gold["paragraphs"]) and 0 < t["f1"] <= 1
    assert res["stance"]["items"] == len(d.gold["stances"]) and 0 < res["stance"]["accuracy"] <= 1
    with pytest.raises(SystemExit, match="own topic list"):
        main(["--stories", "--topics", "x.yaml"])
