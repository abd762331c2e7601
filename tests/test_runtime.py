"""The ONNX runtime: the same tokens as transformers, the same answers as torch (within the export's rounding), no
torch import on its path, exports checked by hash and rebuilt by their command."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis.errors import InvalidSettingError, ModelMismatchError, ModelNotInstalledError
from analysis.models import runtime
from analysis.models.attribution import encode, load_tagger
from analysis.models.encoder import load_tokenizer, load_word_pieces
from analysis.models.sentiment import SentimentModel
from analysis.models.stance import StanceInput, StanceModel
from analysis.pipeline import ensure_exports
from analysis.settings import ROOT, load_settings

SAMPLES = sorted((ROOT / "data" / "samples").glob("*.txt"))
SAMPLE = ROOT / "data" / "samples" / "philippines-china-shoal-protest.txt"


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?”\"])\s+", text) if len(s.strip()) > 30]


def _targets(text: str) -> list[tuple[str, int, int]]:
    """(sentence, start, end) of every capitalised word after a sentence's first word: the names in the article."""
    items = []
    for sentence in _sentences(text):
        for m in re.finditer(r"(?<=\s)[A-Z][a-z]+(?: [A-Z][a-z]+)*", sentence):
            items.append((sentence, m.start(), m.end()))
    return items


def test_word_pieces_give_the_ids_and_offsets_of_the_transformers_tokenizer() -> None:
    texts = [path.read_text(encoding="utf-8") for path in SAMPLES]
    texts += [line for text in texts for line in text.splitlines()]
    texts += ["", "  ", "Café “quoted” — naïve 北京 🙂 x\u200by ¶", "[MASK] said", "[", "]"]
    fast, reference = load_word_pieces(), load_tokenizer()
    for kwargs in ({"add_special_tokens": False, "return_offsets_mapping": True}, {}):
        ours, theirs = fast(texts, **kwargs), reference(texts, verbose=False, **kwargs)
        assert ours["input_ids"] == theirs["input_ids"]
        if "offset_mapping" in theirs:
            assert [[tuple(o) for o in row] for row in ours["offset_mapping"]] == \
                [[tuple(o) for o in row] for row in theirs["offset_mapping"]]
    single = fast(texts[0], add_special_tokens=False, return_offsets_mapping=True)
    assert single["input_ids"] == reference(texts[0], add_special_tokens=False, verbose=False)["input_ids"]
    assert (fast.cls_token_id, fast.sep_token_id, fast.mask_token_id) == (101, 102, 103)
    assert fast.convert_tokens_to_ids(["[", "]"]) == reference.convert_tokens_to_ids(["[", "]"])


def test_sentiment_on_onnx_agrees_with_torch_on_a_sample_article() -> None:
    items = _targets(SAMPLE.read_text(encoding="utf-8"))
    assert len(items) >= 30
    onnx_model, torch_model = SentimentModel.load(runtime="onnx"), SentimentModel.load(runtime="torch")
    assert (onnx_model.runtime, torch_model.runtime) == ("onnx", "torch")
    ours, theirs = onnx_model.predict(items), torch_model.predict(items)
    agree = np.mean([a.polarity == b.polarity for a, b in zip(ours, theirs, strict=True)])
    diff = np.mean([abs(a.positive - b.positive) + abs(a.negative - b.negative) for a, b in zip(ours, theirs,
                                                                                               strict=True)])
    assert agree >= 0.9, agree
    assert diff < 0.05, diff


def test_stance_on_onnx_agrees_with_torch_on_a_sample_article() -> None:
    items = [StanceInput(s) for s in _sentences(SAMPLE.read_text(encoding="utf-8"))]
    onnx_model, torch_model = StanceModel.load(runtime="onnx"), StanceModel.load(runtime="torch")
    ours = np.array(onnx_model.probabilities(items))
    theirs = np.array(torch_model.probabilities(items))
    assert np.allclose(ours.sum(1), 1.0)
    assert np.mean(ours.argmax(1) == theirs.argmax(1)) >= 0.85
    assert np.abs(ours - theirs).mean() < 0.03


def test_the_tagger_on_onnx_labels_word_pieces_as_torch_does() -> None:
    encoded = [encode(path.read_text(encoding="utf-8")) for path in SAMPLES[:3]]
    ours = load_tagger(runtime="onnx").predict_labels(encoded)
    theirs = load_tagger(runtime="torch", precision="fp32").predict_labels(encoded)
    same = sum(a == b for row_a, row_b in zip(ours, theirs, strict=True) for a, b in zip(row_a, row_b, strict=True))
    total = sum(len(row) for row in theirs)
    assert total > 1000
    assert same / total >= 0.97, same / total


def test_the_onnx_path_imports_neither_torch_nor_transformers() -> None:
    code = (
        "import sys; from pathlib import Path; from analysis import analyze; "
        f"a = analyze(Path({str(SAMPLE)!r}).read_text(encoding='utf-8')); "
        "print(len(a.statements), a.models['runtime'], "
        "sys.modules.get('torch') is not None, 'transformers' in sys.modules)"
    )
    env = {**os.environ, "STANCE_ATLAS_RUNTIME": "onnx"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300, check=True).stdout.split()
    assert int(out[0]) > 3
    assert out[1] == "onnxruntime" and out[-2:] == ["False", "False"]


