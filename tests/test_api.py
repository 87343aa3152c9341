"""The Python API as a user meets it: real signatures and docstrings, the whole exception
tree exported, messages that speak of the API's own arguments (not of ``--set``), and a
clear error from ``netspec.read`` for files it cannot read."""

from __future__ import annotations

import inspect
import pickle
from pathlib import Path

import numpy as np
import pytest

import netspec
from netspec import errors
from tests.conftest import VA


@pytest.mark.parametrize("name", ["run", "compile", "validate", "load", "check", "read"])
def test_functions_show_their_real_signature(name: str) -> None:
    function = getattr(netspec, name)
    parameters = inspect.signature(function).parameters
    assert all(p.kind is not inspect.Parameter.VAR_KEYWORD for p in parameters.values()), name
    assert function.__doc__ and len(function.__doc__) > 40


def test_run_documents_its_options() -> None:
    parameters = inspect.signature(netspec.run).parameters
    for option in ("backend", "out", "overrides", "duration", "force", "progress",
                   "virtual_board", "board_address", "board_version", "spalloc_server"):
        assert option in parameters
        assert option in (netspec.run.__doc__ or "")
    assert parameters["backend"].default == "nest"
    assert parameters["force"].default is False
    assert "duration" in inspect.signature(netspec.compile).parameters


def test_every_error_class_is_exported() -> None:
    classes = {name for name, value in vars(errors).items()
               if isinstance(value, type) and issubclass(value, errors.NetspecError)}
    assert classes <= set(netspec.__all__)
    assert all(getattr(netspec, name) is getattr(errors, name) for name in classes)
    assert issubclass(netspec.Interrupted, KeyboardInterrupt)


def test_override_errors_do_not_speak_of_the_command_line() -> None:
    with pytest.raises(netspec.UsageError) as caught:
        netspec.load(VA, overrides={"nn": 3})
    assert "--set" not in str(caught.value)
    assert "'n'" in str(caught.value)  # did you mean
    with pytest.raises(netspec.UsageError) as caught:
        netspec.compile(VA, duration="3 mV")
    assert "--duration" not in str(caught.value) and "duration" in str(caught.value)


def test_validate_takes_overrides() -> None:
    assert netspec.validate(VA, overrides={"n": 100}) == ()


@pytest.mark.parametrize("content", [b"", b"not an output", b"\x89HDF\r\n\x1a\nbroken",
                                     pickle.dumps({"a": 1})])
def test_read_refuses_what_is_not_an_output(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "file.bin"
    path.write_bytes(content)
    with pytest.raises(netspec.NotAnOutputError) as caught:
        netspec.read(path)
    assert str(path) in str(caught.value)


def test_read_refuses_a_missing_file_and_a_sonata_file(tmp_path: Path) -> None:
    with pytest.raises(netspec.NotAnOutputError):
        netspec.read(tmp_path / "nothing.h5")
    h5py = pytest.importorskip("h5py")
    sonata = tmp_path / "spikes.h5"
    with h5py.File(sonata, "w") as f:
        f.create_dataset("spikes/cells/timestamps", data=np.zeros(1))
    with pytest.raises(netspec.NotAnOutputError) as caught:
        netspec.read(sonata)
    assert "not a NIX file" in str(caught.value)


def test_a_bad_override_value_is_reported_without_cli_words(tmp_path: Path) -> None:
    found = netspec.validate(VA, overrides={"n": "${1 // 0}"})
    assert [d.code for d in found] == ["NS210"]
    assert found[0].message.startswith("override n=${1 // 0}: ")
    assert "--set" not in found[0].message
