"""Analysts' corrections of an analysis: an actor's country fixed, two actors merged, a statement's stance or target
set. No model runs again.

A correction is a row (kind, actor_id, statement_id, value, made_by, made_at) kept by the store; `apply_corrections`
replays them in order on the stored tables and patches what they change: actors, mentions, statements (speaker,
country, stance, targets) and the rows of the countries table of the actors and countries concerned. The stance
corrections are also training data: `stance_training_records` turns them into the training format of
`python -m analysis.training.stance --with-corrections` (`python -m analysis corrections export --jsonl`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pandas as pd

from analysis.errors import CorrectionError
from analysis.labels import STANCE_LABELS
from analysis.pipeline import Analysis
from analysis.rules.gazetteer import load_gazetteer
from analysis.schema import conform, is_missing
from analysis.stages.profiles import profile_columns

#: corrections of an actor (`actor_id`)
ACTOR_KINDS = ("country", "merge")
#: corrections of a statement (`statement_id`; `actor_id` records its speaker): its stance label, or its target (the
#: actor it reacts to, or none)
STATEMENT_KINDS = ("stance", "target")
KINDS = (*ACTOR_KINDS, *STATEMENT_KINDS)
#: `stance_method` of a statement whose stance an analyst set
CORRECTED = "correction"


def _statement(analysis: Analysis, statement_id: Any) -> dict[str, Any]:
    """The statement record with this id; CorrectionError when there is none."""
    try:
        sid = int(statement_id)
    except (TypeError, ValueError):
        raise CorrectionError(f"{statement_id!r} is not a statement number") from None
    found = analysis.statements[analysis.statements["statement_id"] == sid]
    if not len(found):
        raise CorrectionError(f"no statement #{sid} in analysis {analysis.article_id}")
    return found.iloc[0].to_dict()


def check_correction(analysis: Analysis, *, kind: str, actor_id: str | None = None, value: str | None,
                     statement_id: int | None = None) -> None:
    """Refuse a correction that cannot apply to this analysis.

    Raises:
        CorrectionError: unknown kind, actor, statement, stance label, target actor or country code, an actor merged
            into itself, or a statement's own speaker given as its target.
    """
    ids = set(analysis.actors["actor_id"])
    if kind not in KINDS:
        raise CorrectionError(f"unknown correction {kind!r}; use one of {', '.join(KINDS)}")
    if kind in STATEMENT_KINDS:
        stmt = _statement(analysis, statement_id)
        if kind == "stance" and value not in STANCE_LABELS:
            raise CorrectionError(f"{value!r} is not a stance; use one of {', '.join(STANCE_LABELS)}")
        if kind == "target" and value is not None:
            if value not in ids:
                raise CorrectionError(f"no actor {value!r} in analysis {analysis.article_id}")
            if value == stmt["speaker_actor_id"]:
                raise CorrectionError("a statement's speaker cannot be its own target")
        return
    if actor_id not in ids:
        raise CorrectionError(f"no actor {actor_id!r} in analysis {analysis.article_id}")
    if kind == "country" and value is not None and value not in load_gazetteer().countries:
        raise CorrectionError(f"{value!r} is not an ISO 3166 alpha-3 country code")
    if kind == "merge":
        if value not in ids:
            raise CorrectionError(f"no actor {value!r} to merge into in analysis {analysis.article_id}")
        if value == actor_id:
            raise CorrectionError("an actor cannot be merged into itself")


def apply_corrections(analysis: Analysis, rows: Sequence[dict[str, Any]]) -> Analysis:
    """Return the analysis with the corrections replayed in order (rows of the store's `corrections` table).

    The tables are patched, no stage runs again: the actors and mentions moved or merged, the statements' speakers,
    countries and targets, and the rows of the countries table that a corrected actor left or joined (its actors,
    mention counts, sentiment and stance profile; a country left without actors is dropped, a new one added). A
    merged actor's stance profile then counts the statements of both. A correction whose actor no longer exists
    (merged away by an earlier one) is skipped.
    """
    actors = analysis.actors.copy()
    mentions = analysis.mentions.copy()
    statements = analysis.statements.copy()
    touched: set[str] = set()
    touched_countries: set[str] = set()
    for row in rows:
        actor_id, value = row["actor_id"], row.get("value")
        if row["kind"] in STATEMENT_KINDS:
            speaker, country = _patch_statement(statements, actors, row["kind"], row.get("statement_id"), value)
            touched |= {speaker} if speaker else set()
            touched_countries |= {country} if country else set()
            continue
        if actor_id not in set(actors["actor_id"]):
            continue
        if row["kind"] == "country":
            where = actors["actor_id"] == actor_id
            actors.loc[where, "country"] = value
            actors.loc[where, "country_evidence"] = "correction" if value else None
            touched.add(actor_id)
        elif row["kind"] == "merge" and value in set(actors["actor_id"]):
            actors = _merge_actor_rows(actors, mentions, actor_id, value)
            mentions.loc[mentions["actor_id"] == actor_id, "actor_id"] = value
            statements.loc[statements["speaker_actor_id"] == actor_id, "speaker_actor_id"] = value
            touched |= {actor_id, value}
    if not touched and not touched_countries:
        return analysis
    by_id = actors.set_index("actor_id")
    names = by_id["name"].to_dict()
    countries_of = {k: (v if isinstance(v, str) else None) for k, v in by_id["country"].to_dict().items()}
    statements["speaker"] = [names.get(a) if isinstance(a, str) else None for a in statements["speaker_actor_id"]]
    statements["speaker_country"] = [countries_of.get(a) if isinstance(a, str) else None
                                     for a in statements["speaker_actor_id"]]
    statements["targets"] = [_renamed(t, analysis.actors, names) for t in statements["targets"]]
    profiled = analysis.actors["statement_count"].notna().any()  # analyses made before the profiles have none
    if profiled:
        actors = _reprofiled_actors(actors, statements, touched)
    countries = _patched_countries(analysis, actors, mentions, statements, touched, profiled=profiled,
                                   also=touched_countries)
    return dataclasses.replace(analysis, actors=conform("actors", actors), mentions=conform("mentions", mentions),
                               statements=conform("statements", statements), countries=countries)


def _patch_statement(statements: pd.DataFrame, actors: pd.DataFrame, kind: str, statement_id: Any,
                     value: str | None) -> tuple[str | None, str | None]:
    """Set one statement's stance or target in place; return its speaker actor and country (whose profiles change),
    (None, None) when nothing changed: no such statement, or the target actor was merged away."""
    try:
        where = statements.index[statements["statement_id"] == int(statement_id)]
    except (TypeError, ValueError):
        return None, None
    if not len(where):
        return None, None
    idx = where[0]
    speaker, own = (None if is_missing(v) else str(v)
                    for v in (statements.at[idx, "speaker_actor_id"], statements.at[idx, "speaker_country"]))
    if kind == "stance":
        statements.at[idx, "stance"] = value
        statements.at[idx, "stance_method"] = CORRECTED
        statements.at[idx, "stance_evidence"] = None
        statements.at[idx, "stance_uncertain"] = False
    else:
        target = actors[actors["actor_id"] == value]
        if value is not None and not len(target):
            return None, None
        rec = target.iloc[0].to_dict() if len(target) else None
        country = rec["country"] if rec and isinstance(rec["country"], str) else None
        statements.at[idx, "targets"] = [str(rec["name"])] if rec else []
        statements.at[idx, "target_countries"] = [country] if country and country != own else []
    return speaker, own


def _reprofiled_actors(actors: pd.DataFrame, statements: pd.DataFrame, touched: set[str]) -> pd.DataFrame:
    """The actors with the stance profiles of the corrected ones made again from their statements."""
    out = actors.copy()
    for idx in out.index[out["actor_id"].isin(touched)]:
        for col, value in _profile(statements, "speaker_actor_id", out.at[idx, "actor_id"], actors).items():
            out.at[idx, col] = value
    return out


def _patched_countries(analysis: Analysis, actors: pd.DataFrame, mentions: pd.DataFrame,
                       statements: pd.DataFrame, touched: set[str], *, profiled: bool,
                       also: set[str] = frozenset()) -> pd.DataFrame:
    """The countries table with the rows of the countries the corrected actors had or have now (and the countries
    `also` names: speakers' countries of corrected statements) made again."""
    before = analysis.actors.set_index("actor_id")["country"].to_dict()
    after = actors.set_index("actor_id")["country"].to_dict()
    affected = {c for a in touched for c in (before.get(a), after.get(a)) if isinstance(c, str)} | set(also)
    rows = {r["iso3"]: r for r in analysis.countries.to_dict(orient="records")}
    for iso3 in sorted(affected):
        row = _country_row(iso3, rows.get(iso3), analysis.article_id, actors, mentions, statements,
                           profiled=profiled)
        if row is None:
            rows.pop(iso3, None)
        else:
            rows[iso3] = row
    ordered = sorted(rows.values(), key=lambda r: (-int(r["actor_mentions"]), r["iso3"]))
    return conform("countries", pd.DataFrame(ordered, columns=list(analysis.countries.columns)))


def _country_row(iso3: str, old: dict[str, Any] | None, article_id: str, actors: pd.DataFrame,
                 mentions: pd.DataFrame, statements: pd.DataFrame, *, profiled: bool) -> dict[str, Any] | None:
    """One country's row from the corrected tables (its own actor first, as the countries stage orders them);
    None when no actor (news media aside) is of that country any more."""
    mine = actors[actors["country"].eq(iso3).fillna(False) & actors["kind"].ne("media")]
    if not len(mine):
        return None
    own = mine[mine["kind"] == "country"]
    ordered = pd.concat([own, mine[mine["kind"] != "country"]])
    ids = [str(a) for a in ordered["actor_id"]]
    counts = mentions.groupby("actor_id").size()
    scores = mentions.loc[mentions["actor_id"].isin(ids), "sentiment_score"].dropna()
    if old is None:
        place = load_gazetteer().countries.get(iso3)
        old = {"article_id": article_id, "iso3": iso3, "name": place.name if place else iso3,
               "lat": place.lat if place else None, "lon": place.lon if place else None}
    row = {**old, "actor_ids": ids, "actors": [str(n) for n in ordered["name"]], "actor_count": len(ids),
           "mention_count": int(sum(counts.get(a, 0) for a in own["actor_id"])),
           "actor_mentions": int(sum(counts.get(a, 0) for a in ids)),
           "sentiment": round(float(scores.mean()), 4) if len(scores) else None}
    if profiled:
        row.update(_profile(statements, "speaker_country", iso3, actors))
    return row


def _profile(statements: pd.DataFrame, column: str, value: str, actors: pd.DataFrame) -> dict[str, Any]:
    """The stance profile columns (`analysis.stages.profiles`) of the statements whose `column` is `value`."""
    said = statements[statements[column].astype(object).eq(value)]
    home = {str(a["name"]): a["country"] for a in actors.to_dict(orient="records") if isinstance(a["country"], str)}
    return profile_columns(said.to_dict(orient="records"), home=home)


def _merge_actor_rows(actors: pd.DataFrame, mentions: pd.DataFrame, source: str, target: str) -> pd.DataFrame:
    src = actors[actors["actor_id"] == source].iloc[0]
    idx = actors.index[actors["actor_id"] == target][0]
    aliases = list(actors.at[idx, "aliases"])
    for alias in [src["name"], *src["aliases"]]:
        if alias != actors.at[idx, "name"] and alias not in aliases:
            aliases.append(alias)
    actors.at[idx, "aliases"] = aliases
    actors.at[idx, "mention_count"] = int(actors.at[idx, "mention_count"]) + int(src["mention_count"])
    actors.at[idx, "first_start"] = min(int(actors.at[idx, "first_start"]), int(src["first_start"]))
    for col in ("country", "role"):
        if is_missing(actors.at[idx, col]) and not is_missing(src[col]):
            actors.at[idx, col] = src[col]
    if "sentiment_mean" in actors.columns:
        merged = mentions[mentions["actor_id"].isin([source, target])]
        scores = merged["sentiment_score"].dropna() if "sentiment_score" in merged else pd.Series(dtype=float)
        actors.at[idx, "sentiment_mean"] = round(float(scores.mean()), 4) if len(scores) else None
        for label in ("negative", "neutral", "positive"):
            col = f"sentiment_{label}"
            if col in actors.columns:
                actors.at[idx, col] = int((merged.get("sentiment") == label).sum()) if "sentiment" in merged else 0
    return actors[actors["actor_id"] != source].reset_index(drop=True)


def _renamed(targets: Any, before: pd.DataFrame, names: dict[str, str]) -> Any:
    if not isinstance(targets, list):
        return targets
    old = dict(zip(before["name"], before["actor_id"], strict=True))
    out: list[str] = []
    for name in targets:
        new = names.get(old.get(name, ""), name)
        if new not in out:
            out.append(new)
    return out


def country_choices() -> dict[str, str]:
    """Every country an actor can be set to: ISO alpha-3 code -> name, sorted by name (from the gazetteer)."""
    countries = load_gazetteer().countries
    return {c.iso3: c.name for c in sorted(countries.values(), key=lambda c: c.name)}


def actor_choices(analysis: Analysis) -> dict[str, str]:
    """The actors a correction can name: actor_id -> "name (kind, country)", ordered by name."""
    labels = {}
    for rec in sorted(analysis.actors.to_dict(orient="records"), key=lambda r: r["name"].lower()):
        country = rec["country"] if isinstance(rec["country"], str) else "no country"
        labels[rec["actor_id"]] = f"{rec['name']} ({rec['kind']}, {country})"
    return labels


def missing_pick(kind: str, actor_id: str | None, value: str | None) -> str | None:
    """What a correction form still lacks, in words (None when it can be saved): the actor, or the one to merge into.
    A country correction without a country removes the actor's country."""
    if actor_id is None:
        return "Pick an actor."
    if kind == "merge" and value is None:
        return "Pick the actor to merge into."
    return None


def saved_message(analysis: Analysis, *, kind: str, actor_id: str | None = None, value: str | None,
                  statement_id: int | None = None) -> str:
    """What a saved correction did, in words, with the names of the analysis it was made on."""
    names = dict(zip(analysis.actors["actor_id"], analysis.actors["name"], strict=True))
    if kind == "country":
        return f"{names[actor_id]}: country set to {country_choices().get(value, 'none')}."
    if kind == "merge":
        return f"{names[actor_id]} merged into {names[value]}."
    return f"{statement_label(_statement(analysis, statement_id))}: {_statement_change(kind, value, names)}."


def statement_label(rec: dict[str, Any], width: int = 70) -> str:
    """A statement in a few words: "#3 · Miller · concerned · "We are deeply conc…"."""
    speaker = rec["speaker"] if isinstance(rec.get("speaker"), str) else "(no speaker)"
    content = str(rec.get("content_text") or "")
    short = content if len(content) <= width else content[: width - 1] + "…"
    return f"#{int(rec['statement_id'])} · {speaker} · {rec.get('stance')} · {short}"


def statement_choices(analysis: Analysis) -> dict[int, str]:
    """The statements a stance correction can name: statement_id -> `statement_label`, in text order."""
    return {int(r["statement_id"]): statement_label(r) for r in analysis.statements.to_dict(orient="records")}


def _statement_change(kind: str, value: str | None, names: dict[str, str]) -> str:
    if kind == "stance":
        return f"stance set to {value}"
    return f"target set to {names.get(value, value)}" if value else "target removed"


#: the statement form's target choice that leaves the target as it is
KEEP_TARGET = "(keep)"


def missing_statement_pick(statement_id: int | None, stance: str | None, target: str | None) -> str | None:
    """What the statement form still lacks, in words (None when it can be saved): the statement, and a stance or a
    target (`target` is KEEP_TARGET to leave it as it is, None to remove it)."""
    if statement_id is None:
        return "Pick a statement."
    if stance is None and target == KEEP_TARGET:
        return "Pick a stance or a target."
    return None



def correction_log(log: pd.DataFrame, original: Analysis) -> pd.DataFrame:
    """The corrections of an analysis in words, for the dashboard.

    Args:
        log: `Store.corrections` rows.
        original: the analysis as the models made it (`Store.load(..., corrected=False)`), for the actors' names.

    Returns:
        DataFrame: correction (what was done, in words), made_by, made_at.
    """
    names = dict(zip(original.actors["actor_id"], original.actors["name"], strict=True))
    countries = load_gazetteer().countries
    said = {int(r["statement_id"]): r for r in original.statements.to_dict(orient="records")}
    rows = []
    for rec in log.to_dict(orient="records"):
        who = names.get(rec["actor_id"], rec["actor_id"])
        value = rec["value"] if isinstance(rec["value"], str) else None
        if rec["kind"] in STATEMENT_KINDS:
            sid = rec.get("statement_id")
            stmt = said.get(int(sid)) if not is_missing(sid) else None
            what = statement_label(stmt, 50) if stmt else f"statement #{sid}"
            text = f"{_statement_change(rec['kind'], value, names)} · {what}"  # the change first: it is cut last
        elif rec["kind"] == "country":
            place = f"{countries[value].name} ({value})" if value in countries else (value or "no country")
            text = f"{who}: country set to {place}"
        elif rec["kind"] == "merge":
            text = f"{who} merged into {names.get(value, value)}"
        else:
            text = f"{rec['kind']} {who} {value or ''}".strip()
        rows.append({"correction": text, "made_by": rec["made_by"], "made_at": rec["made_at"]})
    return pd.DataFrame(rows, columns=["correction", "made_by", "made_at"])


def stance_training_records(analysis: Analysis, log: pd.DataFrame) -> list[dict[str, Any]]:
    """The statements of an analysis whose stance an analyst set, in the training format of
    `python -m analysis.training.stance --with-corrections` (one dict per statement; the last correction wins).

    Args:
        analysis: the analysis with its corrections applied (`Store.load`).
        log: its `Store.corrections` rows.

    Returns:
        Dicts with id ("<article_id>:<statement_id>"), label, speaker, cue, content, text (the sentence(s) around the
        statement, as the stance stage gives the model), targets, article_id, statement_id, made_by, made_at.
        Statements with only a target correction are left out: their label is the model's, not an analyst's.
    """
    from analysis.stages.stance import statement_passage

    last: dict[int, dict[str, Any]] = {}
    for rec in log.to_dict(orient="records"):
        if rec["kind"] == "stance" and not is_missing(rec.get("statement_id")):
            last[int(rec["statement_id"])] = rec
    said = {int(r["statement_id"]): r for r in analysis.statements.to_dict(orient="records")}
    out = []
    for sid, rec in sorted(last.items()):
        stmt = said.get(sid)
        if stmt is None:
            continue
        out.append({
            "id": f"{analysis.article_id}:{sid}", "label": rec["value"],
            "speaker": _text(stmt["speaker_text"]) or _text(stmt["speaker"]) or "",
            "cue": _text(stmt["cue_text"]) or "", "content": _text(stmt["content_text"]) or "",
            "text": statement_passage(analysis.article, stmt),
            "targets": list(stmt["targets"]) if isinstance(stmt["targets"], list) else [],
            "article_id": analysis.article_id, "statement_id": sid, "made_by": rec["made_by"],
            "made_at": rec["made_at"],
        })
    return out


def team_stance_records(store: Any) -> list[dict[str, Any]]:
    """Every stance correction of every analysis in the store (`analysis.store.Store`), as
    `stance_training_records`, analyses in the order of their first correction."""
    log = store.corrections(kinds=STATEMENT_KINDS)
    out: list[dict[str, Any]] = []
    for article_id in dict.fromkeys(log["article_id"]):
        if not store.exists(article_id):
            continue
        out += stance_training_records(store.load(article_id), log[log["article_id"] == article_id])
    return out


def _text(value: Any) -> str | None:
    return None if is_missing(value) or not str(value).strip() else str(value)
