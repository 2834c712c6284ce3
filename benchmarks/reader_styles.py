"""Which writing habits a built model misreads for one simulated reader (teaching the page your handwriting).

    .venv/bin/python benchmarks/reader_styles.py ARTEFACT_DIR [--style NAME …] [--all]
        [--persons 5] [--first-person 0] [--drawings 50] [--seed 1]

`ARTEFACT_DIR` is a built model directory (model.json and metrics.json, as `python -m
model_build build` prints it, or a site's `assets/models/digits/`); the weights are loaded
exactly as TF.js decodes them (`model_build.mnist.build.shipped_model`).

For each style (default: every 1-, 4-, 7- and 9- habit; `--all`: every habit) and each of
`--persons` simulated readers (`model_build.mnist.drawn.reader`, person seeds from
`--first-person`), draws `--drawings` digits (drawing seed `--seed`) and prints the model's
accuracy and its most common wrong answer. A last column per style sums its readers up; the
readers the model reads worst come last.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from model_build.mnist.drawn.habits import BY_NAME, STYLE_NAMES  # noqa: E402
from model_build.mnist.drawn.reader import reader_drawings  # noqa: E402

DEFAULT_DIGITS = "1479"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path, help="a built artefact directory (model.json, metrics.json)")
    parser.add_argument("--style", action="append", choices=STYLE_NAMES, help="a style to try (repeatable)")
    parser.add_argument("--all", action="store_true", help="every style, not only the 1-, 4-, 7- and 9- ones")
    parser.add_argument("--persons", type=int, default=5, help="simulated readers per style")
    parser.add_argument("--first-person", type=int, default=0, help="the first reader's person seed")
    parser.add_argument("--drawings", type=int, default=50, help="drawings per reader")
    parser.add_argument("--seed", type=int, default=1, help="the drawings' seed")
    args = parser.parse_args()

    from model_build.mnist.build import shipped_model  # TensorFlow: only once the arguments are good

    styles = args.style or [name for name in STYLE_NAMES if args.all or name[0] in DEFAULT_DIGITS]
    persons = range(args.first_person, args.first_person + args.persons)
    model = shipped_model(args.model)
    started = time.perf_counter()
    print(f"model {args.model}: {args.drawings} drawings (seed {args.seed}) per reader, person seeds "
          f"{persons.start}–{persons.stop - 1}")
    header = " ".join(f"{'p' + str(p):>10}" for p in persons)
    print(f"{'style':<20} {header}  {'all':>6}  worst reader", flush=True)
    worst_overall = []
    for style in styles:
        digit = BY_NAME[style].digit
        cells, right = [], 0
        for person in persons:
            inputs, _ = reader_drawings(style, args.drawings, args.seed, person_seed=person)
            predicted = np.asarray(model(inputs[..., np.newaxis], training=False)).argmax(axis=1)
            correct = int((predicted == digit).sum())
            right += correct
            wrong = Counter(predicted[predicted != digit].tolist()).most_common(1)
            cells.append((correct / args.drawings, person, wrong[0] if wrong else None))
        accuracy, person, wrong = min(cells, key=lambda cell: cell[0])
        worst_overall.append((accuracy, style, person, wrong))
        row = " ".join(f"{_cell(a, w):>10}" for a, _, w in cells)
        print(f"{style:<20} {row}  {right / (args.drawings * len(persons)):6.1%}  p{person} {accuracy:.0%}", flush=True)
    print("(a cell: accuracy, then →d×n: the most common wrong answer d, given n times)")
    misread = sorted((item for item in worst_overall if item[0] < 1), key=lambda item: item[0])[:8]
    print("\neach style's worst reader, worst first:" if misread else "\nevery reader's every drawing read right")
    for accuracy, style, person, wrong in misread:
        print(f"  {style:<20} person {person:<4} {accuracy:6.0%}  {_wrong(wrong)}")
    print(f"({time.perf_counter() - started:.1f} s)")


def _cell(accuracy: float, wrong: tuple[int, int] | None) -> str:
    return f"{accuracy:.0%}" + (f" →{wrong[0]}×{wrong[1]}" if wrong else "")


def _wrong(wrong: tuple[int, int] | None) -> str:
    return f"most often read as {wrong[0]} ({wrong[1]}×)" if wrong else "no wrong answer"


if __name__ == "__main__":
    main()
