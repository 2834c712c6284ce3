"""MNIST digits shipped next to the model for a reader's in-browser fine-tuning ("teach").

When a reader corrects the model's wrong answers, the page fine-tunes the model's output layer
on those corrections (assets/js/fine-tune.js). It replays MNIST *training* digits alongside
them, so the model does not forget MNIST, and measures accuracy on held-out MNIST *test* digits
before and after (fine-tuning may cost at most half a point). Other test digits, the *check* set,
are the page's validation: it keeps only as much of the change as they allow, so that no choice
is made on the holdout digits. (Training digits would be a poor check: the model fits them with
wider margins than digits it never saw, so they hide the forgetting the holdout then shows.) The page needs those digits only
as the output layer sees them, so the build ships their *features* (the output layer's inputs,
computed by the shipped weights) rather than pixels: the page then never runs the convolutions
over 1,300 digits, which would take seconds on a phone's CPU backend. Files, fetched only when
a reader starts teaching:

- `teach-features.bin`: one row of uint8 codes a digit (replay digits, then check digits, then
  holdout digits),
  decoded as `offset + code · scale` (affine, like the uint8 weights);
- `teach-sample.json`: the encoding, and per set its source, count and labels, with the
  shipped model's accuracy on the holdout digits from pixels (`shipped_accuracy`) and from the
  decoded features (`feature_accuracy`: the page's "before" figure, to the digit).

Each set is class-balanced (the recipe's `teach_sample` counts per digit) and a seeded, hence
deterministic, choice. Its names say "teach sample", not "test" (pytest collects `Test*`).
Writing needs NumPy and Keras; the names of the files do not (the recipe declares them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

TEACH_FEATURES = "teach-features.bin"
TEACH_JSON = "teach-sample.json"
IMAGE_SIZE = 28
DIGITS = 10
#: Stream numbers of the seeded choices, so that the two sets never share random numbers.
_REPLAY, _HOLDOUT = 0, 1


def balanced_indices(labels: np.ndarray, per_digit: int, seed: int, stream: int) -> np.ndarray:
    """`per_digit` indices into `labels` of each digit 0–9 (all of a digit's, if it has fewer),
    a seeded random choice, sorted."""
    return balanced_parts(labels, [per_digit], seed, stream)[0]


def balanced_parts(labels: np.ndarray, per_digit: list[int], seed: int, stream: int) -> list[np.ndarray]:
    """Disjoint seeded choices of indices into `labels`, part i holding `per_digit[i]` of each
    digit 0–9 (a digit with too few is shared out in order: the first parts get theirs first);
    each part sorted."""
    import numpy as np

    rng = np.random.default_rng([seed, stream])
    parts: list[list[np.ndarray]] = [[] for _ in per_digit]
    for digit in range(DIGITS):
        candidates = np.flatnonzero(labels == digit)
        drawn = rng.choice(candidates, size=min(sum(per_digit), len(candidates)), replace=False)
        start = 0
        for part, size in zip(parts, per_digit):
            part.append(drawn[start:start + size])
            start += size
    return [np.sort(np.concatenate(part)).astype(np.int64) for part in parts]


@dataclass(frozen=True)
class TeachSampleIndices:
    """The digits of each set, as indices into the training pool (replay) or the test pool (check, holdout)."""

    replay: np.ndarray
    check: np.ndarray
    holdout: np.ndarray


def choose_teach_sample(train_labels: np.ndarray, test_labels: np.ndarray, replay_per_digit: int,
                        check_per_digit: int, holdout_per_digit: int, seed: int) -> TeachSampleIndices:
    """Replay digits from the training labels; holdout and check digits (disjoint) from the test labels."""
    holdout, check = balanced_parts(test_labels, [holdout_per_digit, check_per_digit], seed, _HOLDOUT)
    return TeachSampleIndices(replay=balanced_indices(train_labels, replay_per_digit, seed, _REPLAY), check=check,
                              holdout=holdout)


def output_layer_inputs(model, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """What `model`'s last layer receives for uint8 images (N, 28, 28), in inference mode."""
    import keras
    import numpy as np

    extractor = keras.Model(model.inputs[0], model.layers[-1].input)
    pixels = images.astype(np.float32)[..., np.newaxis] / 255.0
    chunks = [np.asarray(extractor(pixels[start: start + batch_size], training=False))
              for start in range(0, len(pixels), batch_size)]
    return np.concatenate(chunks)


def encode_uint8(values: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(codes, offset, scale) with values ≈ offset + codes · scale, as the uint8 weights are stored."""
    import numpy as np

    low, high = float(values.min()), float(values.max())
    scale = (high - low) / 255 if high > low else 1.0
    codes = np.clip(np.rint((values - low) / scale), 0, 255).astype(np.uint8)
    return codes, low, scale


def write_teach_sample(directory: Path, model, replay: tuple[np.ndarray, np.ndarray], check: tuple[np.ndarray, np.ndarray],
                       holdout: tuple[np.ndarray, np.ndarray], holdout_probabilities: np.ndarray) -> dict[str, Any]:
    """Write TEACH_FEATURES and TEACH_JSON from (images, labels) of each set, `model` holding the
    shipped weights and its probabilities on the holdout images; returns metrics.json's
    `teach_sample` section."""
    import numpy as np

    (replay_images, replay_labels), (check_images, check_labels), (holdout_images, holdout_labels) = replay, check, holdout
    features = output_layer_inputs(model, np.concatenate([replay_images, check_images, holdout_images]))
    codes, offset, scale = encode_uint8(features)
    (directory / TEACH_FEATURES).write_bytes(np.ascontiguousarray(codes).tobytes())
    # The page's "before": the shipped output layer on the decoded features of the holdout digits.
    kernel, bias = (np.asarray(w) for w in model.layers[-1].get_weights())
    decoded = offset + codes[len(replay_labels) + len(check_labels):].astype(np.float32) * scale
    feature_accuracy = float(((decoded @ kernel + bias).argmax(axis=1) == holdout_labels).mean())
    accuracy = float((holdout_probabilities.argmax(axis=1) == holdout_labels).mean())
    description = {
        "features": {"file": TEACH_FEATURES, "layer": model.layers[-1].name, "dimension": int(features.shape[1]),
                     "dtype": "uint8", "offset": offset, "scale": scale},
        "replay": {"source": "MNIST training split", "count": len(replay_labels),
                   "labels": [int(label) for label in replay_labels]},
        "check": {"source": "MNIST test split", "count": len(check_labels),
                  "labels": [int(label) for label in check_labels]},
        "holdout": {"source": "MNIST test split", "count": len(holdout_labels),
                    "labels": [int(label) for label in holdout_labels], "shipped_accuracy": accuracy,
                    "feature_accuracy": feature_accuracy},
    }
    (directory / TEACH_JSON).write_text(json.dumps(description, separators=(",", ":")) + "\n", encoding="utf-8")
    return {"replay_digits": len(replay_labels), "check_digits": len(check_labels), "holdout_digits": len(holdout_labels),
            "bytes": int(codes.nbytes),
            "holdout_shipped_accuracy": accuracy}
