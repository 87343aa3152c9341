"""Property tests with a hostile author: whatever a spec and its data files hold,
``netspec validate`` answers with diagnostics (exit 0, 1 or 2, never 70), in bounded time
and memory, without reading outside the spec's folder or quoting a data file.

Specs are built from a small valid network by one to five attacks drawn from what
issue 14 found (integers too large to convert, data files that are FIFOs, links out of
the folder, lying .npy headers, names Python reserves, connector counts past what the
sizes allow, repeated members, clashing export paths, labels holding code, deep
nesting, long text…) and their variations. Examples per test: ``NETSPEC_PROPERTY_EXAMPLES``
(default 40, to keep CI fast).
"""

from __future__ import annotations

import copy
import os
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netspec.cli import main
from netspec.errors import NetspecError
from netspec.pipeline import check

EXAMPLES = int(os.environ.get("NETSPEC_PROPERTY_EXAMPLES", "40"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])
#: Bounds on one validation of a small spec (generous: CI machines are shared).
SECONDS = 20.0
PEAK_MIB = 300.0
SECRET = "SECRET-do-not-leak-0451"

BASE: dict[str, Any] = {
    "netspec": "1",
    "name": "hostile",
    "parameters": {"n": 5, "w": "0.5 nS", "label": "cells"},
    "simulation": {"timestep": "0.1 ms", "duration": "50 ms", "seed": 7},
    "populations": {
        "src": {"size": 2, "cell_type": "SpikeSourceArray",
                "parameters": {"spike_times": [[1.0, 2.0], [3.0]]}},
        "cells": {"size": "${n}", "cell_type": "IF_cond_exp", "label": "${label}"},
    },
    "views": {"few": {"population": "cells", "slice": [0, 2]}},
    "projections": {
        "drive": {"pre": "src", "post": "cells",
                  "connector": {"type": "FixedProbabilityConnector", "p_connect": 0.5},
                  "synapse": {"type": "StaticSynapse", "weight": "${w}", "delay": "1 ms"}},
    },
    "recordings": {"spikes": {"target": "cells", "variables": ["spikes"]}},
    "export": [{"format": "summary", "path": "summary.json"}],
}

#: Data file names the attacks use (made by the fixture) and what they hold.
FILES = ["../secret.txt", "/etc/passwd", "link.csv", "pipe.csv", "arch.npy", "cube.npy",
         "huge.npy", "leak.csv", "long.csv", "dir.npy", "good.npy", "good.csv", "missing.npy",
         "sub/../good.csv", "uplink/secret.txt", "", "nul\x00.csv", "a\nb.csv"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A spec folder full of hostile data files, with a secret just outside it."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "secret.txt").write_text(SECRET + "\n", encoding="utf-8")
    spec = root / "spec"
    (spec / "sub").mkdir(parents=True)
    (spec / "link.csv").symlink_to(root / "secret.txt")
    (spec / "uplink").symlink_to(root)
    os.mkfifo(spec / "pipe.csv")
    np.savez(spec / "arch.npz", a=np.arange(3))
    os.replace(spec / "arch.npz", spec / "arch.npy")
    np.save(spec / "cube.npy", np.ones((2, 2, 2)))
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (10000000000,), }".ljust(
        118) + "\n"
    (spec / "huge.npy").write_bytes(b"\x93NUMPY\x01\x00" + bytes([len(header), 0])
                                    + header.encode() + bytes(16))
    (spec / "leak.csv").write_text(f"1,2\n{SECRET},3\n", encoding="utf-8")
    (spec / "long.csv").write_text("1," + "8" * 200_000 + "\n", encoding="utf-8")
    (spec / "dir.npy").mkdir()
    np.save(spec / "good.npy", np.array([1.0, 2.0]))
    (spec / "good.csv").write_text("1.0, 2.0\n", encoding="utf-8")
    yield spec


def _numbers(spec: dict[str, Any]) -> list[tuple[Any, Any]]:
    """(container, key) of the places that hold a number or a value (those other attacks
    left in place)."""
    places: list[tuple[Any, Any]] = [(spec["parameters"], "n"), (spec["simulation"], "seed"),
                                     (spec["simulation"], "duration")]
    for path, key in ((("populations", "src"), "size"), (("populations", "cells"), "size"),
                      (("views", "few", "slice"), 1),
                      (("projections", "drive", "connector"), "p_connect"),
                      (("projections", "drive", "synapse"), "weight")):
        container: Any = spec
        for part in path:
            container = container.get(part) if isinstance(container, dict) else None
        if isinstance(container, dict) or (isinstance(container, list)
                                           and len(container) > key):
            places.append((container, key))
    return places


Attack = Callable[[dict[str, Any], st.DrawFn, list[tuple[str, str]]], None]


