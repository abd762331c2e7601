"""`python -m analysis.models export [--model NAME ...] [--precision P] [--into DIR]`: build the models' ONNX files.

For each model (sentiment, stance, attribution) it merges the adapter into a fresh base encoder (hash checked),
exports the encoder body to ONNX at the model's precision (`analysis.models.runtime.SHIPPED_PRECISION`: int8 weight
products, or float16-stored weights run in float32) and writes `encoder.onnx` and `onnx.json` (sha256 of the graph
and of the adapter files) into the model's folder under `data/models/`. Needs the torch set-up (`requirements.txt`)
and `onnx`, `onnxruntime`. See `analysis.models.runtime`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import TextIO


def model_dirs() -> dict[str, tuple[Path, str, str]]:
    """Model name -> (folder, base sha256 the adapter was trained on, training command)."""
    import json

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


def export(names: list[str], *, precision: str | None = None, into: Path | None = None,
           out: TextIO = sys.stdout) -> None:
    """Export the named models into their folders, or with `into` into copies of them under `into/<name>/` (see the
    module docstring)."""
    from analysis.models.heads import merged_encoder
    from analysis.models.runtime import MANIFEST_FILE, ONNX_FILE, SHIPPED_PRECISION, export_encoder, write_manifest

    dirs = model_dirs()
    for name in names:
        folder, base_sha, hint = dirs[name]
        if into is not None:
            copy = into / name
            shutil.copytree(folder, copy, dirs_exist_ok=True, ignore=shutil.ignore_patterns(ONNX_FILE, MANIFEST_FILE))
            folder = copy
        t0 = time.perf_counter()
        encoder = merged_encoder(folder, base_sha, adapter=f"{name} adapter in {folder}", train_hint=hint)
        chosen = precision or SHIPPED_PRECISION[name]
        export_encoder(encoder, folder, precision=chosen)
        manifest = write_manifest(folder, name=name, precision=chosen)
        print(f"{name}: {folder / manifest['file']} ({chosen}, {manifest['bytes'] / 1e6:.1f} MB, sha256 "
              f"{manifest['sha256'][:12]}…) in {time.perf_counter() - t0:.1f} s", file=out)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m analysis.models`."""
    parser = argparse.ArgumentParser(prog="python -m analysis.models", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("export", help="build encoder.onnx + onnx.json next to each shipped adapter")
    p.add_argument("--model", action="append", choices=("sentiment", "stance", "attribution"),
                   help="export only this model (repeatable; default all three)")
    p.add_argument("--precision", choices=("int8", "fp16", "fp32"),
                   help="for measuring: this precision for every model exported (default: what ships, "
                        "analysis.models.runtime.SHIPPED_PRECISION)")
    p.add_argument("--into", type=Path, help="write into copies of the model folders under this folder instead")
    args = parser.parse_args(argv)
    export(args.model or ["sentiment", "stance", "attribution"], precision=args.precision, into=args.into)
    return 0


if __name__ == "__main__":
    sys.exit(main())
