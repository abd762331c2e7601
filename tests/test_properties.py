"""Property tests: any text gives a valid analysis or the documented input error."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import analyze
from analysis.errors import InputError
from analysis.schema import TABLES

_WORDS = st.sampled_from(["Russia", "said", "the", "Seoul", "“", "”", '"', "Putin", "Kim", "minister", "North",
                          "of", "and", ",", ".", "\n\n", "US", "Kremlin", "'s", "’s", "(", ")", "—", "Washington"])
_TEXT = st.one_of(st.text(max_size=400), st.lists(_WORDS, max_size=80).map(" ".join))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_any_text_gives_a_valid_analysis_or_an_input_error(text: str) -> None:
    try:
        result = analyze(text)
    except InputError:
        return
    for name, cols in TABLES.items():
        df = getattr(result, name)
        assert [str(t) for t in df.dtypes] == [c.dtype for c in cols]
    for row in result.mentions.to_dict(orient="records"):
        assert 0 <= row["start"] < row["end"] <= len(result.article.text)
        assert result.article.text[row["start"]:row["end"]] == row["text"]
    assert set(result.mentions["actor_id"]) == set(result.actors["actor_id"])
