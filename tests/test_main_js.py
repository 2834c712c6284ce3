"""main.js preloads, for each kind of block, exactly the modules that block's code imports."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from digit_model.site_files import ASSETS, SITE_CONFIG_MODULE, TRANSLATIONS_MODULE

from .conftest import ROOT, run_node

JS = ASSETS / "js"
#: Modules the plugin writes for each site (no imports of their own).
GENERATED = {SITE_CONFIG_MODULE.removeprefix("js/"), TRANSLATIONS_MODULE.removeprefix("js/")}
#: `import … from "./x.js"`, `import "./x.js"` and `export … from "./x.js"` (not `import(…)`, which loads later).
STATIC_IMPORT = re.compile(r'^(?:import|export)\b[^;()]*?["\']\./([\w.-]+\.js)["\'];', re.MULTILINE)


def static_graph(module: str) -> set[str]:
    """`module` and every module it imports statically, directly or not."""
    found, pending = set(), [module]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        if name in GENERATED:
            continue
        pending += STATIC_IMPORT.findall((JS / name).read_text(encoding="utf-8"))
    return found


def test_static_graph_reads_imports_and_re_exports() -> None:
    graph = static_graph("tf-runtime.js")
    assert {"tf-runtime.js", "site-config.js", "personal-model.js", "fine-tune.js", "model-files.js", "tf-loader.js", "sha256.js"} <= graph
    assert "teach.js" not in static_graph("recognizer.js")  # imported with import() when its panel shows


@pytest.fixture(scope="module")
def blocks(tmp_path_factory) -> dict:
    """main.js's BLOCKS, as tests/node/main_blocks.mjs reports them."""
    # Node treats a .js file outside a "type": "module" package as CommonJS: import a .mjs copy.
    copy = tmp_path_factory.mktemp("main") / "main.mjs"
    shutil.copyfile(JS / "main.js", copy)
    return json.loads(run_node(ROOT / "tests" / "node" / "main_blocks.mjs", str(copy)))


def test_main_js_preloads_the_static_graph_of_every_block(blocks) -> None:
    assert set(blocks) == {".digit-recognizer", ".digit-confusion", ".digit-tutorial"}
    for selector, kind in blocks.items():
        root, listed = kind["module"].removeprefix("./"), [module.removeprefix("./") for module in kind["modules"]]
        expected = static_graph(root)
        assert len(listed) == len(set(listed)), f"{selector}: a module listed twice"
        assert set(listed) == expected, (
            f"{selector}: main.js preloads {sorted(set(listed) - expected)} that {root} does not import "
            f"and misses {sorted(expected - set(listed))}"
        )


def test_a_recognizer_with_the_teach_panel_preloads_its_code_too(blocks) -> None:
    """recognizer.js imports teach.js with import() where the panel shows: a block showing it
    (all panels, when it names none) gets teach.js preloaded, whose own imports are already in."""
    assert 'import("./teach.js")' in (JS / "recognizer.js").read_text(encoding="utf-8")
    recognizer = blocks[".digit-recognizer"]["blockModules"]
    assert recognizer == {"all": ["./teach.js"], "some": []}
    assert static_graph("teach.js") - {"teach.js"} <= static_graph("recognizer.js")
