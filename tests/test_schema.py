"""Every table has exactly its documented columns and dtypes; analyses survive a JSON round trip."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from analysis.pipeline import Analysis
from analysis.schema import TABLES, frame, markdown


@pytest.mark.parametrize("table", list(TABLES))
def test_tables_have_documented_columns_and_dtypes(article_analysis, table) -> None:
    df = getattr(article_analysis, table)
    assert list(df.columns) == [c.name for c in TABLES[table]]
    for col in TABLES[table]:
        assert str(df[col.name].dtype) == col.dtype, (table, col.name, df[col.name].dtype)


@pytest.mark.parametrize("table", list(TABLES))
def test_empty_tables_have_the_same_shape(table) -> None:
    df = frame(table)
    assert len(df) == 0
    assert [str(t) for t in df.dtypes] == [c.dtype for c in TABLES[table]]


def test_frame_refuses_undocumented_columns() -> None:
    with pytest.raises(KeyError, match="undocumented"):
        frame("actors", [{"article_id": "x", "colour": "red"}])


def test_every_column_is_documented_with_a_meaning() -> None:
    for table, cols in TABLES.items():
        for col in cols:
            assert len(col.meaning) > 10, (table, col.name)
    text = markdown()
    assert all(f"`{c.name}`" in text for cols in TABLES.values() for c in cols)


def test_analysis_round_trips_through_json(article_analysis) -> None:
    # the one column the sample leaves empty (no office holder's title contradicts the text) gets a value too
    notes = pd.array(["the text calls X President (Y)"] + [pd.NA] * (len(article_analysis.actors) - 1), "string")
    analysis = dataclasses.replace(article_analysis, actors=article_analysis.actors.assign(fact_check=notes))
    data = json.loads(analysis.to_json())
    assert set(data["tables"]) == set(TABLES)
    for name in TABLES:  # every column has a value in some row
        assert getattr(analysis, name).notna().any().all(), name
    again = Analysis.from_dict(data)
    assert again.article_id == analysis.article_id
    assert again.article.text == analysis.article.text
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(again, name), getattr(analysis, name))


def test_analysis_records_its_models(article_analysis) -> None:
    assert article_analysis.models["spacy"].startswith("en_core_web_sm")
    assert article_analysis.models["spacy"].split()[-1].startswith("3.8")
