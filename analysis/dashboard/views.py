"""Views of an analysis for the dashboard: per-country and per-actor stance, arcs, highlights (pure pandas/HTML).

The pages draw these; nothing here imports Streamlit, so every view is tested on its own.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from analysis.labels import STANCE_LABELS, dominant_stance
from analysis.schema import is_missing

if TYPE_CHECKING:
    from analysis.pipeline import Analysis

#: one fixed colour per stance label, used by every chart, table and highlight of the app (colour-blind safe)
STANCE_COLORS: dict[str, str] = {
    "concerned": "#E69F00",
    "outraged": "#D55E00",
    "protesting": "#CC79A7",
    "threatening": "#7B2D8E",
    "supportive": "#009E73",
    "neutral": "#9E9E9E",
}
#: colours of the three parts of a statement in the highlighted article text
PART_COLORS = {"speaker": "#CFE8FF", "cue": "#FFE08A", "content": "#D9F2D0"}
#: the readable mark of a statement whose stance the model gave under 0.5 (`stance_uncertain`)
UNCERTAIN = "uncertain"


def is_uncertain(statement: dict[str, Any]) -> bool:
    """Whether one statement row's stance is marked uncertain (missing or absent column: not uncertain)."""
    value = statement.get("stance_uncertain")
    return not is_missing(value) and bool(value)


def with_uncertain(statements: pd.DataFrame) -> pd.DataFrame:
    """The statements with a column `uncertain` right after `stance`: "uncertain" where the model's top probability
    is under 0.5, "" elsewhere (and everywhere in analyses made before the flag)."""
    out = statements.copy()
    marks = [UNCERTAIN if is_uncertain(r) else "" for r in statements.to_dict(orient="records")]
    at = list(out.columns).index("stance") + 1 if "stance" in out.columns else len(out.columns)
    out.insert(at, "uncertain", pd.Series(marks, index=out.index, dtype=object))
    return out


def stance_counts(statements: pd.DataFrame, by: str) -> pd.DataFrame:
    """Statements per stance for each value of `by` (e.g. `speaker`, `speaker_country`), one column per label.

    Returns:
        DataFrame indexed by `by`, columns in `STANCE_LABELS`, plus `total`; sorted by total, largest first.
    """
    data = statements.dropna(subset=[by])
    table = pd.crosstab(data[by], data["stance"]) if len(data) else pd.DataFrame()
    table = table.reindex(columns=list(STANCE_LABELS), fill_value=0).astype("int64")
    table["total"] = table.sum(axis=1)
    return table.sort_values("total", ascending=False)


def uncertain_counts(statements: pd.DataFrame, by: str, index: pd.Index) -> pd.Series:
    """How many statements of each value of `by` have an uncertain stance, in the order of `index` (0 where none)."""
    data = statements.dropna(subset=[by])
    flags = pd.Series([is_uncertain(r) for r in data.to_dict(orient="records")], index=data.index, dtype=bool)
    counted = data.loc[flags, by].value_counts() if len(data) else pd.Series(dtype="int64")
    return pd.Series([int(counted.get(k, 0)) for k in index], index=index, name=UNCERTAIN, dtype="int64")


def speaker_target_matrix(analysis: Analysis) -> pd.DataFrame:
    """Speaker x target: each speaker's dominant stance toward each actor its statements name (`actors.stance_toward`,
    whose rule leaves out targets of the speaker's own country and breaks ties by model probability).

    Returns:
        DataFrame indexed by speaker (actors with a target, most targets first), one column per target actor (named
        by most speakers first); cells a label of `STANCE_LABELS`, or "" where the speaker does not name it. Empty
        when the analysis has no `stance_toward` (made before it) or no statement names a target.
    """
    actors = analysis.actors
    if "stance_toward" not in actors.columns:
        return pd.DataFrame()
    codes = set(analysis.countries["iso3"])
    statements = analysis.statements
    if len(statements) and "target_countries" in statements.columns:
        codes |= {c for cs in statements["target_countries"] if isinstance(cs, list) for c in cs}
    rows: dict[str, dict[str, str]] = {}
    for rec in actors.to_dict(orient="records"):
        toward = rec["stance_toward"] if isinstance(rec["stance_toward"], dict) else {}
        named = {str(k): str(v) for k, v in toward.items() if k not in codes}
        if named:
            rows[str(rec["name"])] = named
    if not rows:
        return pd.DataFrame()
    named_by = pd.Series([t for named in rows.values() for t in named]).value_counts()
    columns = sorted(named_by.index, key=lambda t: (-int(named_by[t]), t.lower()))
    order = sorted(rows, key=lambda who: (-len(rows[who]), who.lower()))
    matrix = pd.DataFrame([[rows[who].get(t, "") for t in columns] for who in order], index=order, columns=columns)
    matrix.index.name = "speaker"
    return matrix


