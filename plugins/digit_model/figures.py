"""The build's figures for pages: `{{ digit_model.<name> }}` placeholders and template values.

Every number a page shows about the model comes from the metrics.json of the build that produced
the weights the page ships, never from hand-typed text.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mkdocs.exceptions import PluginError

from .translations import translations_for

#: `{{ digit_model.name }}`; a backslash before the braces keeps the text literal.
PLACEHOLDER = re.compile(r"(\\?)\{\{\s*digit_model\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")

TRAINING_CURVE = "training-curve.svg"
CONFUSION_MATRIX = "confusion-matrix.svg"
#: Placeholders whose value is a site file, written relative to the page that uses them.
FILE_FIGURES = {"training_curve": TRAINING_CURVE, "confusion_matrix": CONFUSION_MATRIX, "model_json": "model.json"}


def _percent(value: float) -> str:
    return f"{100 * value:.2f}%"


def _thousands(value: int) -> str:
    return f"{value:,}"


def _kilobytes(value: int) -> str:
    return f"{value / 1000:.0f} KB"


def _short_percent(value: float) -> str:
    """A setting rather than a measurement, without trailing zeros: `84%`, `0.5%`."""
    return f"{100 * value:.2f}".rstrip("0").rstrip(".") + "%"


#: Shown for a figure the build could not measure (no confident answer, no drawn style).
MISSING = "–"


def _or_missing(value: Any, show: Callable[[Any], str]) -> str:
    return MISSING if value is None else show(value)


@dataclass(frozen=True)
class Figures:
    """Text values ready for Markdown (`text`) and the raw metrics for templates."""

    text: Mapping[str, str]
    metrics: Mapping[str, Any]
    model_dir: str

    @classmethod
    def from_metrics(
        cls,
        metrics: Mapping[str, Any],
        fingerprint: str,
        model_dir: str,
        language: str | None = None,
        runtime_bytes: int = 0,
        light_bytes: int = 0,
    ) -> Figures:
        translations = translations_for(language or "en")
        words = translations.section("figures")
        accuracy = metrics["test_accuracy"]
        weights = metrics["weights"]
        seconds = metrics["seconds"]
        confused = metrics["most_confused"]
        per_digit = metrics["per_class_accuracy"]["shipped"]
        drawn = metrics["drawn"]["test"]
        styles = drawn["per_style"]
        worst_style = min(styles, key=lambda name: styles[name]["accuracy"], default=None)
        # A style the table does not know (e.g. from a newer benchmark) shows its own name.
        style_labels = translations.section("styles")
        calibration = metrics["calibration"]
        unsure_share = calibration["test_unsure_share"]
        teach = metrics["teach_sample"]
        text = {
            "test_accuracy": _percent(accuracy["float32"]),
            "shipped_accuracy": _percent(accuracy["shipped"]),
            "quantization": weights["quantization"],
            "parameters": _thousands(metrics["parameters"]),
            "weight_bytes": _thousands(weights["shipped_bytes"]),
            "weight_kb": _kilobytes(weights["shipped_bytes"]),
            "float32_bytes": _thousands(weights["float32_bytes"]),
            "float32_kb": _kilobytes(weights["float32_bytes"]),
            "training_seconds": f"{seconds['training']:.0f}",
            "training_minutes": f"{seconds['training'] / 60:.1f}",
            "epochs": str(len(metrics["history"])),
            "train_images": _thousands(metrics["data"]["train_images"]),
            "test_images": _thousands(metrics["data"]["test_images"]),
            "test_errors": _thousands(metrics["data"]["test_images"] - sum(
                metrics["confusion_matrix"][d][d] for d in range(10))),
            "most_confused_pair": f"{confused[0]['true']} → {confused[0]['predicted']}" if confused else "–",
            "most_confused_count": str(confused[0]["count"]) if confused else "0",
            "worst_digit": str(min(range(10), key=lambda d: per_digit[d])),
            "worst_digit_accuracy": _percent(min(per_digit)),
            "per_digit_table": _per_digit_table(per_digit, words),
            "most_confused_table": _confused_table(confused, words, words["count"]),
            "drawn_accuracy": _percent(drawn["accuracy"]),
            "drawn_digits": _thousands(drawn["count"]),
            "drawn_errors": _thousands(round(drawn["count"] * (1 - drawn["accuracy"]))),
            "drawn_confident_errors": _thousands(drawn["confident_errors"]),
            "drawn_style_table": _style_table(styles, words, style_labels),
            "drawn_confused_table": _confused_table(drawn["most_confused"], words, words["drawn"]),
            "drawn_worst_style": style_labels.get(worst_style, worst_style) if worst_style else MISSING,
            "drawn_worst_style_accuracy": _percent(styles[worst_style]["accuracy"]) if worst_style else MISSING,
            "drawn_calibration_error": _percent(drawn["calibration_error"]),
            "network": metrics["network"],
            "redrawn_train_images": _thousands(metrics["data"]["redrawn_train_images"]),
            "habit_edited_train_images": _thousands(metrics["data"]["habit_edited_train_images"]),
            "calibration_temperature": f"{calibration['temperature']:.2f}",
            "calibration_error_before": _percent(calibration["test_ece_before"]),
            "calibration_error_after": _percent(calibration["test_ece_after"]),
            "unsure_below": _short_percent(calibration["unsure_below"]),
            "unsure_error_budget": _short_percent(calibration["max_confident_error_rate"]),
            "drawn_unsure_share": _percent(unsure_share),
            "drawn_unsure_digits": _thousands(round(unsure_share * drawn["count"])),
            "drawn_confident_accuracy": _or_missing(calibration["test_confident_accuracy"], _percent),
            "teach_replay_digits": _thousands(teach["replay_digits"]),
            "teach_check_digits": _thousands(teach["check_digits"]),
            "teach_holdout_digits": _thousands(teach["holdout_digits"]),
            "teach_holdout_accuracy": _percent(teach["holdout_shipped_accuracy"]),
            "teach_kb": _kilobytes(teach["bytes"]),
            "tensorflow_version": metrics["versions"].get("tensorflow-cpu", "").split(" ")[-1],
            "keras_version": metrics["versions"].get("keras", ""),
            "fingerprint": fingerprint[:12],
            "tfjs_size": f"{runtime_bytes / 1e6:.2f} MB",
            # The light build when the site serves it, else the full library (what a recognizer loads).
            "tfjs_light_size": f"{(light_bytes or runtime_bytes) / 1e3:.0f} KB",
        }
        return cls(text, metrics, model_dir)

    def names(self) -> list[str]:
        return sorted([*self.text, *FILE_FIGURES])

    def replace_placeholders(self, markdown: str, page_src_uri: str) -> str:
        """Substitute every placeholder; an unknown name fails the build, naming the page."""

        def substitute(match: re.Match[str]) -> str:
            escaped, name = match.groups()
            if escaped:
                return match.group(0)[1:]
            if name in self.text:
                return self.text[name]
            if name in FILE_FIGURES:
                target = self.model_dir + FILE_FIGURES[name]
                return posixpath.relpath(target, posixpath.dirname(page_src_uri) or ".")
            raise PluginError(
                f"digit-model: {page_src_uri} uses the unknown placeholder {{{{ digit_model.{name} }}}}. "
                f"Known names: {', '.join(self.names())}."
            )

        return PLACEHOLDER.sub(substitute, markdown)


def _per_digit_table(per_digit: list[float], words: Mapping[str, str]) -> str:
    header = f"| {words['digit']} | " + " | ".join(str(d) for d in range(10)) + " |"
    rule = "|---|" + "---:|" * 10
    row = f"| {words['accuracy']} | " + " | ".join(f"{100 * a:.1f}%" for a in per_digit) + " |"
    return "\n".join([header, rule, row])


def _confused_table(confused: list[Mapping[str, int]], words: Mapping[str, str], count: str) -> str:
    lines = [f"| {words['pair']} | {count} |", "|---|---:|"]
    lines += [f"| {c['true']} → {c['predicted']} | {c['count']} |" for c in confused]
    return "\n".join(lines)


def _style_table(styles: Mapping[str, Mapping[str, Any]], words: Mapping[str, str],
                 labels: Mapping[str, str]) -> str:
    """One row per drawing style of the drawn-digit benchmark's test part, in benchmark order."""
    lines = [f"| {words['style']} | {words['drawn']} | {words['accuracy']} |", "|---|---:|---:|"]
    lines += [f"| {labels.get(name, name)} | {s['count']:,} | {100 * s['accuracy']:.1f}% |"
              for name, s in styles.items()]
    return "\n".join(lines)