def big_number(spec: dict[str, Any], draw: st.DrawFn, raw: list[tuple[str, str]]) -> None:
    """A number too large for a float or an int conversion, written as YAML text."""
    container, key = draw(st.sampled_from(_numbers(spec)))
    digits = draw(st.sampled_from([18, 19, 20, 309, 400, 4300, 4301, 6000]) | st.integers(18, 6000))
    text = draw(st.sampled_from(["1" + "0" * digits, "-" + "9" * digits, "+" + "7" * digits,
                                 "0x" + "f" * min(digits, 5000), "0o" + "7" * digits,
                                 "'1" + "0" * digits + "'", "1" + "0" * digits + ".5"])
                | st.sampled_from(["1e400", "-1e400", ".nan", "9223372036854775808",
                                   "${10 ** 400}", "'1e400 ms'"]))
    marker = f"@@number{len(raw)}@@"
    container[key] = marker
    raw.append((repr(marker), text))
    raw.append((marker, text))


def data_file(spec: dict[str, Any], draw: st.DrawFn, raw: list[tuple[str, str]]) -> None:
    """A value or a connector read from a hostile data file."""
    name = draw(st.sampled_from(FILES))
    where = draw(st.sampled_from(["spike_times", "tau_m", "conn_list", "from_file", "array"]))
    if where == "spike_times":
        spec["populations"]["src"]["parameters"]["spike_times"] = {"file": name}
    elif where == "tau_m":
        spec["populations"]["cells"].setdefault("parameters", {})["tau_m"] = {"file": name}
    elif where == "conn_list":
        spec["projections"]["drive"]["connector"] = {"type": "FromListConnector",
                                                     "conn_list": {"file": name}}
    elif where == "from_file":
        spec["projections"]["drive"]["connector"] = {"type": "FromFileConnector",
                                                     "file": name}
    else:
        spec["projections"]["drive"]["connector"] = {"type": "ArrayConnector",
                                                     "array": {"file": name}}


def reserved_names(spec: dict[str, Any], draw: st.DrawFn, raw: list[tuple[str, str]]) -> None:
    """Objects named like Python's keywords, builtins or the compiled script's own names."""
    name = draw(st.sampled_from(["class", "out", "str", "io", "sim", "import", "def", "json",
                                 "np", "rng", "h5", "group", "print", "none", "sys", "path"]))
    section = draw(st.sampled_from(["populations", "views", "projections", "recordings"]))
    items = spec[section]
    old = draw(st.sampled_from(sorted(items)))
    items[name] = items.pop(old)


def code_text(spec: dict[str, Any], draw: st.DrawFn, raw: list[tuple[str, str]]) -> None:
    """Labels, descriptions and text parameters that would be code if pasted raw."""
    text = draw(st.sampled_from(['"""\nimport os\nos.system("id")\n"""', "')\nimport os#",
                                 "\\", "${label}${label}", "x" * 100_000, "\u2028", "# ",
                                 "{file: /etc/passwd}"]))
    target = draw(st.sampled_from(["label", "description", "parameter", "export"]))
    if target == "label":
        spec["populations"]["cells"]["label"] = text
    elif target == "description":
        spec["description"] = text
    elif target == "parameter":
        spec["parameters"]["label"] = text
    else:
        spec["export"][0]["path"] = text


def counts(spec: dict[str, Any], draw: st.DrawFn, raw: list[tuple[str, str]]) -> None:
    """Connector counts past the sizes, options PyNN ignores, repeated members and cells."""
    choice = draw(st.integers(0, 5))
    n = draw(st.sampled_from([0, 1, 5, 6, 2_000_000_000, -1]))
    connector = spec["projections"]["drive"]["connector"]
    if choice == 0:
        connector.clear()
        connector.update({"type": "FixedTotalNumberConnector", "n": n,
                          "with_replacement": draw(st.booleans()),
                          "allow_self_connections": draw(st.booleans())})
    elif choice == 1:
        connector.clear()
        connector.update({"type": draw(st.sampled_from(["FixedNumberPreConnector",
                                                        "FixedNumberPostConnector"])),
                          "n": n, "with_replacement": draw(st.booleans())})
        spec["projections"]["drive"]["pre"] = "cells"
    elif choice == 2:
        spec["views"]["both"] = {"assembly": draw(st.sampled_from(
            [["src", "src"], ["few", "cells", "few"], ["both"], ["cells"], []]))}
    elif choice == 3:
        spec["recordings"]["spikes"]["indices"] = draw(st.lists(st.integers(-2, 6),
                                                                max_size=6))
    elif choice == 4:
        spec["views"]["few"] = {"population": "cells",
                                "indices": draw(st.lists(st.integers(-1, 6), max_size=6))}
    else:
        spec["simulation"]["seed"] = draw(st.sampled_from([0, -1, 2**31, 2**31 - 1, 1, True]))


def early_spikes(spec: dict[str, Any], draw: st.DrawFn, raw: list[tuple[str, str]]) -> None:
    """Spike times at, before or just after the first step, unsorted, negative."""
    times = draw(st.lists(st.sampled_from([0.0, 0.05, 0.1, 0.1001, 0.2, -1.0, 1e9, 2.0]),
                          max_size=5))
    spec["populations"]["src"]["parameters"]["spike_times"] = draw(st.sampled_from(
        [times, [times, times], [times], [[t] for t in times]]))
    spec["simulation"]["min_delay"] = draw(st.sampled_from(["0.1 ms", "1 ms", "0.05 ms"]))