def stance_profile_table(analysis: Analysis, of: str | None = None) -> pd.DataFrame:
    """Actors, then countries, that have statements: dominant stance, count, one column per stance share, evidence.

    `of`: "actors" or "countries" for only those rows (a country as a speaker, "Seoul said", is an actor of kind
    country; its row under countries sums all its actors).

    Returns:
        DataFrame: who, kind (an actor's kind, or 'country (all its actors)'), dominant, statements, one column per
        label of `STANCE_LABELS` (shares in [0, 1]), evidence (statement ids).
    """
    rows = []
    for part, table, kind_of in (("actors", analysis.actors, lambda r: r["kind"]),
                                 ("countries", analysis.countries, lambda r: "country (all its actors)")):
        if "dominant_stance" not in table.columns or of not in (None, part):
            continue
        for rec in table.to_dict(orient="records"):
            if is_missing(rec["dominant_stance"]):
                continue
            dist = rec["stance_distribution"] if isinstance(rec["stance_distribution"], dict) else {}
            rows.append({"who": rec["name"], "kind": kind_of(rec), "dominant": rec["dominant_stance"],
                         "statements": int(rec["statement_count"]),
                         **{label: float(dist.get(label, 0.0)) for label in STANCE_LABELS},
                         "evidence": list(rec["stance_evidence_ids"])})
    return pd.DataFrame(rows, columns=["who", "kind", "dominant", "statements", *STANCE_LABELS, "evidence"])


def toward_targets(analysis: Analysis) -> dict[str, str]:
    """The targets the countries' statements name (the keys of `countries.stance_toward`), for the map's "stance
    toward" choice: key -> label, countries (ISO3 keys) by name, then actors by name, each sorted by label.

    An actor named like a country of the list (the country-actor "Russia" beside RUS) is left out: the country stands
    for it.
    """
    keys: set[str] = set()
    if "stance_toward" in analysis.countries.columns:
        for toward in analysis.countries["stance_toward"]:
            if isinstance(toward, dict):
                keys |= {str(k) for k in toward}
    statements = analysis.statements
    codes = set(analysis.countries["iso3"])
    if len(statements) and "target_countries" in statements.columns:
        codes |= {c for cs in statements["target_countries"] if isinstance(cs, list) for c in cs}
    names = dict(zip(analysis.countries["iso3"], analysis.countries["name"], strict=True))
    countries = {k: str(names.get(k, k)) for k in keys if k in codes}
    actors = {k: k for k in keys if k not in codes and k not in set(countries.values())}
    return {k: v for part in (countries, actors) for k, v in sorted(part.items(), key=lambda kv: kv[1].lower())}


def _names(statement: dict[str, Any], target: str) -> bool:
    return any(isinstance(statement.get(col), list) and target in statement[col]
               for col in ("targets", "target_countries"))


