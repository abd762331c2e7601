"""The store of analyses: SQLAlchemy over a SQLite file (default) or PostgreSQL (`DATABASE_URL`).

Each analysis is kept whole (its JSON) under its id, with a few columns for listing and filtering, and the countries
and actors it involves in two side tables. Every query is parameterised (SQLAlchemy Core). Only this module touches
the store's files.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from analysis.errors import AnalysisNotFoundError, InvalidAnalysisIdError, StoreUnavailableError
from analysis.pipeline import Analysis
from analysis.settings import ROOT, Settings

ID_PATTERN = re.compile(r"^[0-9a-f]{16}$")
SQLITE_FILE = "stance_atlas.sqlite"

metadata = MetaData()

analyses = Table(
    "analyses",
    metadata,
    Column("article_id", String(16), primary_key=True),
    Column("title", Text),
    Column("source", Text),
    Column("published", String(10), index=True),
    Column("created", String(32), nullable=False, index=True),
    Column("saved_by", Text),
    Column("chars", Integer, nullable=False),
    Column("actor_count", Integer, nullable=False),
    Column("statement_count", Integer, nullable=False),
    Column("pipeline_version", String(32), nullable=False),
    Column("payload", Text, nullable=False),
)
analysis_countries = Table(
    "analysis_countries",
    metadata,
    Column("article_id", String(16), primary_key=True),
    Column("iso3", String(3), primary_key=True, index=True),
    Column("name", Text, nullable=False),
)
analysis_actors = Table(
    "analysis_actors",
    metadata,
    Column("article_id", String(16), primary_key=True),
    Column("actor_id", String(200), primary_key=True),
    Column("name", Text, nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("country", String(3)),
)


SAMPLES_DIR = ROOT / "data" / "samples"


def sample_articles() -> dict[str, tuple[str, str]]:
    """The sample articles shipped in `data/samples/`: slug -> (headline, full text)."""
    out = {}
    for path in sorted(SAMPLES_DIR.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        out[path.stem] = (text.partition("\n")[0].strip(), text)
    return out


def check_id(article_id: str) -> str:
    """Return a share id if it has the form the app makes (16 hex digits).

    Raises:
        InvalidAnalysisIdError: it does not.
    """
    value = (article_id or "").strip().lower()
    if not ID_PATTERN.match(value):
        shown = (article_id or "")[:40]
        raise InvalidAnalysisIdError(f"{shown!r} is not an analysis id (16 letters a-f and digits); check the link")
    return value


def database_url(settings: Settings) -> str:
    """The store's SQLAlchemy URL: `DATABASE_URL`, or a SQLite file in the data folder."""
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{Path(settings.data_dir) / SQLITE_FILE}"


