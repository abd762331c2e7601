"""The Quotes page through Streamlit's AppTest: the statements, their filters, the article highlighted as text."""

from __future__ import annotations


def test_without_an_analysis_or_with_a_bad_share_link(without_analysis) -> None:
    without_analysis("quotes")


def test_quotes_filters_narrow_the_table(app_test, article_analysis) -> None:
    at = app_test("quotes", query={"a": article_analysis.article_id}, store=[article_analysis])
    everything = len(at.dataframe[0].value)
    at.multiselect(key="q_stance").select("concerned").run()
    concerned = at.dataframe[0].value
    assert 0 < len(concerned) < everything
    assert set(concerned["stance"]) == {"concerned"}
    at.multiselect(key="q_stance").unselect("concerned").run()
    at.text_input(key="q_search").input("resolute").run()
    assert set(at.dataframe[0].value["speaker"]) == {"Wu Xiaomei"}


def test_quotes_highlights_the_chosen_statement_as_escaped_text(app_test, article_analysis) -> None:
    at = app_test("quotes", query={"a": article_analysis.article_id}, store=[article_analysis])
    box = at.selectbox(key="q_highlight")
    wu = next(i for i in box.options if "resolute" in i)
    box.select(wu).run()
    article = next(m.value for m in at.markdown if "stance-atlas-article" in m.value)
    assert article.count("<mark") >= 3  # speaker, cue, content
    assert 'title="speaker"' in article and 'title="cue"' in article and 'title="content"' in article


def test_quotes_mark_the_uncertain_stances(app_test, article_analysis) -> None:
    at = app_test("quotes", query={"a": article_analysis.article_id}, store=[article_analysis])
    table = at.dataframe[0].value
    flags = article_analysis.statements.set_index("statement_id")["stance_uncertain"]
    assert flags.any()
    assert set(table["uncertain"]) == {"yes", "no"}
    assert {int(i): u == "yes" for i, u in zip(table["#"], table["uncertain"], strict=True)} == {
        int(i): bool(f) for i, f in flags.items()}


def test_a_stance_correction_is_saved_with_who_and_shown_on_every_page(app_test, sample_analyses) -> None:
    analysis = sample_analyses["iaea-board-iran-censure"][0]
    said = analysis.statements.dropna(subset=["speaker_country"])
    rec = said.groupby("speaker_country").filter(lambda g: len(g) == 1).iloc[0]  # its country's only statement
    sid, new = int(rec["statement_id"]), "protesting" if rec["stance"] != "protesting" else "supportive"
    at = app_test("quotes", query={"a": analysis.article_id}, store=[analysis])
    at.button[0].click().run()  # saving an empty form says what it lacks and stores nothing
    assert [e.value for e in at.error] == ["Pick a statement."]
    at.selectbox(key="fix_statement").select(sid)
    at.selectbox(key="fix_stance").select(new)
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert at.success[0].value.startswith(f"Saved. #{sid} · ") and f"stance set to {new}" in at.success[0].value
    table = at.dataframe[0].value.set_index("#")
    assert (table.loc[sid, "stance"], table.loc[sid, "stance by"]) == (new, "correction")
    log = at.dataframe[1].value
    assert list(log["made by"]) == ["local"] and f"stance set to {new}" in log["correction"].iloc[0]
    assert at.selectbox(key="fix_statement").value is None  # the form is emptied after a save
    quotes = app_test("quotes", query={"a": analysis.article_id})  # a new session from the share link
    assert quotes.dataframe[0].value.set_index("#").loc[sid, "stance"] == new
    countries = app_test("map", query={"a": analysis.article_id}).dataframe[0].value.set_index("code")
    assert countries.loc[rec["speaker_country"], "dominant stance"] == new
