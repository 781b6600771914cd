"""Stance: (actor, topic) -> favor / against / neutral, with the evidence."""
from __future__ import annotations

import pandas as pd

from . import schema


class StanceModel:
    @classmethod
    def load(cls, encoder, registry):
        return cls()


def stance_table(articles, tables: dict, engine) -> pd.DataFrame:
    return pd.DataFrame(columns=schema.STANCE_STORE_COLUMNS)
