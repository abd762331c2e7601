"""The store of analyses: SQLAlchemy over a SQLite file (default) or PostgreSQL (`DATABASE_URL`).

Each analysis is kept whole (its JSON) under its id, with columns for listing and filtering, and the countries,
actors and per-country stance counts it involves in side tables (for the Library's filters and the Trends page).
Analysts' corrections (an actor's country, two actors merged, a statement's stance or target) are kept apart, with
who made them, and applied on every load without re-running the models.

The schema is SQLAlchemy metadata plus a `schema_version` table; `_MIGRATIONS` lists the steps from one version to
the next, run once in a transaction when a store is opened. Writes run in transactions and are retried when SQLite
is busy or PostgreSQL reports a serialisation failure or deadlock. Every query is parameterised. Only this module
touches the store's files.
"""

from __future__ import annotations

import datetime as _dt
import json
import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

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
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError

from analysis.errors import (
    AnalysisNotFoundError,
    InvalidAnalysisIdError,
    StoreUnavailableError,
)
from analysis.pipeline import Analysis
from analysis.settings import ROOT, Settings
from analysis.stages.article import opening_words

ID_PATTERN = re.compile(r"^[0-9a-f]{16}$")
SQLITE_FILE = "stance_atlas.sqlite"
SCHEMA_VERSION = 4
_RETRIES = 8
T = TypeVar("T")

metadata = MetaData()