def country_view(analysis: Analysis, toward: str | None = None) -> pd.DataFrame:
    """One row per country involved, for the map.

    Args:
        analysis: the analysis.
        toward: a target (a key of `toward_targets`): each country's stance toward it (`countries.stance_toward`),
            its statements those naming it, "no statement" where it has none; None: each country's dominant stance.

    Returns:
        DataFrame: iso3, name, dominant_stance, statements (count), actors (names joined), main_statement (speaker:
        content, shortened; its stance marked uncertain where the model gave it under 0.5), sentiment (mean score
        toward its actors, or NaN), lat, lon.
    """
    statements = analysis.statements
    rows = []
    sentiment = _country_sentiment(analysis)
    for rec in analysis.countries.to_dict(orient="records"):
        mine = statements[statements["speaker_country"] == rec["iso3"]] if len(statements) else statements
        label = rec.get("dominant_stance")
        evidence = rec.get("stance_evidence_ids")
        if toward is not None:
            naming = [_names(r, toward) for r in mine.to_dict(orient="records")]
            mine = mine[pd.Series(naming, index=mine.index, dtype=bool)] if len(mine) else mine
            stances = rec.get("stance_toward")
            label = stances.get(toward) if isinstance(stances, dict) else None
            evidence = None
            if label is None:
                mine = mine.iloc[0:0]
        if is_missing(label):  # analyses stored before the stance profiles: count the statements' labels
            label = dominant_stance(mine["stance"].value_counts() if len(mine) else {}) or "neutral"
        if isinstance(evidence, list) and evidence and len(mine):
            main = mine[mine["statement_id"].isin(evidence[:1])]
        else:
            main = mine[mine["stance"] == label] if len(mine) else mine
        main_text = ""
        if len(main):
            first = main.iloc[0]
            main_text = f"{first['speaker']}: {_shorten(str(first['content_text']), 140)}"
            if is_uncertain(first.to_dict()):
                main_text += f" ({first['stance']}, {UNCERTAIN}: the model under 0.5)"
        rows.append({
            "iso3": rec["iso3"], "name": rec["name"],
            "dominant_stance": label if len(mine) else "no statement",
            "statements": len(mine), "actors": ", ".join(rec["actors"]), "main_statement": main_text,
            "sentiment": sentiment.get(rec["iso3"], float("nan")), "lat": rec["lat"], "lon": rec["lon"],
        })
    return pd.DataFrame(rows, columns=["iso3", "name", "dominant_stance", "statements", "actors", "main_statement",
                                       "sentiment", "lat", "lon"])


def _country_sentiment(analysis: Analysis) -> dict[str, float]:
    countries = analysis.countries
    if "sentiment" not in countries.columns:
        return {}
    return {r["iso3"]: float(r["sentiment"]) for r in countries.to_dict(orient="records")
            if not is_missing(r["sentiment"])}


def arcs(analysis: Analysis, toward: str | None = None) -> pd.DataFrame:
    """Speaker country -> target country, per statement with a known target in another country.

    With `toward` (a key of `toward_targets`), only the statements naming it, and only the arcs to its country.

    Returns:
        DataFrame: from_iso3, to_iso3, stance, count, from_lat, from_lon, to_lat, to_lon, example (a statement).
    """
    cols = ["from_iso3", "to_iso3", "stance", "count", "from_lat", "from_lon", "to_lat", "to_lon", "example"]
    statements = analysis.statements
    if not len(statements) or "target_countries" not in statements.columns:
        return pd.DataFrame(columns=cols)
    where = {r["iso3"]: (r["lat"], r["lon"]) for r in analysis.countries.to_dict(orient="records")}
    pairs: dict[tuple[str, str, str], dict[str, Any]] = {}
    home = {r["name"]: r["country"] for r in analysis.actors.to_dict(orient="records") if isinstance(r["country"], str)}
    only = None if toward is None else toward if toward in where else home.get(toward, "")
    for rec in statements.to_dict(orient="records"):
        src = rec["speaker_country"]
        if is_missing(src) or not isinstance(rec["target_countries"], list):
            continue
        if toward is not None and not _names(rec, toward):
            continue
        for dst in rec["target_countries"]:
            if dst == src or src not in where or dst not in where or (only is not None and dst != only):
                continue
            key = (src, dst, rec["stance"])
            if key not in pairs:
                pairs[key] = {"from_iso3": src, "to_iso3": dst, "stance": rec["stance"], "count": 0,
                              "from_lat": where[src][0], "from_lon": where[src][1], "to_lat": where[dst][0],
                              "to_lon": where[dst][1],
                              "example": f"{rec['speaker']}: {_shorten(str(rec['content_text']), 100)}"}
            pairs[key]["count"] += 1
    return pd.DataFrame(list(pairs.values()), columns=cols)