def exports(spec: dict[str, Any], draw: st.DrawFn, raw: list[tuple[str, str]]) -> None:
    """Export paths that clash, escape or hide in the staging folder."""
    paths = draw(st.lists(st.sampled_from(
        ["res", "res/cells.pkl", "res/a/b.h5", "manifest.json", "manifest.json/x",
         ".netspec-staging-x/a", "../up.h5", "/abs.h5", "C:\\x.h5", "dir/", "a//b.pkl",
         "./res", "ok.h5"]), min_size=1, max_size=4))
    spec["export"] = [{"format": draw(st.sampled_from(["nix", "pickle", "sonata", "summary"])),
                       "path": p, **({"target": "cells"} if i % 2 else {})}
                      for i, p in enumerate(paths)]


def nesting(spec: dict[str, Any], draw: st.DrawFn, raw: list[tuple[str, str]]) -> None:
    """Deeply nested lists and mappings where values are expected."""
    depth = draw(st.integers(10, 60))
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    container, key = draw(st.sampled_from(_numbers(spec)))
    container[key] = value


ATTACKS: list[Attack] = [big_number, data_file, reserved_names, code_text, counts,
                         early_spikes, exports, nesting]


@st.composite
def hostile_specs(draw: st.DrawFn) -> str:
    """The text of a spec attacked one to five times."""
    spec = copy.deepcopy(BASE)
    raw: list[tuple[str, str]] = []
    attacks = draw(st.lists(st.sampled_from(ATTACKS), min_size=1, max_size=5))
    for attack in sorted(attacks, key=lambda a: a is reserved_names):  # renaming last
        attack(spec, draw, raw)
    text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=10**9)
    for marker, replacement in raw:
        text = text.replace(marker, replacement)
    return text


def _bounded_check(path: Path) -> None:
    """``check(path)``: only netspec's own errors escape, within the time and memory
    bounds."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        check(path)
    except NetspecError:
        pass
    finally:
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    assert elapsed < SECONDS, f"validation took {elapsed:.1f} s"
    assert peak < PEAK_MIB, f"validation allocated {peak:.0f} MiB"


@SETTINGS
@given(text=hostile_specs())
def test_hostile_specs_validate_within_bounds(folder: Path, text: str) -> None:
    path = folder / "attacked.yaml"
    path.write_text(text, encoding="utf-8")
    _bounded_check(path)


@SETTINGS
@given(text=hostile_specs(), fmt=st.sampled_from(["text", "json", "github"]),
       backend=st.sampled_from([[], ["--backend", "nest"]]))
def test_hostile_specs_on_the_command_line(folder: Path, text: str, fmt: str,
                                           backend: list[str]) -> None:
    path = folder / "attacked_cli.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "--format", fmt, *backend, str(path)])
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert SECRET not in result.output, "a data file's content leaked into a diagnostic"
    assert "8888888888" not in result.output


@SETTINGS
@given(data=st.binary(min_size=0, max_size=2000))
def test_arbitrary_bytes_as_data_files(folder: Path, data: bytes) -> None:
    """Any bytes in a .npy or .csv file give a diagnostic or a value, never a crash."""
    for name in ("fuzz.npy", "fuzz.csv"):
        (folder / name).write_bytes(data)
    text = yaml.safe_dump({**copy.deepcopy(BASE), "populations": {
        "a": {"size": 2, "cell_type": "SpikeSourceArray",
              "parameters": {"spike_times": {"file": "fuzz.npy"}}},
        "b": {"size": 2, "cell_type": "SpikeSourceArray",
              "parameters": {"spike_times": {"file": "fuzz.csv"}}},
        "cells": {"size": 5, "cell_type": "IF_cond_exp"}}})
    path = folder / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    _bounded_check(path)


@SETTINGS
@given(header=st.fixed_dictionaries({
    "descr": st.sampled_from(["<f8", "<i4", "|b1", "<U3", "|O", "<c16", "V8", "x", "<f8,<f8"]),
    "fortran_order": st.booleans() | st.integers(),
    "shape": st.lists(st.integers(-1, 10**12), max_size=4).map(tuple)
    | st.just("(1,)")}), extra=st.integers(-16, 64))
def test_npy_headers_are_checked_before_allocating(folder: Path, header: dict[str, Any],
                                                   extra: int) -> None:
    """A .npy header may claim any shape and dtype: nothing is allocated from the claim."""
    from netspec.datafiles import DataFileError, read_rows

    text = repr(header).ljust(118) + "\n"
    body = bytes(max(0, 16 + extra))
    (folder / "claim.npy").write_bytes(b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little")
                                       + text.encode("latin1") + body)
    tracemalloc.start()
    try:
        read_rows(folder, "claim.npy")
    except DataFileError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 1_000_000
