"""The ``hmmkit`` command's own behaviour: errors as one line with an exit code, unknown
options named under the subcommand's usage, a closed output pipe, --debug."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import hmmkit.commands
from hmmkit import GaussianHMM
from hmmkit.cli import EXIT_INTERNAL, EXIT_INTERRUPTED, main
from hmmkit.estimator import NotFittedError
from hmmkit.io import ModelFileError

HMMKIT = [sys.executable, "-m", "hmmkit"]


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*HMMKIT, *args], capture_output=True, text=True, check=False, **kwargs)


def failing_decode(monkeypatch, exc: BaseException) -> None:
    """Make `hmmkit decode` raise `exc` (the parser is built after this)."""

    def raise_it(args):
        raise exc

    monkeypatch.setattr(hmmkit.commands, "_run_decode", raise_it)


@pytest.mark.parametrize(("exc", "reason"), [
    (ValueError("DATA x.npy: 3 features, the model has 2"), "x.npy: 3 features, the model has 2"),
    (TypeError("a.npy must hold real numbers, got dtype bool"), "a.npy must hold real numbers"),
    (FileNotFoundError(2, "No such file or directory", "m.npz"), "No such file or directory: 'm."),
    (KeyError("means_"), "'means_'"),
    (MemoryError(), "out of memory"),
    (ModelFileError("m.npz: covars_ has shape (2,), expected (3, 2)"), "covars_ has shape"),
    (NotFittedError("this GaussianHMM is not fitted yet"), "not fitted yet"),
    (ValueError("two\nlines"), "two lines"),
])  # fmt: skip
def test_a_documented_error_is_one_line_and_exit_1(monkeypatch, capsys, exc, reason):
    failing_decode(monkeypatch, exc)
    assert main(["decode", "m.npz", "feats"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("hmmkit decode: error: ")
    assert reason in err


@pytest.mark.parametrize("exc", [
    ZeroDivisionError("float division by zero"), AssertionError("shapes"), IndexError("index 3"),
])  # fmt: skip
def test_an_unexpected_error_is_an_internal_error_to_report(monkeypatch, capsys, exc):
    failing_decode(monkeypatch, exc)
    assert main(["decode", "m.npz", "feats"]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("hmmkit decode: internal error: ")
    assert f"{type(exc).__name__}: {exc}" in err and "report" in err and "--debug" in err


def test_an_interrupt_exits_130(monkeypatch, capsys):
    failing_decode(monkeypatch, KeyboardInterrupt())
    assert main(["decode", "m.npz", "feats"]) == EXIT_INTERRUPTED
    assert capsys.readouterr().err == "hmmkit decode: interrupted\n"


@pytest.mark.parametrize("how", ["flag", "flag after the subcommand", "variable"])
def test_debug_shows_the_traceback(monkeypatch, how):
    failing_decode(monkeypatch, ZeroDivisionError("float division by zero"))
    argv = ["decode", "m.npz", "feats"]
    if how == "flag":
        argv = ["--debug", *argv]
    elif how == "flag after the subcommand":
        argv = [*argv, "--debug"]
    else:
        monkeypatch.setenv("HMMKIT_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(argv)


def test_fit_on_a_folder_of_bool_arrays_is_a_one_line_error(tmp_path):
    """The TypeError hmmkit raises for bool .npy files is reported, not a traceback."""
    folder = tmp_path / "bools"
    folder.mkdir()
    for i in range(2):
        np.save(folder / f"s{i}.npy", np.zeros((10, 2), dtype=bool))
    done = run("fit", str(tmp_path / "m.npz"), str(folder), "-K", "2")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr == "hmmkit fit: error: s0.npy must hold real numbers, got dtype bool\n"


def test_an_unknown_option_is_named_under_the_subcommands_usage(tmp_path):
    database = tmp_path / "db.fa"
    done = run("search", "--bogus", "out.txt", "model.hmm", str(database))
    assert done.returncode == 2
    assert done.stderr.startswith("usage: hmmkit search ")
    assert done.stderr.splitlines()[-1] == "hmmkit search: error: unrecognized option: --bogus"
    assert str(database) not in done.stderr


def test_unknown_options_of_a_nested_subcommand_use_its_usage():
    done = run("recognize", "files", "a.wav", "--models", "m", "--bogus", "--more")
    assert done.returncode == 2 and done.stderr.startswith("usage: hmmkit recognize files ")
    assert done.stderr.splitlines()[-1].endswith("error: unrecognized options: --bogus --more")


def test_decode_into_a_pipe_closed_early_exits_0_quietly(tmp_path):
    """`hmmkit decode ... | head -1`: the reader goes away; no error, no traceback."""
    import h5py

    model = GaussianHMM(2, "diag")
    model.startprob_ = np.array([0.5, 0.5])
    model.transmat_ = np.array([[0.9, 0.1], [0.2, 0.8]])
    model.means_ = np.array([[0.0], [3.0]])
    model.covars_ = np.ones((2, 1))
    model.save(tmp_path / "m.npz")
    lengths = np.full(4000, 25)
    with h5py.File(tmp_path / "data.h5", "w") as store:
        store["X"] = np.random.default_rng(0).normal(size=(lengths.sum(), 1))
        store["lengths"] = lengths
    command = [*HMMKIT, "decode", str(tmp_path / "m.npz"), str(tmp_path / "data.h5")]
    reader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = reader.stdout.readline()
    reader.stdout.close()  # as `head -1` does: more than a pipe's buffer is still to come
    err = reader.stderr.read().decode()
    assert reader.wait(timeout=300) == 0
    assert first.startswith(b"0\t") and err == ""


def test_version_is_printed():
    import hmmkit

    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"hmmkit {hmmkit.__version__}"


def _registered(module: str) -> list[str]:
    """The subcommands `module`'s register() adds to a parser of its own."""
    import argparse
    import importlib

    subparsers = argparse.ArgumentParser().add_subparsers()
    importlib.import_module(module).register(subparsers)
    return list(subparsers.choices)


