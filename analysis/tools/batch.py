"""Many articles into the store: `python -m analysis batch DIR`, in parallel on Dask distributed.

A folder's `.txt`, `.html`/`.htm` and `.jsonl` files (searched recursively) are read, checked and given their article
ids here; those already in the store are skipped (so an interrupted batch resumes where it stopped); the rest are
analysed by Dask workers, each a process that loads the models once (a worker plugin), takes chunks of a few articles
per task, and saves each analysis into the store itself (one connection per worker); only ids and input errors come
back, shown under a progress bar.

Where the metadata comes from: a `.jsonl` line is `{"text": str, "title"?: str, "source"?: str, "published"?:
"YYYY-MM-DD", "id"?: str}` (one article per line; `id` only names the line in messages); an HTML file's `<title>`
is its title; otherwise the file name (without extension, `_` and `-` as spaces) is the title. `--source` gives an
outlet to articles that name none.

By default the cluster is local (`--workers` processes, one thread each); `--scheduler ADDRESS` sends the work to a
team's running Dask scheduler instead (its workers need this package and its models installed).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from analysis.errors import InputError, InputFileNotFoundError, InvalidInputLineError
from analysis.jsonl import jsonl_lines, numbered, parse_object, require
from analysis.settings import Settings, load_settings
from analysis.stages.article import decode_bytes, prepare_article

SUFFIXES = (".txt", ".html", ".htm", ".jsonl")


@dataclass(frozen=True)
class BatchItem:
    """One article to analyse: where it comes from (file, or file:line) and what `analyze` needs."""

    origin: str
    text: str
    title: str | None = None
    source: str | None = None
    published: str | None = None


@dataclass
class BatchReport:
    """What a batch did: ids analysed and skipped, failures with their messages, and timings."""

    analysed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    startup_seconds: float = 0.0
    workers: int = 0

    @property
    def rate(self) -> float:
        """Articles analysed per second, from the cluster being ready to the last result."""
        busy = self.seconds - self.startup_seconds
        return len(self.analysed) / busy if busy > 0 and self.analysed else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {"analysed": len(self.analysed), "skipped": len(self.skipped), "failed": len(self.failed),
                "failures": [{"origin": o, "error": e} for o, e in self.failed], "workers": self.workers,
                "seconds": round(self.seconds, 2), "startup_seconds": round(self.startup_seconds, 2),
                "articles_per_second": round(self.rate, 2)}


def _title_from_name(path: Path) -> str:
    return " ".join(path.stem.replace("_", " ").replace("-", " ").split())


def read_folder(folder: Path, *, source: str | None = None) -> tuple[list[BatchItem], list[tuple[str, str]]]:
    """Read every article in a folder (recursively), in file-name order.

    Returns:
        The articles, and the files or lines that could not be read, with the reason.

    Raises:
        InputFileNotFoundError: the folder does not exist or holds no article files.
    """

    if not folder.is_dir():
        raise InputFileNotFoundError(f"no such folder: {folder}")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not files:
        raise InputFileNotFoundError(f"{folder} holds no .txt, .html or .jsonl files")
    items: list[BatchItem] = []
    bad: list[tuple[str, str]] = []
    for path in files:
        name = str(path.relative_to(folder))
        try:
            text = decode_bytes(path.read_bytes(), name=name)
        except (InputError, OSError) as exc:
            bad.append((name, str(exc)))
            continue
        if path.suffix.lower() != ".jsonl":
            html = path.suffix.lower() in (".html", ".htm")
            items.append(BatchItem(name, text, None if html else _title_from_name(path), source))
            continue
        for n, line in numbered(jsonl_lines(text)):
            try:
                rec = require(parse_object(line, n, expected='"text" and optional title, source, published, id'), n,
                              {"text": str})
            except InvalidInputLineError as exc:
                bad.append((f"{name}:{n}", str(exc).removeprefix(f"line {n}: ")))
                continue
            meta = {k: rec.get(k) if isinstance(rec.get(k), str) else None for k in ("title", "source", "published")}
            origin = f"{name}:{n}" + (f" ({rec['id']})" if isinstance(rec.get("id"), str) else "")
            items.append(BatchItem(origin, rec["text"], meta["title"], meta["source"] or source, meta["published"]))
    return items, bad


def plan(items: list[BatchItem], settings: Settings) -> tuple[list[tuple[str, BatchItem]], list[tuple[str, str]]]:
    """Check each article and compute its id without running any model.

    Returns:
        (id, item) for every valid article (duplicates once), and (origin, message) for every invalid one.
    """
    from analysis.pipeline import model_versions, settings_fingerprint

    fingerprint = settings_fingerprint(model_versions())
    planned: dict[str, BatchItem] = {}
    bad: list[tuple[str, str]] = []
    for item in items:
        try:
            art = prepare_article(item.text, title=item.title, source=item.source, published=item.published,
                                  max_chars=settings.max_chars, fingerprint=fingerprint)
        except InputError as exc:
            bad.append((item.origin, str(exc)))
            continue
        planned.setdefault(art.article_id, item)
    return list(planned.items()), bad


def _load_models_on_worker() -> None:
    from analysis.pipeline import load_models

    load_models()


try:  # the plugin class needs distributed; importing this module must not
    from distributed import WorkerPlugin

    class LoadModels(WorkerPlugin):
        """Load the models once when a worker starts, so its first task is not the slow one."""

        name = "stance-atlas-models"

        def setup(self, worker: Any) -> None:
            _load_models_on_worker()
except ImportError:  # pragma: no cover - distributed is in requirements.txt
    LoadModels = None  # type: ignore[assignment,misc]


_WORKER_STORES: dict[str, Any] = {}


def analyse_and_save(items: list[BatchItem], url: str | None) -> list[tuple[str, Any, str | None]]:
    """On a worker: analyse a chunk of articles and save each into the store at `url` (opened once per worker
    process); return (origin, article id, None) per article saved, or (origin, None, message) for an input error.
    With `url=None` (workers on other machines, SQLite store on this one) the analysis goes back as data instead of
    its id, for the client to save."""
    from analysis.pipeline import analyze
    from analysis.store import Store

    store = None
    if url is not None:
        store = _WORKER_STORES.get(url)
        if store is None:
            store = _WORKER_STORES[url] = Store(url)
    out: list[tuple[str, Any, str | None]] = []
    for item in items:
        try:
            result = analyze(item.text, title=item.title, source=item.source, published=item.published)
        except InputError as exc:
            out.append((item.origin, None, str(exc)))
            continue
        if store is None:
            out.append((item.origin, result.to_dict(), None))
        else:
            store.save(result)
            out.append((item.origin, result.article_id, None))
    return out


def chunk_size(articles: int, workers: int) -> int:
    """Articles per task: about four tasks per worker (so the load evens out), at most 8 articles each."""
    return max(1, min(8, articles // max(1, workers * 4)))


def _client(scheduler: str | None, workers: int) -> Any:
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler, timeout="20s")
    # workers inherit the environment: one torch thread each, so N workers use N cores without oversubscription
    os.environ.setdefault("STANCE_ATLAS_TORCH_THREADS", "1")
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    return Client(cluster)


def run_batch(folder: Path, *, workers: int = 2, scheduler: str | None = None, source: str | None = None,
              settings: Settings | None = None, progress: bool = True, err: TextIO | None = None) -> BatchReport:
    """Analyse a folder of articles into the store; skip those already stored.

    Args:
        folder: the folder to read (recursively).
        workers: worker processes of the local cluster (ignored with `scheduler`).
        scheduler: address of a running Dask scheduler, e.g. `tcp://10.0.0.5:8786`.
        source: outlet for articles that name none.
        settings: store location and limits (default: `load_settings()`).
        progress: show a progress bar on `err`.
        err: where progress and per-article failures go (default: standard error).

    Returns:
        The `BatchReport`.

    Raises:
        InputFileNotFoundError: no such folder, or no article files in it.
        StoreUnavailableError: the store cannot be opened or written.
    """
    from tqdm import tqdm

    from analysis.store import Store

    err = err or sys.stderr
    settings = settings or load_settings()
    began = time.perf_counter()
    report = BatchReport()
    items, unreadable = read_folder(folder, source=source)
    planned, invalid = plan(items, settings)
    report.failed.extend(unreadable + invalid)
    store = Store.from_settings(settings)
    try:
        stored = store.existing([aid for aid, _ in planned])
        report.skipped = [aid for aid, _ in planned if aid in stored]
        todo = [(aid, item) for aid, item in planned if aid not in stored]
        if todo:
            _run(todo, store, report, workers=workers, scheduler=scheduler, progress=progress, err=err,
                 began=began, bar=tqdm)
    finally:
        store.dispose()
    report.seconds = time.perf_counter() - began
    for origin, message in report.failed:
        err.write(f"skipped {origin}: {message}\n")
    return report


def _run(todo: list[tuple[str, BatchItem]], store: Any, report: BatchReport, *, workers: int, scheduler: str | None,
         progress: bool, err: TextIO, began: float, bar: Any) -> None:
    """Send chunks of articles to the workers, which analyse and save them; collect what they report. Workers of a
    remote scheduler cannot reach a SQLite file here: then the analyses come back and are saved here."""
    from distributed import as_completed

    from analysis.pipeline import Analysis

    url = None if scheduler and store.is_sqlite else store.url
    with _client(scheduler, workers) as client:
        client.register_plugin(LoadModels())
        client.wait_for_workers(1, timeout=120)
        report.workers = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        report.startup_seconds = time.perf_counter() - began
        size = chunk_size(len(todo), report.workers)
        chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
        futures = [client.submit(analyse_and_save, [item for _, item in chunk], url,
                                 key=f"analyse-{chunk[0][0]}-{len(chunk)}", pure=False) for chunk in chunks]
        with bar(total=len(todo), unit="article", file=err, disable=not progress, desc="analysing") as pbar:
            for future in as_completed(futures):
                results = future.result()  # a model or store error on a worker propagates: every task would fail
                for origin, done, error in results:
                    if error is not None:
                        report.failed.append((origin, error))
                    elif isinstance(done, dict):
                        report.analysed.append(store.save(Analysis.from_dict(done)).article_id)
                    else:
                        report.analysed.append(done)
                pbar.update(len(results))


def iter_report_lines(report: BatchReport) -> Iterator[str]:
    """The closing summary of a batch, line by line."""
    yield (f"analysed {len(report.analysed)}, skipped {len(report.skipped)} already stored, "
           f"failed {len(report.failed)}")
    if report.analysed:
        yield (f"{report.rate:.1f} articles/s on {report.workers} worker(s) after {report.startup_seconds:.1f} s "
               f"of start-up (models loaded once per worker); {report.seconds:.1f} s in all")
