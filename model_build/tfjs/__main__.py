"""`python -m model_build.tfjs export MODEL.keras OUT/`: any Keras 3 model → TF.js Layers files.

Needs TensorFlow and Keras only (no MkDocs). Exit status: 0 written, 1 refused (the message names
the layer or file and what to do; nothing was written), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from ..errors import ModelBuildError
from .weights import DEFAULT_SHARD_BYTES, QUANTIZATIONS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m model_build.tfjs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write a saved Keras 3 model as model.json + weight shards")
    export.add_argument("model", type=Path, help="the .keras file (model.save('model.keras'))")
    export.add_argument("directory", type=Path, help="output folder: new, empty, or holding an earlier export")
    export.add_argument("--quantize", choices=QUANTIZATIONS, default="none",
                        help="how weights are stored: none (float32, default), float16, or uint8 (affine, per weight)")
    export.add_argument("--shard-bytes", type=_positive_int, default=DEFAULT_SHARD_BYTES, metavar="N",
                        help="largest weight file, in bytes (default: %(default)s)")
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of bytes") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up notices are not ours to print
    from .exporter import export

    started = time.perf_counter()
    try:
        written = export(arguments.model, arguments.directory,
                         quantization=arguments.quantize, shard_bytes=arguments.shard_bytes)
    except ModelBuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - started
    print(f"wrote {written.directory}: {', '.join(written.files)} "
          f"({written.weight_bytes:,} bytes of weights, {arguments.quantize}) in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
