"""SVG pictures of a build's figures: the training curve and the confusion matrix.

Plain strings, no plotting library: they are drawn from metrics.json at site-build time in
milliseconds, and this module is not part of the artefacts' fingerprint, so restyling a chart
never retrains the model. Text uses a mid grey and the background is transparent, so the same
file reads on Material's light and dark palettes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

#: The keys of the `labels` every chart takes: its words, in the site's language (the plugin
#: reads them from its translation table's `charts.` keys; this package holds no site text).
LABEL_KEYS = ("epoch", "loss", "accuracy", "true", "predicted", "curve_title", "matrix_title")

_TEXT = "#8a8a8a"
_LOSS = "#e4572e"
_ACCURACY = "#2e86ab"
_FONT = "font-family='system-ui, -apple-system, \"Segoe UI\", \"Noto Sans TC\", sans-serif'"


def training_curve_svg(history: Sequence[Mapping[str, float]], labels: Mapping[str, str]) -> str:
    """Loss (left axis) and training accuracy (right axis) per epoch; `labels` as in LABEL_KEYS."""
    width, height = 560, 300
    left, right, top, bottom = 56, 56, 36, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    epochs = [int(h["epoch"]) for h in history] or [1]
    losses = [float(h.get("loss", 0.0)) for h in history]
    accuracies = [float(h.get("accuracy", 0.0)) for h in history]
    max_loss = max(losses + [1e-9]) * 1.1
    low_acc = min(accuracies + [1.0])
    acc_floor = max(0.0, min(0.9, low_acc - 0.02))

    def x(epoch: int) -> float:
        span = max(epochs[-1] - epochs[0], 1)
        return left + (epoch - epochs[0]) / span * plot_w if len(epochs) > 1 else left + plot_w / 2

    def y_loss(value: float) -> float:
        return top + plot_h * (1 - value / max_loss)

    def y_acc(value: float) -> float:
        return top + plot_h * (1 - (value - acc_floor) / (1 - acc_floor))

    parts = [_svg_open(width, height, labels["curve_title"])]
    parts.append(f"<rect x='{left}' y='{top}' width='{plot_w}' height='{plot_h}' fill='none' stroke='{_TEXT}' stroke-opacity='0.4'/>")
    for epoch in epochs:
        parts.append(_text(x(epoch), top + plot_h + 18, str(epoch), "middle"))
    for fraction in (0, 0.5, 1):
        parts.append(_text(left - 6, y_loss(max_loss * fraction) + 4, f"{max_loss * fraction:.2f}", "end", _LOSS))
        value = acc_floor + (1 - acc_floor) * fraction
        parts.append(_text(left + plot_w + 6, y_acc(value) + 4, f"{value:.0%}", "start", _ACCURACY))
    parts.append(_text(left + plot_w / 2, height - 8, labels["epoch"], "middle"))
    parts.append(_text(left, top - 12, labels["loss"], "start", _LOSS))
    parts.append(_text(left + plot_w, top - 12, labels["accuracy"], "end", _ACCURACY))
    for values, scale, colour in ((losses, y_loss, _LOSS), (accuracies, y_acc, _ACCURACY)):
        points = " ".join(f"{x(e):.1f},{scale(v):.1f}" for e, v in zip(epochs, values))
        parts.append(f"<polyline points='{points}' fill='none' stroke='{colour}' stroke-width='2.5'/>")
        parts.extend(f"<circle cx='{x(e):.1f}' cy='{scale(v):.1f}' r='3.5' fill='{colour}'/>" for e, v in zip(epochs, values))
    parts.append("</svg>\n")
    return "".join(parts)


def confusion_matrix_svg(matrix: Sequence[Sequence[int]], labels: Mapping[str, str]) -> str:
    """A 10×10 grid of counts: correct answers on the diagonal, mistakes shaded by frequency;
    `labels` as in LABEL_KEYS."""
    cell, left, top = 40, 64, 56
    size = cell * len(matrix)
    width, height = left + size + 16, top + size + 16
    worst_mistake = max((c for t, row in enumerate(matrix) for p, c in enumerate(row) if t != p), default=0) or 1
    parts = [_svg_open(width, height, labels["matrix_title"])]
    parts.append(_text(left + size / 2, 16, labels["predicted"], "middle"))
    parts.append(f"<text transform='translate(16 {top + size / 2}) rotate(-90)' text-anchor='middle' fill='{_TEXT}' font-size='13' {_FONT}>{escape(labels['true'])}</text>")
    for index in range(len(matrix)):
        parts.append(_text(left + index * cell + cell / 2, top - 10, str(index), "middle"))
        parts.append(_text(left - 10, top + index * cell + cell / 2 + 4, str(index), "end"))
    for true, row in enumerate(matrix):
        for predicted, count in enumerate(row):
            px, py = left + predicted * cell, top + true * cell
            if true == predicted:
                fill, opacity = _ACCURACY, 0.25
            else:
                fill, opacity = _LOSS, 0.08 + 0.82 * count / worst_mistake if count else 0.0
            parts.append(
                f"<rect x='{px}' y='{py}' width='{cell}' height='{cell}' fill='{fill}' fill-opacity='{opacity:.3f}' "
                f"stroke='{_TEXT}' stroke-opacity='0.25'><title>{true} → {predicted}: {count}</title></rect>"
            )
            if count:
                ink = "#ffffff" if opacity > 0.55 else _TEXT  # keep numbers legible on strong cells
                parts.append(_text(px + cell / 2, py + cell / 2 + 4, str(count), "middle", ink, 11 if count < 1000 else 10))
    parts.append("</svg>\n")
    return "".join(parts)


def _svg_open(width: int, height: int, title: str) -> str:
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='{width}' height='{height}' "
        f"role='img' aria-label='{escape(title)}'><title>{escape(title)}</title>"
    )


def _text(x: float, y: float, content: str, anchor: str, colour: str = _TEXT, size: int = 12) -> str:
    return (
        f"<text x='{x:.1f}' y='{y:.1f}' text-anchor='{anchor}' fill='{colour}' font-size='{size}' {_FONT}>"
        f"{escape(content)}</text>"
    )
