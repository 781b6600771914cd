"""Issue 7, the CLI: `python -m dashboard score` exits 0 when at least one file was stored and 2
when none was; every failure is in the --json summary's `errors` with its one-line reason; no
traceback reaches the user. One subprocess scores a 100-file batch holding every bad input."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from test_ingest_bad_inputs import bad_batch, good_text
from test_store_crash import ROOT, check_store, fake_tables, scoring_env

from dashboard import ingest
from dashboard.__main__ import main

BIG_REASON = "the file is 50.0 MB; files must be smaller than 50 MB"


def _json(capsys) -> dict:
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1, out
    return json.loads(out[0])


def _write_bad_folder(folder) -> dict[str, str]:
    """The rejected inputs on disk; returns file name -> expected reason prefix."""
    folder.mkdir()
    expected = {}
    for name, data, status in bad_batch():
        if status == "rejected":
            (folder / name).write_bytes(data)
            with pytest.raises(ingest.IngestError) as info:
                ingest.read_document(name, data)
            expected[name] = str(info.value)
    with open(folder / "big.txt", "wb") as f:  # sparse: 50 MB on paper, nothing on disk
        f.truncate(ingest.MAX_BYTES)
    expected["big.txt"] = BIG_REASON
    return expected


def test_cli_no_file_stored_exits_2_and_lists_every_failure(tmp_path, capsys):
    expected = _write_bad_folder(tmp_path / "bad")
    (tmp_path / "nothing").mkdir()
    rc = main(["score", str(tmp_path / "bad"), str(tmp_path / "missing.txt"), str(tmp_path / "nothing"),
               "--store", str(tmp_path / "store"), "--json"])
    summary = _json(capsys)
    assert rc == 2
    errors = {os.path.basename(e["file"]): e["error"] for e in summary["errors"]}
    assert errors == {**expected, "missing.txt": "no such file or folder",
                      "nothing": "no .txt, .md, .html, .htm, .pdf, .docx files in this folder"}
    assert summary["added"] == summary["known"] == 0
    assert {f["status"] for f in summary["files"]} == {"rejected"} and len(summary["files"]) == len(errors)
    assert not (tmp_path / "store" / "manifest.json").exists()


def test_cli_text_mode_one_line_per_failure_and_exit_2(tmp_path, capsys):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "evil\x1b[2J\x07.txt").write_bytes(b"\x00\x01\x02" * 100)
    rc = main(["score", str(tmp_path / "empty.txt"), str(tmp_path / "evil\x1b[2J\x07.txt"),
               "--store", str(tmp_path / "store")])
    out, err = capsys.readouterr()
    assert rc == 2
    assert "  rejected empty.txt: the file is empty" in out.splitlines()
    assert "  rejected evil[2J.txt: the file looks like binary data, not text" in out.splitlines()
    assert "\x1b" not in out and "\x07" not in out and "Traceback" not in err


def test_cli_unexpected_error_is_one_line_not_a_traceback(tmp_path, capsys, monkeypatch):
    (tmp_path / "a.txt").write_text("The council met on Monday.")

    def broken(*args, **kwargs):
        raise KeyError("something internal")

    monkeypatch.setattr("dashboard.pipeline.score_paths", broken)
    assert main(["score", str(tmp_path / "a.txt"), "--store", str(tmp_path / "s")]) == 2
    out, err = capsys.readouterr()
    assert err.strip().splitlines() == [
        "error: internal error (KeyError: 'something internal'); set STANCEWATCH_DEBUG=1 to see where"]
    assert main(["score", str(tmp_path / "a.txt"), "--store", str(tmp_path / "s"), "--json"]) == 2
    summary = _json(capsys)
    assert summary["errors"][0]["error"].startswith("internal error (KeyError")


def test_cli_an_article_the_models_choke_on_costs_only_itself(tmp_path, capsys, monkeypatch):
    """Scoring fails for one article: the others are stored, that file gets the reason; when
    every article fails alike (a model that cannot load) the run says so in one line, exit 2."""
    def fake_score(articles, engine, report=None, progress=None):
        if any("POISON" in a.text for a in articles):
            raise ValueError("the model choked")
        tables = fake_tables([a.article_id for a in articles], version=engine.version)
        return tables

    monkeypatch.setattr("dashboard.pipeline.score_articles", fake_score)
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        (folder / f"good_{i}.txt").write_text(good_text(i))
    (folder / "poison.txt").write_text("The POISON article.")
    assert main(["score", str(folder), "--store", str(tmp_path / "store"), "--json"]) == 0
    summary = _json(capsys)
    assert summary["added"] == 3
    assert summary["errors"] == [{"file": "poison.txt", "error": "scoring failed (ValueError: the model choked)"}]
    assert [f["status"] for f in summary["files"]] == ["added", "added", "added", "failed"]

    (folder / "poison2.txt").write_text("Another POISON article.")
    for f in folder.glob("good_*"):
        f.unlink()
    assert main(["score", str(folder), "--store", str(tmp_path / "store2"), "--json"]) == 2
    assert _json(capsys)["errors"] == [{"file": "", "error": "the model choked"}]


def test_cli_batch_of_100_files_with_every_bad_input(tmp_path):
    """The real engine on 100 files: the bad inputs of the issue, good files in odd encodings
    and names, a duplicate, and tiny articles; exit 0, each failure listed with its reason."""
    folder = tmp_path / "in"
    expected_errors = _write_bad_folder(folder)
    good = {name: data for name, data, status in bad_batch() if status in ("added", "duplicate")}
    for name, data in good.items():
        (folder / name).write_bytes(data)
    (folder / "ctrl\x1b[31m\nname.txt").write_bytes(good_text(1000).encode())
    n = len(list(folder.iterdir()))
    for i in range(100 - n):
        (folder / f"tiny_{i:03d}.txt").write_bytes(good_text(i).encode())
    assert len(list(folder.iterdir())) == 100
    store = tmp_path / "store"
    run = subprocess.run([sys.executable, "-m", "dashboard", "score", str(folder), "--store", str(store), "--json"],
                         cwd=ROOT, env=scoring_env(), capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    errors = {os.path.basename(e["file"]): e["error"] for e in summary["errors"]}
    assert errors == expected_errors
    statuses = {f["file"]: f["status"] for f in summary["files"]}
    assert len(summary["files"]) == 100
    assert statuses["good_copy.txt"] == "duplicate" and statuses["good.txt"] == "added"
    assert statuses["ctrl[31mname.txt"] == "added"
    for name in ("latin1.txt", "utf16.txt", "hostile.html", "report.pdf", "Статья о выборах.txt", "新闻报道.md"):
        assert statuses[name] == "added", name
    n_added = sum(s == "added" for s in statuses.values())
    assert summary["added"] == n_added == 100 - len(expected_errors) - 1
    ids = check_store(store, {})
    assert len(ids) == n_added
    # uploaded / on-disk names are data, never paths: the store holds only its own names
    for path in store.rglob("*"):
        rel = path.relative_to(store).parts
        assert rel[0] in ("manifest.json", ".lock", "segments"), rel
        if len(rel) == 3:
            assert rel[2].endswith(".parquet")

    # the same folder again, in text mode: everything is known, nothing is scored, exit 0
    again = subprocess.run([sys.executable, "-m", "dashboard", "score", str(folder), "--store", str(store)],
                           cwd=ROOT, env=scoring_env(), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    lines = again.stdout.splitlines()
    assert lines[0].startswith(f"{n_added} articles") and " 0 scored" in lines[0]
    assert "  duplicate good_copy.txt: the same article as good.txt, earlier in this batch" in lines
    assert "  rejected empty.txt: the file is empty" in lines
    assert not any("\x1b" in line for line in lines)
