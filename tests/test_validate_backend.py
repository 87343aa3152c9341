"""`validate` means "will run": by default it checks what the default backend (NEST) cannot
run, as `run` does; `--backend spinnaker` and `--backend all` check the others; the
pre-commit hook runs the same command."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

import netspec
from netspec.pipeline import check
from tests.conftest import ROOT, netspec_cli

RECORDS_DELTA_V = """\
netspec: "1"
name: delta
simulation: {timestep: 0.1 ms, duration: 10 ms, seed: 1}
populations:
  cells: {size: 4, cell_type: IF_curr_delta}
  fast: {size: 300, cell_type: IF_cond_exp}
recordings:
  volts: {target: cells, variables: [v]}
  fast_v: {target: fast, variables: [v], sampling_interval: 0.3 ms}
"""


def _spec(tmp_path: Path, text: str = RECORDS_DELTA_V) -> Path:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    return spec


def test_plain_validate_checks_what_nest_cannot_run(tmp_path: Path) -> None:
    spec = _spec(tmp_path, RECORDS_DELTA_V.replace(
        "  fast_v: {target: fast, variables: [v], sampling_interval: 0.3 ms}\n", ""))
    done = netspec_cli("validate", str(spec))
    assert done.returncode == 1, done.stdout
    assert f"{spec}:8:38: error[NS604]: NEST cannot record v of IF_curr_delta" in done.stdout
    # the API's default is the same backend
    assert [(d.code, d.line) for d in netspec.validate(spec)] == [("NS604", 8)]
    # the backend-independent checks alone pass it: what validate used to say
    assert check(spec).ok


def test_backend_all_checks_every_backend(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    nest = netspec_cli("validate", "--format", "json", "--backend", "nest", str(spec))
    spinnaker = netspec_cli("validate", "--format", "json", "--backend", "spinnaker", str(spec))
    every = netspec_cli("validate", "--format", "json", "--backend", "all", str(spec))
    codes = {name: {(d["code"], d["line"]) for d in json.loads(done.stdout)["files"][0]
                    ["diagnostics"]}
             for name, done in (("nest", nest), ("spinnaker", spinnaker), ("all", every))}
    assert ("NS604", 8) in codes["nest"]
    assert codes["spinnaker"] and all(code.startswith("NS60") for code, _ in codes["spinnaker"])
    assert codes["all"] == codes["nest"] | codes["spinnaker"]
    assert every.returncode == 1
    assert {(d.code, d.line) for d in netspec.validate(spec, backend="all")} == codes["all"]


def test_unknown_backend_is_a_usage_error(tmp_path: Path) -> None:
    done = netspec_cli("validate", "--backend", "brian2", str(_spec(tmp_path)))
    assert done.returncode == 2
    assert "nest" in done.stderr and "spinnaker" in done.stderr and "all" in done.stderr


def test_the_hook_runs_plain_validate() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["entry"] == "netspec validate"  # so it checks the default backend, as run does


def test_readme_documents_the_backend_choices() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--backend nest" in readme and "--backend all" in readme