class Store:
    """Analyses kept in a SQL database.

    Args:
        url: a SQLAlchemy URL (`sqlite:///path`, `postgresql+psycopg://...`).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        try:
            if self.is_sqlite:
                path = url.split("///", 1)[-1]
                if path and path != ":memory:":
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                self.engine: Engine = create_engine(url, connect_args={"timeout": 30})
                event.listen(self.engine, "connect", _sqlite_pragmas)
            else:
                self.engine = create_engine(url, pool_pre_ping=True)
            metadata.create_all(self.engine)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailableError(f"cannot open the store at {_safe(url)}: {_reason(exc)}") from exc

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        """Open the store the settings name."""
        return cls(database_url(settings))

    @contextmanager
    def _write(self) -> Iterator[Any]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            raise StoreUnavailableError(f"cannot write to the store at {_safe(self.url)}: {_reason(exc)}") from exc

    def save(self, analysis: Analysis, *, saved_by: str | None = None) -> str:
        """Store an analysis (replacing one with the same id) and return its id."""
        aid = analysis.article_id
        art = analysis.article
        row = {
            "article_id": aid, "title": art.title, "source": art.source, "published": art.published,
            "created": analysis.created or _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "saved_by": saved_by, "chars": len(art.text), "actor_count": len(analysis.actors),
            "statement_count": len(analysis.statements), "pipeline_version": analysis.pipeline_version,
            "payload": analysis.to_json(),
        }
        countries = [{"article_id": aid, "iso3": r["iso3"], "name": r["name"]}
                     for r in analysis.countries[["iso3", "name"]].to_dict(orient="records")]
        actors = [{"article_id": aid, "actor_id": r["actor_id"], "name": r["name"], "kind": r["kind"],
                   "country": r["country"] if isinstance(r["country"], str) else None}
                  for r in analysis.actors[["actor_id", "name", "kind", "country"]].to_dict(orient="records")]
        with self._write() as conn:
            for table in (analysis_actors, analysis_countries, analyses):
                conn.execute(delete(table).where(table.c.article_id == aid))
            try:
                conn.execute(insert(analyses), [row])
            except IntegrityError:  # another session saved the same analysis a moment ago: same content
                return aid
            if countries:
                conn.execute(insert(analysis_countries), countries)
            if actors:
                conn.execute(insert(analysis_actors), actors)
        return aid

    def load(self, article_id: str) -> Analysis:
        """Return a stored analysis.

        Raises:
            InvalidAnalysisIdError: the id is malformed.
            AnalysisNotFoundError: no analysis has this id.
        """
        aid = check_id(article_id)
        try:
            with self.engine.connect() as conn:
                payload = conn.execute(select(analyses.c.payload).where(analyses.c.article_id == aid)).scalar()
        except OperationalError as exc:
            raise StoreUnavailableError(f"cannot read the store at {_safe(self.url)}: {_reason(exc)}") from exc
        if payload is None:
            raise AnalysisNotFoundError(f"no analysis with id {aid} in this store; it may have been deleted, "
                                        "or the link comes from another Stance Atlas")
        return Analysis.from_dict(json.loads(payload))

    def exists(self, article_id: str) -> bool:
        """True when an analysis with this id is stored."""
        aid = check_id(article_id)
        with self.engine.connect() as conn:
            return conn.execute(select(analyses.c.article_id).where(analyses.c.article_id == aid)).first() is not None

    def delete(self, article_id: str) -> bool:
        """Delete a stored analysis; return whether there was one."""
        aid = check_id(article_id)
        with self._write() as conn:
            for table in (analysis_actors, analysis_countries):
                conn.execute(delete(table).where(table.c.article_id == aid))
            return conn.execute(delete(analyses).where(analyses.c.article_id == aid)).rowcount > 0

    def list(self, *, search: str | None = None, source: str | None = None, country: str | None = None,
             actor: str | None = None, published_from: str | None = None, published_to: str | None = None,
             limit: int = 200) -> pd.DataFrame:
        """Stored analyses, newest first, optionally filtered.

        Returns:
            DataFrame with article_id, title, source, published, created, saved_by, chars, actor_count,
            statement_count, countries (list of ISO codes).
        """
        cols = [analyses.c.article_id, analyses.c.title, analyses.c.source, analyses.c.published,
                analyses.c.created, analyses.c.saved_by, analyses.c.chars, analyses.c.actor_count,
                analyses.c.statement_count]
        query = select(*cols)
        if search:
            like = f"%{search.lower()}%"
            query = query.where(or_(func.lower(analyses.c.title).like(like), func.lower(analyses.c.source).like(like),
                                    analyses.c.article_id.in_(select(analysis_actors.c.article_id).where(
                                        func.lower(analysis_actors.c.name).like(like)))))
        if source:
            query = query.where(analyses.c.source == source)
        if published_from:
            query = query.where(analyses.c.published >= published_from)
        if published_to:
            query = query.where(analyses.c.published <= published_to)
        if country:
            query = query.where(analyses.c.article_id.in_(
                select(analysis_countries.c.article_id).where(analysis_countries.c.iso3 == country)))
        if actor:
            query = query.where(analyses.c.article_id.in_(
                select(analysis_actors.c.article_id).where(analysis_actors.c.name == actor)))
        query = query.order_by(analyses.c.created.desc(), analyses.c.article_id).limit(limit)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
            ids = [r["article_id"] for r in rows]
            by_id: dict[str, list[str]] = {i: [] for i in ids}
            if ids:
                for r in conn.execute(select(analysis_countries.c.article_id, analysis_countries.c.iso3)
                                      .where(analysis_countries.c.article_id.in_(ids))
                                      .order_by(analysis_countries.c.iso3)):
                    by_id[r.article_id].append(r.iso3)
        df = pd.DataFrame(rows, columns=[c.name for c in cols])
        df["countries"] = [by_id.get(i, []) for i in df["article_id"]]
        return df

    def count(self) -> int:
        """Number of stored analyses."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(analyses)).scalar() or 0)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
    except Exception:
        pass
    finally:
        cur.close()


def _safe(url: str) -> str:
    """The URL without its password."""
    return re.sub(r"//([^:/@]+):[^@]+@", r"//\1:***@", url)


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    return text[:200]
