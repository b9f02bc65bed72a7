"""Lazy packages: importing hmmkit (or building the command's parser) stays cheap, and the
public names are the same objects as before."""

import importlib
import subprocess
import sys

import pytest

HEAVY = ("numba", "scipy", "sklearn", "python_speech_features", "hmmkit.models")


def _modules_after(code: str) -> set[str]:
    """The top-level packages and hmmkit modules loaded by running `code` in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    return {m for m in out if m.startswith("hmmkit")} | {m.split(".")[0] for m in out}


@pytest.mark.parametrize("code", [
    "import hmmkit",
    "from hmmkit.cli import build_parser; build_parser()",
    "import hmmkit.profile, hmmkit.speech, hmmkit.training, hmmkit.emissions",
])  # fmt: skip
def test_import_loads_no_heavy_module(code):
    loaded = _modules_after(code)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.parametrize("package", [
    "hmmkit", "hmmkit.profile", "hmmkit.speech", "hmmkit.training", "hmmkit.emissions",
])  # fmt: skip
def test_every_public_name_resolves_to_its_submodule_object(package):
    module = importlib.import_module(package)
    for name in module.__all__:
        value = getattr(module, name)
        source = module._exports.get(name) if hasattr(module, "_exports") else None
        if source is not None:
            assert value is getattr(importlib.import_module(source, package), name)
        assert name in dir(module)


def test_a_function_named_as_its_submodule_stays_the_function():
    import hmmkit.profile
    import hmmkit.profile.align  # noqa: F401  (binds nothing over the function)
    import hmmkit.profile.search  # noqa: F401

    assert callable(hmmkit.profile.align) and not isinstance(hmmkit.profile.align, type(sys))
    assert hmmkit.profile.search.__module__ == "hmmkit.profile.search"


def test_an_unknown_name_is_an_attribute_error():
    import hmmkit

    with pytest.raises(AttributeError, match="has no attribute 'GaussianHMMM'"):
        hmmkit.GaussianHMMM  # noqa: B018
