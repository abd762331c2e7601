"""The Quotes page through Streamlit's AppTest: the statements, their filters, the article highlighted as text."""

from __future__ import annotations


def test_without_an_analysis_or_with_a_bad_share_link(without_analysis) -> None:
    without_analysis("quotes")


def test_quotes_filters_narrow_the_table(app_test, seed_analysis) -> None:
    at = app_test("quotes", query={"a": seed_analysis.article_id}, store=[seed_analysis])
    everything = len(at.dataframe[0].value)
    at.multiselect(key="q_stance").select("concerned").run()
    concerned = at.dataframe[0].value
    assert 0 < len(concerned) < everything
    assert set(concerned["stance"]) == {"concerned"}
    at.multiselect(key="q_stance").unselect("concerned").run()
    at.text_input(key="q_search").input("reciprocal").run()
    assert set(at.dataframe[0].value["speaker"]) == {"Vladimir Putin"}


def test_quotes_highlights_the_chosen_statement_as_escaped_text(app_test, seed_analysis) -> None:
    at = app_test("quotes", query={"a": seed_analysis.article_id}, store=[seed_analysis])
    box = at.selectbox(key="q_highlight")
    putin = next(i for i in box.options if "reciprocal" in i)
    box.select(putin).run()
    article = next(m.value for m in at.markdown if "stance-atlas-article" in m.value)
    assert article.count("<mark") >= 3  # speaker, cue, content
    assert 'title="speaker"' in article and 'title="cue"' in article and 'title="content"' in article


def test_quotes_mark_the_uncertain_stances(app_test, seed_analysis) -> None:
    at = app_test("quotes", query={"a": seed_analysis.article_id}, store=[seed_analysis])
    table = at.dataframe[0].value
    flags = seed_analysis.statements.set_index("statement_id")["stance_uncertain"]
    assert flags.any()
    assert {int(i): u == "uncertain" for i, u in zip(table["statement_id"], table["uncertain"], strict=True)} == {
        int(i): bool(f) for i, f in flags.items()}
