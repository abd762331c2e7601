"""Settings of Stance Atlas, read from environment variables in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import NamedTuple

from analysis.errors import InvalidSettingError

#: The repository root (the folder holding `analysis/` and `data/`).
ROOT = Path(__file__).resolve().parent.parent
#: The folder of the models we ship: one sub-folder per model (attribution, sentiment, stance).
MODELS_DIR = ROOT / "data" / "models"


class Setting(NamedTuple):
    """One setting: its environment variable, default (as text) and a help line."""

    env: str
    default: str
    help: str


def shared_dir() -> Path:
    """Return the folder of shared training and evaluation data (datasets, the seed article).

    `$STANCE_ATLAS_SHARED` if set, else `../shared` beside the repository. Only training, evaluation and tests
    read it; the app never does.
    """
    env = os.environ.get("STANCE_ATLAS_SHARED")
    return Path(env) if env else (ROOT / ".." / "shared").resolve()


#: Every setting, documented. The README's settings table lists each one; a test checks that.
SETTINGS: dict[str, Setting] = {
    "data_dir": Setting("STANCE_ATLAS_DATA_DIR", "data/store",
                        "Folder of the default SQLite store (relative paths are relative to the repository root)."),
    "database_url": Setting("DATABASE_URL", "",
                            "SQLAlchemy URL of the store, e.g. postgresql+psycopg://user:pw@host/db; "
                            "empty means a SQLite file in the data folder."),
    "max_chars": Setting("STANCE_ATLAS_MAX_CHARS", "200000", "Longest article accepted, in characters."),
    "allowed_viewers": Setting("STANCE_ATLAS_ALLOWED_VIEWERS", "",
                               "When sign-in is on: who may view, as comma-separated e-mail addresses and @domains; "
                               "empty means anyone who can sign in."),
    "torch_threads": Setting("STANCE_ATLAS_TORCH_THREADS", "0",
                             "Threads each process gives the transformer models (torch or ONNX Runtime); 0 lets "
                             "the runtime choose (one per core)."),
    "runtime": Setting("STANCE_ATLAS_RUNTIME", "auto",
                       "What runs the transformer models: auto (their ONNX exports where onnxruntime is installed, "
                       "else torch), onnx or torch (needs torch and transformers)."),
    "tagger_precision": Setting("STANCE_ATLAS_TAGGER_PRECISION", "auto",
                                "Numeric precision of the attribution tagger: auto (bf16 where the CPU has bf16 "
                                "units, else fp32), bf16, fp32 or int8."),
}


_PRECISIONS = ("auto", "bf16", "fp32", "int8")
_RUNTIMES = ("auto", "onnx", "torch")


@dataclass(frozen=True)
class Settings:
    """Resolved settings; build with `load_settings()`."""

    data_dir: Path
    database_url: str
    max_chars: int
    torch_threads: int = 0
    allowed_viewers: str = ""
    tagger_precision: str = "auto"
    runtime: str = "auto"

    def replace(self, **changes: object) -> Settings:
        """Return a copy with some values changed."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Settings(**values)  # type: ignore[arg-type]


def load_settings(env: Mapping[str, str] | None = None, *, overrides: Mapping[str, str] | None = None) -> Settings:
    """Read settings from environment variables, with `overrides` (e.g. Streamlit secrets) taking precedence.

    Args:
        env: the environment to read (default `os.environ`).
        overrides: values keyed by environment variable name that win over `env`.

    Returns:
        The resolved `Settings`.

    Raises:
        InvalidSettingError: a value cannot be parsed (e.g. a non-integer `STANCE_ATLAS_MAX_CHARS`).
    """
    env = dict(os.environ if env is None else env)
    env.update({k: str(v) for k, v in (overrides or {}).items()})

    def get(name: str) -> str:
        setting = SETTINGS[name]
        return env.get(setting.env, setting.default) or setting.default

    data_dir = Path(get("data_dir")).expanduser()
    if not data_dir.is_absolute():
        data_dir = ROOT / data_dir
    numbers = {}
    for name in ("max_chars", "torch_threads"):
        try:
            numbers[name] = int(get(name))
        except ValueError as exc:
            raise InvalidSettingError(f"{SETTINGS[name].env} must be a whole number, not {get(name)!r}") from exc
    precision = get("tagger_precision")
    if precision not in _PRECISIONS:
        raise InvalidSettingError(f"{SETTINGS['tagger_precision'].env} must be one of {', '.join(_PRECISIONS)}, "
                                  f"not {precision!r}")
    runtime = get("runtime")
    if runtime not in _RUNTIMES:
        raise InvalidSettingError(f"{SETTINGS['runtime'].env} must be one of {', '.join(_RUNTIMES)}, not {runtime!r}")
    return Settings(data_dir=data_dir, database_url=get("database_url"), allowed_viewers=get("allowed_viewers"),
                    tagger_precision=precision, runtime=runtime, **numbers)
