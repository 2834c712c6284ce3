"""Only what pyproject.toml cannot say: the wheel build first bundles the pinned TF.js files into
the package (tools/bundle_runtime.py), so an installed wheel needs no npm and no node_modules."""

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))
from bundle_runtime import BundleError, bundle  # noqa: E402


class BuildPyWithRuntime(build_py):
    def run(self) -> None:
        try:
            self.announce(f"TF.js runtime: {bundle()}", level=2)
        except BundleError as error:
            raise SystemExit(f"error: {error}") from None
        super().run()


setup(cmdclass={"build_py": BuildPyWithRuntime})