def test_every_shipped_export_matches_its_adapter() -> None:
    ensure_exports()  # built from the adapters on the first run (a fresh clone has none)
    for name, folder in (("sentiment", SentimentModel.default_dir), ("stance", StanceModel.default_dir),
                         ("attribution", ROOT / "data" / "models" / "attribution")):
        manifest = runtime.check_export(folder, name=name)
        assert manifest["model"] == name
        assert manifest["bytes"] == (folder / runtime.ONNX_FILE).stat().st_size < 25_000_000


def test_a_tampered_stale_or_missing_export_is_refused_with_the_export_command(tmp_path: Path) -> None:
    ensure_exports()
    folder = tmp_path / "stance"
    shutil.copytree(StanceModel.default_dir, folder)
    runtime.check_export(folder, name="stance")
    graph = folder / runtime.ONNX_FILE
    data = bytearray(graph.read_bytes())
    data[len(data) // 2] ^= 0xFF
    graph.write_bytes(bytes(data))
    with pytest.raises(ModelMismatchError, match=r"does not match the sha256 .*python -m analysis\.models export"):
        StanceModel.from_export(folder)
    shutil.copy(StanceModel.default_dir / runtime.ONNX_FILE, graph)
    config = folder / "adapter_config.json"
    config.write_text(config.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(ModelMismatchError, match=r"made from another adapter_config\.json .*analysis\.models export"):
        StanceModel.from_export(folder)
    graph.unlink()
    with pytest.raises(ModelNotInstalledError, match=r"encoder\.onnx missing .*python -m analysis\.models "
                                                     r"export .*STANCE_ATLAS_RUNTIME=torch"):
        StanceModel.from_export(folder)


def test_the_runtime_setting_and_a_missing_onnxruntime(monkeypatch) -> None:
    assert load_settings({}).runtime == "auto"
    assert load_settings({"STANCE_ATLAS_RUNTIME": "torch"}).runtime == "torch"
    with pytest.raises(InvalidSettingError, match=r"STANCE_ATLAS_RUNTIME must be one of auto, onnx, torch"):
        load_settings({"STANCE_ATLAS_RUNTIME": "gpu"})
    assert runtime.chosen_runtime("auto") == "onnx"  # onnxruntime is in requirements.txt
    assert runtime.chosen_runtime("torch") == "torch"
    monkeypatch.setattr(runtime, "onnxruntime_installed", lambda: False)  # as on a set-up without the package
    assert runtime.chosen_runtime("auto") == "torch"
    with pytest.raises(ModelNotInstalledError, match=r"pip install onnxruntime==1\.32\.0"):
        runtime.chosen_runtime("onnx")


def test_the_export_command_rebuilds_what_ships(tmp_path: Path) -> None:
    pytest.importorskip("onnx", reason="the export needs onnx (requirements-dev.txt)")
    proc = subprocess.run([sys.executable, "-m", "analysis.models", "export", "--model", "stance", "--into",
                           str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert re.search(r"stance: .*encoder\.onnx \((int8|fp16), \d\d\.\d MB, sha256 [0-9a-f]{12}…\)", proc.stdout)
    built = json.loads((tmp_path / "stance" / runtime.MANIFEST_FILE).read_text(encoding="utf-8"))
    shipped = json.loads((StanceModel.default_dir / runtime.MANIFEST_FILE).read_text(encoding="utf-8"))
    assert built["sources"] == shipped["sources"]
    items = [StanceInput(s) for s in _sentences(SAMPLE.read_text(encoding="utf-8"))]
    rebuilt = np.array(StanceModel.from_export(tmp_path / "stance").probabilities(items))
    assert np.abs(rebuilt - np.array(StanceModel.load(runtime="onnx").probabilities(items))).max() < 1e-4


def test_a_model_without_an_export_gets_one_built_from_its_adapter_on_first_load(tmp_path: Path) -> None:
    folder = tmp_path / "stance"
    shutil.copytree(StanceModel.default_dir, folder, ignore=shutil.ignore_patterns(runtime.ONNX_FILE,
                                                                                   runtime.MANIFEST_FILE))
    model = StanceModel.load(folder, runtime="onnx")
    manifest = runtime.check_export(folder, name="stance")
    assert manifest["precision"] == runtime.EXPORT_PRECISION["stance"]
    assert manifest["sources"]["adapter_model.safetensors"] == runtime.file_sha256(folder / "adapter_model.safetensors")
    items = [StanceInput(s) for s in _sentences(SAMPLE.read_text(encoding="utf-8"))[:8]]
    assert np.abs(np.array(model.probabilities(items))
                  - np.array(StanceModel.load(runtime="onnx").probabilities(items))).max() < 1e-4