def top_actors(analysis: Analysis, n: int = 8) -> pd.DataFrame:
    """The most mentioned actors (news media last), with their statement counts."""
    actors = analysis.actors.copy()
    said = analysis.statements["speaker_actor_id"].value_counts() if len(analysis.statements) else pd.Series()
    actors["statements"] = [int(said.get(a, 0)) for a in actors["actor_id"]]
    actors["is_media"] = actors["kind"] == "media"
    actors = actors.sort_values(["is_media", "statements", "mention_count"], ascending=[True, False, False])
    return actors.head(n)[["name", "kind", "country", "role", "mention_count", "statements"]]


def top_statements(analysis: Analysis, n: int = 5) -> pd.DataFrame:
    """Statements with a speaker and a stance other than neutral first, in text order within each group."""
    statements = analysis.statements
    if not len(statements):
        return statements
    ranked = statements.assign(_neutral=statements["stance"] == "neutral", _nospeaker=statements["speaker"].isna())
    ranked = ranked.sort_values(["_nospeaker", "_neutral", "statement_id"])
    return ranked.head(n)[["speaker", "kind", "stance", "cue_text", "content_text"]]


def summary(analysis: Analysis) -> dict[str, int | str]:
    """The figures shown above an analysis (Analyze page, each side of a comparison): title, outlet, date, counts."""
    statements = analysis.statements
    art = analysis.article
    return {
        "title": art.title or "Untitled article",
        "source": art.source or "",
        "published": art.published or "",
        "actors": len(analysis.actors),
        "countries": len(analysis.countries),
        "statements": len(statements),
        "with_stance": int((statements["stance"] != "neutral").sum()) if len(statements) else 0,
    }


def country_stance(analysis: Analysis) -> pd.DataFrame:
    """Statements per stance for each speaker country of an analysis, indexed by country name (for stance bars)."""
    statements = analysis.statements
    names = dict(zip(analysis.countries["iso3"], analysis.countries["name"], strict=True))
    if not len(statements):
        return stance_counts(statements.assign(country=pd.Series(dtype=object)), "country")
    return stance_counts(statements.assign(country=statements["speaker_country"].map(names)), "country")


def stance_methods(statements: pd.DataFrame) -> list[str]:
    """How the stances of these statements were decided (model, lexicon), sorted."""
    return sorted(set(statements["stance_method"].dropna()))


def without_speaker(statements: pd.DataFrame) -> int:
    """How many of these statements have no known speaker (they are in no per-actor or per-country count)."""
    return int(statements["speaker"].isna().sum())


def actor_sentiment(analysis: Analysis) -> pd.DataFrame | None:
    """Sentiment per actor, most negative first: name, kind, country, sentiment_mean and the mentions per polarity.

    Returns:
        The table, or None when the analysis has no sentiment (it was made before the sentiment model).
    """
    actors = analysis.actors
    if "sentiment_mean" not in actors.columns or not actors["sentiment_mean"].notna().any():
        return None
    cols = [c for c in ("name", "kind", "country", "sentiment_mean", "sentiment_negative", "sentiment_neutral",
                        "sentiment_positive") if c in actors.columns]
    return actors[cols].sort_values("sentiment_mean")


def actor_kinds(analysis: Analysis) -> list[str]:
    """The kinds of actor in an analysis (person, country, ...), sorted: the choices of the Actors page's filter."""
    return sorted(analysis.actors["kind"].unique())


def actor_table(analysis: Analysis, kinds: Sequence[str] = ()) -> pd.DataFrame:
    """The actors table as the Actors page shows it (without the article id), narrowed to some kinds if given."""
    actors = analysis.actors.drop(columns=["article_id"])
    return actors[actors["kind"].isin(kinds)] if kinds else actors


def fact_flags(analysis: Analysis) -> pd.DataFrame:
    """The people whose role in the text the office-holder table contradicts: name, role, country, what is wrong."""
    actors = analysis.actors
    if "fact_check" not in actors.columns:  # an analysis stored before the column existed
        return pd.DataFrame(columns=["name", "role", "country", "fact_check"])
    return actors[actors["fact_check"].notna()][["name", "role", "country", "fact_check"]].reset_index(drop=True)


