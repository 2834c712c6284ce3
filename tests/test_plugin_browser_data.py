"""The plugin ships the tutorial's browser training set: built once, cached apart, in site/."""

from __future__ import annotations

import json
import re

import pytest

from digit_model.runtime import content_version

from .conftest import build_fails, build_site, capture_mkdocs_log, write_site

#: Small, so that the builds stay quick; the defaults are covered by test_browser_data.py.
SMALL = {"tutorial_train_images": 500, "tutorial_test_images": 100}
PAGE = {"index.md": "# 教學\n\n<div class=\"digit-tutorial\" markdown>\n<p>需要 JavaScript。</p>\n</div>\n"}


@pytest.fixture(scope="module")
def built_twice(tmp_path_factory):
    """One site built twice on the same cache: the first build makes the data, the second must not."""
    directory = tmp_path_factory.mktemp("tutorial-site")
    config_file = write_site(directory, SMALL, pages=PAGE)
    with capture_mkdocs_log() as handler:
        site = build_site(config_file)
        first_log = handler.take()
        build_site(config_file)
        second_log = handler.take()
    return directory, site, first_log, second_log


def test_data_files_land_in_the_site_from_their_own_cache_folder(built_twice) -> None:
    directory, site, first_log, _ = built_twice
    (entry,) = [p for p in (directory / "cache" / "browser-data").iterdir() if re.fullmatch(r"[0-9a-f]{64}", p.name)]
    data_dir = site / "assets" / "models" / "mnist-data"
    names = ("mnist-data.json", "mnist-images.png", "mnist-labels.bin")
    assert sorted(p.name for p in data_dir.iterdir()) == list(names)
    for name in names:
        assert (data_dir / name).read_bytes() == (entry / name).read_bytes()
    description = json.loads((data_dir / "mnist-data.json").read_text())
    assert (description["train"]["count"], description["test"]["count"]) == (500, 100)
    assert len((data_dir / "mnist-labels.bin").read_bytes()) == 600
    total = sum((data_dir / name).stat().st_size for name in names)
    assert f"browser training data built: {total:,} bytes" in first_log
    # The model's entries stay at the top of the cache, so neither prune touches the other.
    assert any(re.fullmatch(r"[0-9a-f]{64}", p.name) for p in (directory / "cache").iterdir())
    assert not (directory / "docs" / "assets").exists()  # nothing written into docs/


def test_second_build_finds_the_data_fresh(built_twice) -> None:
    _, _, _, second_log = built_twice
    assert "browser training data fresh:" in second_log
    assert "Building browser-data" not in second_log


def test_site_config_tells_the_page_where_the_data_is_and_how_big(built_twice) -> None:
    _, site, _, _ = built_twice
    module = (site / "assets/digit-model/js/site-config.js").read_text()
    data_dir = site / "assets/models/mnist-data"
    total = sum(p.stat().st_size for p in data_dir.iterdir())
    version = content_version(sorted(data_dir.iterdir()))
    assert (f'export const mnistDataUrl = new URL("../../models/mnist-data/mnist-data.json?v={version}", '
            'import.meta.url).href;') in module
    assert f"export const mnistDataBytes = {total};" in module
    assert "export const tfjsBytes = 1105894;" in module
    for name in ("tutorial.js", "tutorial-model.js", "mnist-data.js", "line-chart.js", "cpu-conv-backprop.js"):
        assert (site / "assets/digit-model/js" / name).is_file()


def test_data_dir_and_sizes_are_configurable(built_twice, tmp_path) -> None:
    directory, _, _, _ = built_twice
    options = {"tutorial_data_dir": "data/mnist", "tutorial_train_images": 300, "tutorial_test_images": 50}
    site = build_site(write_site(tmp_path, options, pages=PAGE, cache_dir=directory / "cache"))
    description = json.loads((site / "data/mnist/mnist-data.json").read_text())
    assert (description["train"]["count"], description["test"]["count"]) == (300, 50)
    module = (site / "assets/digit-model/js/site-config.js").read_text()
    assert re.search(r'new URL\("\.\./\.\./\.\./data/mnist/mnist-data\.json\?v=[0-9a-f]{12}", import\.meta\.url\)', module)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tutorial_train_images": 0}, "tutorial_train_images"),
        ({"tutorial_train_images": 60_001}, "must be a whole number from 1 to 60,000"),
        ({"tutorial_test_images": "many"}, "tutorial_test_images"),
        ({"tutorial_test_images": True}, "must be a whole number from 1 to 10,000"),
        ({"tutorial_data_dir": "../outside"}, "tutorial_data_dir"),
    ],
)
def test_invalid_tutorial_options_name_the_key(tmp_path, options, message) -> None:
    assert message in build_fails(write_site(tmp_path, options, pages=PAGE))


def test_a_site_without_the_tutorial_block_ships_no_training_set(built_twice, tmp_path) -> None:
    directory, _, _, _ = built_twice
    with capture_mkdocs_log() as handler:
        site = build_site(write_site(tmp_path, SMALL, pages={"index.md": "# 首頁\n\n```digit-recognizer\n```\n"},
                                     cache_dir=directory / "cache"))
    assert "browser training data" not in handler.take()
    assert not (site / "assets/models/mnist-data").exists()
    assert "export const mnistDataUrl = null;" in (site / "assets/digit-model/js/site-config.js").read_text()
    assert (site / "assets/models/digits/model.json").is_file()


@pytest.mark.parametrize(("policy", "shipped"), [("always", True), ("never", False)])
def test_tutorial_data_setting_overrides_the_page_scan(built_twice, tmp_path, policy, shipped) -> None:
    directory, _, _, _ = built_twice
    pages = {"index.md": "# 首頁\n"} if shipped else PAGE
    site = build_site(write_site(tmp_path, {**SMALL, "tutorial_data": policy}, pages=pages, cache_dir=directory / "cache"))
    assert (site / "assets/models/mnist-data/mnist-data.json").is_file() == shipped
