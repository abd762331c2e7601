"""The Actors page through Streamlit's AppTest: the actors and mentions, and analysts' corrections."""

from __future__ import annotations

from analysis.settings import load_settings
from analysis.store import Store


def _by_title(team_store: list, word: str):
    return next(a for a, _ in team_store if word in (a.article.title or ""))


def _table_with(at, *columns: str):
    """The first table on the page with these columns (tables without selection carry no key in AppTest)."""
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def _submit(at, label: str) -> None:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception


def test_without_an_analysis_or_with_a_bad_share_link(without_analysis) -> None:
    without_analysis("actors")


def test_the_kind_filter_narrows_the_actors(app_test, article_analysis) -> None:
    at = app_test("actors", query={"a": article_analysis.article_id}, store=[article_analysis])
    actors = _table_with(at, "other names", "mentions")
    assert len(actors) == len(article_analysis.actors) and "id" not in actors and "actor" not in actors
    at.multiselect(key="a_kind").select("person").run()
    people = _table_with(at, "other names", "mentions")
    assert set(people["kind"]) == {"person"}
    assert len(people) == int((article_analysis.actors["kind"] == "person").sum())
    mentions = _table_with(at, "as written", "form")
    assert len(mentions) == len(article_analysis.mentions)
    assert set(mentions["actor"]) == set(article_analysis.actors["name"])  # names, not ids like country:CHN


def test_fixing_a_country_is_stored_with_who_and_shown_on_every_page(app_test, team_store) -> None:
    manila = _by_title(team_store, "Manila")
    speakers = manila.statements.dropna(subset=["speaker_actor_id"])
    person = next(a for a in speakers["speaker_actor_id"]
                  if a.startswith("person:") and manila.actors.set_index("actor_id").loc[a, "country"] != "VNM")
    name = manila.actors.set_index("actor_id").loc[person, "name"]
    said = int((speakers["speaker_actor_id"] == person).sum())
    at = app_test("actors", query={"a": manila.article_id}, store=team_store)
    assert any("No corrections yet" in c.value for c in at.caption)
    at.selectbox(key="fix_actor").set_value(person)
    at.selectbox(key="fix_country_value").set_value("VNM")
    _submit(at, "Save the country")
    assert any(f"{name}: country set to" in s.value for s in at.success)
    actors = at.dataframe[0].value
    assert actors.set_index("name").loc[name, "country"] == "Vietnam (VNM)"
    log = _table_with(at, "correction", "made by")
    assert list(log["made by"]) == ["local"] and "(VNM)" in log["correction"].iloc[0]

    at.switch_page("pages/map.py").run()  # the map's countries table: the new country, with her statements
    countries = at.dataframe[0].value.set_index("code")
    assert countries.loc["VNM", "statements"] == said
    at.switch_page("pages/quotes.py").run()
    quotes = at.dataframe[0].value
    assert set(quotes.loc[quotes["speaker"] == name, "country"]) == {"Vietnam (VNM)"}

    again = app_test("map", query={"a": manila.article_id})  # a teammate opening the share link later
    assert "VNM" in set(again.dataframe[0].value["code"])
    store = Store.from_settings(load_settings())
    assert store.load(manila.article_id, corrected=False).actors.set_index("actor_id").loc[person, "country"] != "VNM"
    assert "VNM" in store.list(country="VNM")["countries"].iloc[0]


def test_merging_two_actors_on_the_actors_page(app_test, team_store, monkeypatch) -> None:
    monkeypatch.setenv("STANCE_ATLAS_ALLOWED_VIEWERS", "@newsroom.example")
    manila = _by_title(team_store, "Manila")
    people = [a for a in dict.fromkeys(manila.statements["speaker_actor_id"].dropna()) if a.startswith("person:")]
    source, target = people[0], people[1]
    names = manila.actors.set_index("actor_id")["name"]
    at = app_test("actors", query={"a": manila.article_id}, store=team_store, auth=True,
                  user={"is_logged_in": True, "email": "ana@newsroom.example"})
    at.selectbox(key="merge_source").set_value(source)
    at.selectbox(key="merge_target").set_value(source)
    _submit(at, "Merge")
    assert any("cannot be merged into itself" in e.value for e in at.error)
    at.selectbox(key="merge_target").set_value(target)
    _submit(at, "Merge")
    assert any(f"{names[source]} merged into {names[target]}" in s.value for s in at.success)
    assert at.selectbox(key="merge_source").value is None and at.selectbox(key="merge_target").value is None
    assert source not in at.selectbox(key="merge_source").options
    actors = at.dataframe[0].value
    assert names[source] not in set(actors["name"]) and names[source] in actors.set_index("name").loc[
        names[target], "other names"]
    log = Store.from_settings(load_settings()).corrections(manila.article_id)
    assert list(log["made_by"]) == ["ana@newsroom.example"] and list(log["kind"]) == ["merge"]
    at.switch_page("pages/quotes.py").run()
    speakers = at.dataframe[0].value["speaker"]
    assert names[source] not in set(speakers)
    assert int((speakers == names[target]).sum()) == int(manila.statements["speaker_actor_id"].isin(
        [source, target]).sum())


def test_a_form_without_its_picks_says_what_is_missing(app_test, team_store) -> None:
    manila = _by_title(team_store, "Manila")
    at = app_test("actors", query={"a": manila.article_id}, store=team_store)
    _submit(at, "Save the country")
    assert [e.value for e in at.error] == ["Pick an actor."]
    at.selectbox(key="merge_source").set_value(manila.actors["actor_id"].iloc[0])
    _submit(at, "Merge")
    assert [e.value for e in at.error] == ["Pick the actor to merge into."]
    assert not len(Store.from_settings(load_settings()).corrections(manila.article_id))


def test_the_seed_s_president_blinken_is_flagged_with_both_facts(app_test, seed_analysis) -> None:
    at = app_test("actors", query={"a": seed_analysis.article_id}, store=[seed_analysis])
    assert any("not add up" in w.value for w in at.warning)
    [flag] = [t.value for t in at.text if t.value.startswith("Joe Blinken:")]
    assert "President" in flag and "Antony Blinken was Secretary of State" in flag
    shown = _table_with(at, "other names", "mentions").set_index("name")  # and in the actors table
    assert "Antony Blinken was Secretary of State" in shown.loc["Joe Blinken", "fact check"]
    assert "Blinken" in seed_analysis.article.text  # the text itself is unchanged