analyses = Table(
    "analyses",
    metadata,
    Column("article_id", String(16), primary_key=True),
    Column("title", Text),
    Column("source", Text, index=True),
    Column("published", String(10), index=True),
    Column("created", String(32), nullable=False, index=True),
    Column("saved_by", Text),
    Column("chars", Integer, nullable=False),
    Column("actor_count", Integer, nullable=False),
    Column("statement_count", Integer, nullable=False),
    Column("pipeline_version", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Column("opening", Text),  # the text's first words, the Library's name of an untitled analysis (version 4)
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
analysis_stances = Table(
    "analysis_stances",
    metadata,
    Column("article_id", String(16), primary_key=True),
    Column("iso3", String(3), primary_key=True, index=True),
    Column("stance", String(20), primary_key=True),
    Column("statements", Integer, nullable=False),
)
corrections = Table(
    "corrections",
    metadata,
    Column("correction_id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", String(16), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # country | merge | stance | target
    Column("actor_id", String(200), nullable=False),  # the actor corrected; for stance and target its speaker (or "")
    Column("value", String(200)),  # country: an ISO code (or null); merge: the actor merged into; stance: the label;
    #                                target: the target actor (or null: no target)
    Column("statement_id", Integer),  # stance and target: the statement corrected (version 3)
    Column("made_by", Text, nullable=False),
    Column("made_at", String(32), nullable=False),
)
schema_version = Table("schema_version", metadata, Column("version", Integer, primary_key=True))
_SIDE_TABLES = (analysis_actors, analysis_countries, analysis_stances)
_CORRECTION_COLUMNS = ["correction_id", "article_id", "kind", "actor_id", "statement_id", "value", "made_by", "made_at"]


def _migrate_1_to_2(conn: Connection) -> None:
    """Version 2 added per-country stance counts and corrections: fill the counts of analyses stored before."""
    for (aid, payload) in conn.execute(select(analyses.c.article_id, analyses.c.payload)).all():
        rows = _stance_rows(Analysis.from_dict(json.loads(payload)))
        conn.execute(delete(analysis_stances).where(analysis_stances.c.article_id == aid))
        if rows:
            conn.execute(insert(analysis_stances), rows)


def _migrate_2_to_3(conn: Connection) -> None:
    """Version 3 added statement corrections (stance, target): the corrections table gets a statement_id column
    (a version-1 store got the table, with the column, from `create_all` just before)."""
    if "statement_id" not in {c["name"] for c in inspect(conn).get_columns("corrections")}:
        conn.execute(sql_text("ALTER TABLE corrections ADD COLUMN statement_id INTEGER"))


def _migrate_3_to_4(conn: Connection) -> None:
    """Version 4 added each analysis's opening words (the Library names an untitled analysis by them): add the
    column (a store made before got the table from `create_all` without it) and fill it from the stored texts."""
    if "opening" not in {c["name"] for c in inspect(conn).get_columns("analyses")}:
        conn.execute(sql_text("ALTER TABLE analyses ADD COLUMN opening TEXT"))
    for (aid, payload) in conn.execute(select(analyses.c.article_id, analyses.c.payload)).all():
        text = json.loads(payload).get("article", {}).get("text", "")
        conn.execute(update(analyses).where(analyses.c.article_id == aid).values(opening=opening_words(text)))


#: version -> the step that brings a store of that version to the next one
_MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _migrate_1_to_2, 2: _migrate_2_to_3, 3: _migrate_3_to_4}

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


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _stance_rows(analysis: Analysis) -> list[dict[str, Any]]:
    statements = analysis.statements
    if not len(statements):
        return []
    counts = statements.dropna(subset=["speaker_country"]).groupby(["speaker_country", "stance"]).size()
    return [{"article_id": analysis.article_id, "iso3": str(iso3), "stance": str(stance), "statements": int(n)}
            for (iso3, stance), n in counts.items()]


def _transient(exc: DBAPIError) -> bool:
    """True for errors a retry can cure: SQLite busy/locked, PostgreSQL serialisation failure or deadlock."""
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return "locked" in text or "busy" in text or code in ("40001", "40P01")


class Store:
    """Analyses kept in a SQL database.

    Args:
        url: a SQLAlchemy URL (`sqlite:///path`, `postgresql+psycopg://user:pw@host/db`).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        try:
            if self.is_sqlite:
                path = url.split("///", 1)[-1]
                if path and path != ":memory:" and not path.startswith("file:"):
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                self.engine: Engine = create_engine(url, connect_args={"timeout": 30})
                event.listen(self.engine, "connect", _sqlite_pragmas)
            else:
                self.engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
            self._retry(self._migrate)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailableError(f"cannot open the store at {_safe(url)}: {_reason(exc)}") from exc

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        """Open the store the settings name."""
        return cls(database_url(settings))

    def _migrate(self) -> None:
        with self.engine.begin() as conn:
            fresh = not self.engine.dialect.has_table(conn, "analyses")
            metadata.create_all(conn)
            current = conn.execute(select(func.max(schema_version.c.version))).scalar()
            if current is None:
                current = SCHEMA_VERSION if fresh else 1
                conn.execute(insert(schema_version), [{"version": current}])
            while current < SCHEMA_VERSION:
                _MIGRATIONS[current](conn)
                current += 1
                conn.execute(update(schema_version).values(version=current))

    def version(self) -> int:
        """The schema version of this store."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(schema_version.c.version))).scalar() or 0)

    def _retry(self, action: Callable[[], T]) -> T:
        """Run a write, retrying transient lock or serialisation failures with growing, jittered waits."""
        for attempt in range(_RETRIES):
            try:
                return action()
            except OperationalError as exc:
                if attempt == _RETRIES - 1 or not _transient(exc):
                    raise
            except DBAPIError as exc:
                if attempt == _RETRIES - 1 or not _transient(exc) or isinstance(exc, IntegrityError):
                    raise
            time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))
        raise AssertionError("unreachable")

    @contextmanager
    def _errors(self, verb: str) -> Iterator[None]:
        try:
            yield
        except (OperationalError, DBAPIError) as exc:
            if isinstance(exc, IntegrityError):
                raise
            raise StoreUnavailableError(f"cannot {verb} the store at {_safe(self.url)}: {_reason(exc)}") from exc

    def save(self, analysis: Analysis, *, saved_by: str | None = None) -> Analysis:
        """Store an analysis (replacing one with the same id; its corrections stay).

        Returns:
            The analysis as stored: with the corrections analysts made to it applied (the same object when there
            are none), so that a caller need not load it again.
        """
        aid = analysis.article_id
        art = analysis.article
        row = {
            "article_id": aid, "title": art.title, "source": art.source, "published": art.published,
            "created": analysis.created or _now(), "saved_by": saved_by, "chars": len(art.text),
            "actor_count": len(analysis.actors), "statement_count": len(analysis.statements),
            "pipeline_version": analysis.pipeline_version,
            "payload": json.dumps(analysis.to_dict(), ensure_ascii=False), "opening": art.opening,
        }

        def write() -> Analysis:
            with self.engine.begin() as conn:
                conn.execute(delete(analyses).where(analyses.c.article_id == aid))
                conn.execute(insert(analyses), [row])
                stored = self._apply(conn, analysis)
                self._write_side_tables(conn, stored)
                return stored

        with self._errors("write to"):
            try:
                return self._retry(write)
            except IntegrityError:  # another session saved the same analysis a moment ago: same content, nothing lost
                return self.load(aid)

    def _write_side_tables(self, conn: Connection, analysis: Analysis) -> None:
        aid = analysis.article_id
        for table in _SIDE_TABLES:
            conn.execute(delete(table).where(table.c.article_id == aid))
        countries = [{"article_id": aid, "iso3": r["iso3"], "name": r["name"]}
                     for r in analysis.countries[["iso3", "name"]].to_dict(orient="records")]
        actors = [{"article_id": aid, "actor_id": r["actor_id"], "name": r["name"], "kind": r["kind"],
                   "country": r["country"] if isinstance(r["country"], str) else None}
                  for r in analysis.actors[["actor_id", "name", "kind", "country"]].to_dict(orient="records")]
        for table, rows in ((analysis_countries, countries), (analysis_actors, actors),
                            (analysis_stances, _stance_rows(analysis))):
            if rows:
                conn.execute(insert(table), rows)

    def _apply(self, conn: Connection, analysis: Analysis) -> Analysis:
        from analysis.dashboard.corrections import apply_corrections

        rows = conn.execute(select(corrections).where(corrections.c.article_id == analysis.article_id)
                            .order_by(corrections.c.correction_id)).mappings().all()
        return apply_corrections(analysis, [dict(r) for r in rows]) if rows else analysis

    def load(self, article_id: str, *, corrected: bool = True) -> Analysis:
        """Return a stored analysis, with its corrections applied (unless `corrected=False`).

        Raises:
            InvalidAnalysisIdError: the id is malformed.
            AnalysisNotFoundError: no analysis has this id.
        """
        aid = check_id(article_id)
        with self._errors("read"), self.engine.connect() as conn:
            payload = conn.execute(select(analyses.c.payload).where(analyses.c.article_id == aid)).scalar()
            if payload is None:
                raise AnalysisNotFoundError(f"no analysis with id {aid} in this store; it may have been deleted, "
                                            "or the link comes from another Stance Atlas")
            analysis = Analysis.from_dict(json.loads(payload))
            return self._apply(conn, analysis) if corrected else analysis

    def exists(self, article_id: str) -> bool:
        """True when an analysis with this id is stored."""
        aid = check_id(article_id)
        with self._errors("read"), self.engine.connect() as conn:
            return conn.execute(select(analyses.c.article_id).where(analyses.c.article_id == aid)).first() is not None

    def existing(self, article_ids: list[str]) -> set[str]:
        """Which of these ids are stored (for resumable batches)."""
        found: set[str] = set()
        with self._errors("read"), self.engine.connect() as conn:
            for start in range(0, len(article_ids), 500):
                chunk = article_ids[start:start + 500]
                found |= {r[0] for r in conn.execute(select(analyses.c.article_id)
                                                     .where(analyses.c.article_id.in_(chunk)))}
        return found

    def delete(self, article_id: str) -> bool:
        """Delete a stored analysis and its corrections; return whether there was one."""
        aid = check_id(article_id)

        def write() -> bool:
            with self.engine.begin() as conn:
                for table in (*_SIDE_TABLES, corrections):
                    conn.execute(delete(table).where(table.c.article_id == aid))
                return conn.execute(delete(analyses).where(analyses.c.article_id == aid)).rowcount > 0

        with self._errors("write to"):
            return self._retry(write)

    # ---- corrections -------------------------------------------------------------------------------------------

    def correct(self, article_id: str, *, kind: str, actor_id: str | None = None, value: str | None, made_by: str,
                statement_id: int | None = None) -> Analysis:
        """Record an analyst's correction and return the analysis with all its corrections applied.

        Args:
            article_id: the analysis.
            kind: "country" (set the actor's country to the ISO code `value`, or None for no country), "merge"
                (merge the actor into the actor `value`), "stance" (set the statement's stance to the label `value`)
                or "target" (set the statement's target to the actor `value`, or None for no target).
            actor_id: the actor corrected (country, merge); recorded as the statement's speaker for stance and target.
            value: see `kind`.
            made_by: who made it (an e-mail, or "local" where sign-in is off).
            statement_id: the statement corrected (stance, target).

        Raises:
            CorrectionError: the actor, statement, label, target or country code is unknown, or a merge names one
                actor twice.
        """
        from analysis.dashboard.corrections import STATEMENT_KINDS, check_correction

        aid = check_id(article_id)
        analysis = self.load(aid)
        check_correction(analysis, kind=kind, actor_id=actor_id, value=value, statement_id=statement_id)
        if kind in STATEMENT_KINDS:
            said = analysis.statements.set_index("statement_id")["speaker_actor_id"]
            speaker = said.get(int(statement_id))
            actor_id, statement_id = (speaker if isinstance(speaker, str) else ""), int(statement_id)
        else:
            statement_id = None
        row = {"article_id": aid, "kind": kind, "actor_id": actor_id, "value": value, "made_by": made_by,
               "made_at": _now(), "statement_id": statement_id}

        def write() -> Analysis:
            with self.engine.begin() as conn:
                conn.execute(insert(corrections), [row])
                payload = conn.execute(select(analyses.c.payload).where(analyses.c.article_id == aid)).scalar()
                fixed = self._apply(conn, Analysis.from_dict(json.loads(payload)))
                self._write_side_tables(conn, fixed)
                return fixed

        with self._errors("write to"):
            return self._retry(write)

    def corrections(self, article_id: str | None = None, *, kinds: tuple[str, ...] | None = None) -> pd.DataFrame:
        """The corrections of an analysis (or, with no id, of every analysis), oldest first: correction_id,
        article_id, kind, actor_id, statement_id, value, made_by, made_at; only those of `kinds` when given."""
        query = select(corrections).order_by(corrections.c.correction_id)
        if article_id is not None:
            query = query.where(corrections.c.article_id == check_id(article_id))
        if kinds is not None:
            query = query.where(corrections.c.kind.in_(kinds))
        with self._errors("read"), self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        table = pd.DataFrame([dict(r) for r in rows], columns=_CORRECTION_COLUMNS)
        table["statement_id"] = table["statement_id"].astype("Int64")
        return table

    # ---- listing and trends ------------------------------------------------------------------------------------

    def list(self, *, search: str | None = None, source: str | None = None, country: str | None = None,
             actor: str | None = None, published_from: str | None = None, published_to: str | None = None,
             limit: int = 200) -> pd.DataFrame:
        """Stored analyses, newest first, optionally filtered.

        Returns:
            DataFrame with article_id, title, opening (the text's first words), source, published, created,
            saved_by, chars, actor_count, statement_count, countries (list of ISO codes).
        """
        cols = [analyses.c.article_id, analyses.c.title, analyses.c.opening, analyses.c.source, analyses.c.published,
                analyses.c.created, analyses.c.saved_by, analyses.c.chars, analyses.c.actor_count,
                analyses.c.statement_count]
        query = select(*cols)
        if search:
            like = "%" + re.sub(r"([\\%_])", r"\\\1", search.lower()) + "%"
            query = query.where(or_(
                func.lower(analyses.c.title).like(like, escape="\\"),
                func.lower(analyses.c.opening).like(like, escape="\\"),
                func.lower(analyses.c.source).like(like, escape="\\"),
                analyses.c.article_id.in_(select(analysis_actors.c.article_id).where(
                    func.lower(analysis_actors.c.name).like(like, escape="\\")))))
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
        with self._errors("read"), self.engine.connect() as conn:
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

    def facets(self) -> dict[str, list[str]]:
        """Values to filter the Library by: sources, countries (ISO codes) and actor names, each sorted."""
        with self._errors("read"), self.engine.connect() as conn:
            sources = [r[0] for r in conn.execute(select(analyses.c.source).where(analyses.c.source.is_not(None))
                                                  .distinct().order_by(analyses.c.source))]
            countries = [r[0] for r in conn.execute(select(analysis_countries.c.iso3).distinct()
                                                    .order_by(analysis_countries.c.iso3))]
            actors = [r[0] for r in conn.execute(
                select(analysis_actors.c.name).where(analysis_actors.c.kind != "media").group_by(
                    analysis_actors.c.name).order_by(func.count().desc(), analysis_actors.c.name).limit(500))]
        return {"sources": sources, "countries": countries, "actors": actors}

    def stance_over_time(self, *, countries: list[str] | None = None, dated_only: bool = False) -> pd.DataFrame:
        """Statements per country, stance and date across stored analyses (date: published, else saved).

        Args:
            countries: only these ISO codes (all when empty).
            dated_only: leave out analyses without a publication date instead of placing them on the day saved.

        Returns:
            DataFrame: date (YYYY-MM-DD), iso3, stance, statements, articles.
        """
        day = func.coalesce(analyses.c.published, func.substr(analyses.c.created, 1, 10))
        query = (select(day.label("date"), analysis_stances.c.iso3, analysis_stances.c.stance,
                        func.sum(analysis_stances.c.statements).label("statements"),
                        func.count(func.distinct(analyses.c.article_id)).label("articles"))
                 .select_from(analyses.join(analysis_stances, analyses.c.article_id == analysis_stances.c.article_id))
                 .group_by(day, analysis_stances.c.iso3, analysis_stances.c.stance)
                 .order_by(day, analysis_stances.c.iso3))
        if countries:
            query = query.where(analysis_stances.c.iso3.in_(countries))
        if dated_only:
            query = query.where(analyses.c.published.is_not(None))
        with self._errors("read"), self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        df = pd.DataFrame(rows, columns=["date", "iso3", "stance", "statements", "articles"])
        return df.astype({"statements": "int64", "articles": "int64"})

    def count(self, *, undated: bool = False) -> int:
        """Number of stored analyses (with `undated`, only those without a publication date)."""
        query = select(func.count()).select_from(analyses)
        if undated:
            query = query.where(analyses.c.published.is_(None))
        with self._errors("read"), self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def clear(self) -> None:
        """Delete everything (tests and resets only)."""
        with self.engine.begin() as conn:
            for table in (*_SIDE_TABLES, corrections, analyses):
                conn.execute(delete(table))

    def dispose(self) -> None:
        """Close the connection pool."""
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA journal_mode=WAL")
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