def mention_table(analysis: Analysis) -> pd.DataFrame:
    """The mentions table as the Actors page shows it: without the article id, with the actor's name."""
    names = dict(zip(analysis.actors["actor_id"], analysis.actors["name"], strict=True))
    mentions = analysis.mentions.drop(columns=["article_id"])
    return mentions.assign(actor=mentions["actor_id"].map(names))


#: characters Markdown reads as markup (links, images, emphasis, math, code, headings, tables) and the line break
#: (a blank line would end the HTML block and hand the rest of the text to Markdown)
_MARKDOWN_CHARS = frozenset("\\`*_[]!#|~$^\n\r")


def _as_text(text: str) -> str:
    """Text that neither HTML nor Markdown reads as markup: `html.escape` for `<>&"'`, a character reference for
    every Markdown character and line break, so `<img>`, `[a](javascript:…)`, `![](http://…)`, `*x*`, `$x$` and a
    blank line all show as typed."""
    return "".join(f"&#{ord(ch)};" if ch in _MARKDOWN_CHARS else html.escape(ch) for ch in text)


def highlighted_html(text: str, parts: Iterable[tuple[int, int, str]]) -> str:
    """The article text as HTML with some spans marked; every character of the text is escaped (`_as_text`).

    Args:
        text: the article text.
        parts: (start, end, role) with role in `PART_COLORS` (speaker, cue, content); overlaps resolve to the
            first given.

    Returns:
        An HTML fragment (a `<div>` with `<mark>` elements); paragraphs keep their line breaks.
    """
    roles: list[str | None] = [None] * len(text)
    for start, end, role in parts:
        for i in range(max(0, start), min(len(text), end)):
            if roles[i] is None:
                roles[i] = role
    out = ['<div class="stance-atlas-article" style="white-space: pre-wrap; line-height: 1.6;">']
    i = 0
    while i < len(text):
        role = roles[i]
        j = i
        while j < len(text) and roles[j] == role:
            j += 1
        chunk = _as_text(text[i:j])
        if role:
            out.append(f'<mark title="{role}" style="background:{PART_COLORS[role]}; padding:0 1px;">{chunk}</mark>')
        else:
            out.append(chunk)
        i = j
    out.append("</div>")
    return "".join(out)


def statement_parts(statement: dict[str, Any]) -> list[tuple[int, int, str]]:
    """The (start, end, role) spans of one statement row: speaker, cue and each content fragment."""
    parts: list[tuple[int, int, str]] = []
    for role in ("speaker", "cue"):
        if not is_missing(statement.get(f"{role}_start")):
            parts.append((int(statement[f"{role}_start"]), int(statement[f"{role}_end"]), role))
    spans = statement.get("content_spans")
    if isinstance(spans, list):
        parts += [(int(s), int(e), "content") for s, e in spans]
    return parts


def for_download(df: pd.DataFrame) -> pd.DataFrame:
    """A table ready for CSV: list columns joined with '; '."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object and out[col].map(lambda v: isinstance(v, list)).any():
            out[col] = out[col].map(lambda v: "; ".join(map(_flat, v)) if isinstance(v, list) else v)
    return out


def _flat(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "-".join(map(str, value))
    return str(value)


def _shorten(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def filter_statements(statements: pd.DataFrame, *, actors: Sequence[str] = (), countries: Sequence[str] = (),
                      stances: Sequence[str] = (), kinds: Sequence[str] = (), search: str = "") -> pd.DataFrame:
    """Statements narrowed by speaker, speaker country, stance, kind and a case-insensitive text search."""
    shown = statements
    if actors:
        shown = shown[shown["speaker"].isin(actors)]
    if countries:
        shown = shown[shown["speaker_country"].isin(countries)]
    if stances:
        shown = shown[shown["stance"].isin(stances)]
    if kinds:
        shown = shown[shown["kind"].isin(kinds)]
    if search:
        needle = search.lower()
        hay = shown["content_text"].fillna("") + " " + shown["speaker"].fillna("") + " " + shown["cue_text"].fillna("")
        shown = shown[hay.str.lower().str.contains(needle, regex=False)]
    return shown
