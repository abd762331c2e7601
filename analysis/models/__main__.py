"""`python -m analysis.models export [--model NAME ...] [--precision P] [--into DIR]`: build the models' ONNX files.

For each model (sentiment, stance, attribution) it merges the adapter into a fresh base encoder (hash checked),
exports the encoder body to ONNX at the model's precision (`analysis.models.runtime.EXPORT_PRECISION`: int8 weight
products, or float16-stored weights run in float32) and writes `encoder.onnx` and `onnx.json` (sha256 of the graph
and of the adapter files) into the model's folder under `data/models/`. The first load of a model builds its export
the same way when it has none: the exports are not in the repository, they are built from the adapters. Needs the
torch set-up, onnx and onnxruntime (all in `requirements.txt`). See `analysis.models.runtime`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import TextIO


def export(names: list[str], *, precision: str | None = None, into: Path | None = None,
           out: TextIO = sys.stdout) -> None:
    """Export the named models into their folders, or with `into` into copies of them under `into/<name>/` (see the
    module docstring)."""
    from analysis.models.runtime import MANIFEST_FILE, ONNX_FILE, build_export
    from analysis.pipeline import exported_models

    models = exported_models()
    for name in names:
        folder, base_sha, hint = models[name]
        if into is not None:
            copy = into / name
            shutil.copytree(folder, copy, dirs_exist_ok=True, ignore=shutil.ignore_patterns(ONNX_FILE, MANIFEST_FILE))
            folder = copy
        t0 = time.perf_counter()
        manifest = build_export(folder, name=name, base_sha256=base_sha, train_hint=hint, precision=precision)
        print(f"{name}: {folder / manifest['file']} ({manifest['precision']}, {manifest['bytes'] / 1e6:.1f} MB, "
              f"sha256 {manifest['sha256'][:12]}…) in {time.perf_counter() - t0:.1f} s", file=out)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m analysis.models`."""
    parser = argparse.ArgumentParser(prog="python -m analysis.models", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("export", help="build encoder.onnx + onnx.json next to each adapter")
    p.add_argument("--model", action="append", choices=("sentiment", "stance", "attribution"),
                   help="export only this model (repeatable; default all three)")
    p.add_argument("--precision", choices=("int8", "fp16", "fp32"),
                   help="for measuring: this precision for every model exported (default: "
                        "analysis.models.runtime.EXPORT_PRECISION)")
    p.add_argument("--into", type=Path, help="write into copies of the model folders under this folder instead")
    args = parser.parse_args(argv)
    export(args.model or ["sentiment", "stance", "attribution"], precision=args.precision, into=args.into)
    return 0


if __name__ == "__main__":
    sys.exit(main())