def test_every_subcommand_is_owned_by_the_module_that_registers_it():
    from hmmkit.cli import _COMMAND_MODULES, COMMAND_OWNERS

    registered = {name: module for module in _COMMAND_MODULES for name in _registered(module)}
    assert sorted(COMMAND_OWNERS) == sorted(registered)
    for name, owner in COMMAND_OWNERS.items():  # a profile command's owner is its own module
        assert name in _registered(owner), (name, owner)
        assert owner.startswith(registered[name]), (name, owner, registered[name])


@pytest.mark.parametrize("argv", [
    ["build", "out.hmm", "in.sto", "--symfrac", "0.4"],
    ["--debug", "search", "--cpu", "1", "m.hmm", "db.fa"],
    ["recognize", "train", "data", "--models", "models", "--numcep", "12"],
    ["fit", "-K", "3", "m.npz", "data"],
])  # fmt: skip
def test_a_named_subcommand_parses_as_with_the_whole_parser(argv):
    from hmmkit.cli import _named_command, build_parser

    whole, one = build_parser(), build_parser(_named_command(argv))
    assert len(one._subparsers._group_actions[0].choices) < len(
        whole._subparsers._group_actions[0].choices)  # fmt: skip
    first, second = vars(whole.parse_args(argv)), vars(one.parse_args(argv))
    assert first.keys() == second.keys()
    assert {k: v for k, v in first.items() if k != "func"} == {
        k: v for k, v in second.items() if k != "func"}  # fmt: skip


@pytest.mark.parametrize(("argv", "command"), [
    (["build", "x"], "build"), (["--debug", "asr", "train"], "asr"), (["--help", "build"], None),
    (["--version"], None), ([], None), (["-h"], None),
])  # fmt: skip
def test_the_named_subcommand_is_the_first_word(argv, command):
    from hmmkit.cli import _named_command

    assert _named_command(argv) == command


def test_a_profile_command_line_imports_no_speech_module():
    code = (
        "import sys; from hmmkit.cli import build_parser; build_parser('build'); "
        "print(sorted(m for m in sys.modules if m.startswith(('hmmkit.speech', 'numpy'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]"]
