import io

import pandas as pd

from dashboard.exports import export_frame, to_csv_bytes, to_excel_bytes


def _quotes():
    return pd.DataFrame([{"article_id": "a1", "source_file": "=HYPERLINK(\"x\").txt", "paragraph_index": 2,
                          "speaker": "Anika Rhos", "quote": "-we will not", "sentiment": "negative",
                          "topics": ["Sanctions", "Military aid"], "cue": "said"}])


def test_exports_list_cells_joined_and_columns_fixed():
    out = export_frame(_quotes(), "quotes")
    assert list(out.columns) == ["article_id", "source_file", "paragraph_index", "speaker", "quote", "sentiment", "topics"]
    assert out.loc[0, "topics"] == "Sanctions; Military aid"


def test_exports_defuse_spreadsheet_formulas_in_text_only():
    out = export_frame(_quotes(), "quotes")
    assert out.loc[0, "source_file"].startswith("'=HYPERLINK")
    assert out.loc[0, "quote"] == "'-we will not"
    stances = pd.DataFrame([{"article_id": "a", "source_file": "f.txt", "paragraph_index": 0, "actor": "X",
                             "topic": "T", "stance": "against", "confidence": -0.5, "evidence": "e"}])
    assert export_frame(stances, "stances").loc[0, "confidence"] == -0.5


def test_exports_csv_and_excel_round_trip():
    back = pd.read_csv(io.BytesIO(to_csv_bytes(_quotes(), "quotes")))
    assert back.loc[0, "speaker"] == "Anika Rhos"
    xl = pd.read_excel(io.BytesIO(to_excel_bytes(_quotes(), "quotes")))
    assert xl.loc[0, "topics"] == "Sanctions; Military aid"
