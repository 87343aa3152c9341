"""What a run does to its output folder and to the terminal: SIGTERM behaves like Ctrl-C
(exit 143, nothing published, staging removed), stale staging folders of killed runs are
cleaned, ``--force`` replaces an earlier run instead of mixing with it, ``--duration``
shortens a run without editing the spec, and PyNN's build noise stays out of stderr."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import netspec
from netspec.export.staging import OWNER, STAGING_PREFIX, prepare, remove_stale_staging
from tests.conftest import VA, needs_nest, netspec_cli

LONG = VA.read_text(encoding="utf-8").replace("duration: 1000 ms", "duration: 600000 ms")


class _Export:
    def __init__(self, path: str) -> None:
        self.path = path


def _publish(out: Path, names: list[str], *, force: bool) -> None:
    """Stage, write and publish ``names`` (and a manifest listing them) into ``out``."""
    plan = prepare([_Export(n) for n in names], out, force=force)
    with plan:
        for name in names:
            plan.staged(name).write_text(name, encoding="utf-8")
            plan.verify(name)
        plan.staged("manifest.json").write_text(json.dumps(
            {"outputs": {n: {"format": "x"} for n in names}}), encoding="utf-8")
        plan.verify("manifest.json")


def test_force_replaces_the_files_of_the_earlier_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _publish(out, ["exc.h5", "data/inh.h5", "summary.json"], force=False)
    (out / "notes.txt").write_text("mine", encoding="utf-8")  # not the run's: kept
    _publish(out, ["exc.h5", "summary.json"], force=True)
    left = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    assert left == ["exc.h5", "manifest.json", "notes.txt", "summary.json"]


def test_force_never_removes_outside_the_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    outside = tmp_path / "precious.txt"
    outside.write_text("keep", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.h5").write_text("keep", encoding="utf-8")
    out.mkdir()
    (out / "linked").symlink_to(elsewhere)
    (out / "manifest.json").write_text(json.dumps({"outputs": {
        "../precious.txt": {}, str(outside): {}, "linked/a.h5": {}}}), encoding="utf-8")
    _publish(out, ["summary.json"], force=True)
    assert outside.read_text(encoding="utf-8") == "keep"
    assert (elsewhere / "a.h5").read_text(encoding="utf-8") == "keep"


def test_a_foreign_manifest_removes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text("not json", encoding="utf-8")
    (out / "data.csv").write_text("1", encoding="utf-8")
    _publish(out, ["summary.json"], force=True)
    assert (out / "data.csv").is_file()


def test_stale_staging_folders_are_removed_live_ones_kept(tmp_path: Path) -> None:
    import socket

    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    host = socket.gethostname()
    killed = out / f"{STAGING_PREFIX}killed"
    killed.mkdir()
    (killed / OWNER).write_text(f"{host} {dead}\n", encoding="utf-8")
    live = out / f"{STAGING_PREFIX}live"
    live.mkdir()
    (live / OWNER).write_text(f"{host} {os.getppid()}\n", encoding="utf-8")
    other_host = out / f"{STAGING_PREFIX}remote"
    other_host.mkdir()
    (other_host / OWNER).write_text(f"not-{host} {dead}\n", encoding="utf-8")
    old_unowned = out / f"{STAGING_PREFIX}old"
    old_unowned.mkdir()
    os.utime(old_unowned, (time.time() - 3600, time.time() - 3600))
    fresh_unowned = out / f"{STAGING_PREFIX}fresh"
    fresh_unowned.mkdir()
    removed = remove_stale_staging(out)
    assert sorted(p.name for p in removed) == sorted([killed.name, old_unowned.name])
    assert live.is_dir() and other_host.is_dir() and fresh_unowned.is_dir()
    # prepare() cleans them too, and names its own staging folder's owner
    os.utime(fresh_unowned, (time.time() - 3600, time.time() - 3600))
    plan = prepare([_Export("a.txt")], out, force=False)
    assert not fresh_unowned.exists()
    assert (plan.staging / OWNER).read_text(encoding="utf-8").split() == [host,
                                                                          str(os.getpid())]
    plan.abort()


def test_compile_takes_a_duration(tmp_path: Path) -> None:
    script = netspec.compile(VA, duration="200ms")
    assert "sim.run(200.0)" in script
    done = netspec_cli("compile", str(VA), "--duration", "0.25 s")
    assert done.returncode == 0, done.stderr
    assert "sim.run(250.0)" in done.stdout


@pytest.mark.parametrize("bad", ["200 mV", "-5 ms", "soon", "0.05 ms", "inf ms"])
def test_a_bad_duration_is_a_usage_error(bad: str) -> None:
    done = netspec_cli("compile", str(VA), "--duration", bad)
    assert done.returncode == 2, done.stderr
    assert "duration" in done.stderr and "Traceback" not in done.stderr


@needs_nest
def test_sigterm_is_like_ctrl_c_exit_143(tmp_path: Path) -> None:
    spec = tmp_path / "long.yaml"
    spec.write_text(LONG, encoding="utf-8")
    out = tmp_path / "out"
    env = {**os.environ, "PYNEST_QUIET": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "netspec", "run", str(spec), "--out", str(out), "--progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + 120
    while b"simulating" not in seen and time.monotonic() < deadline:
        seen += os.read(proc.stderr.fileno(), 4096)
    assert b"simulating" in seen, seen.decode(errors="replace")
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, (seen + err).decode(errors="replace")
    lines = [line for line in err.decode().splitlines() if line.strip()]
    assert lines[-1] == "netspec: terminated (SIGTERM); no output was published"
    assert b"Traceback" not in err
    assert not out.exists() or list(out.rglob("*")) == []


@needs_nest
def test_duration_force_and_a_clean_terminal(tmp_path: Path) -> None:
    out = tmp_path / "out"
    venv_bin = str(Path(sys.executable).parent)  # where pip puts nest-config: PyNN finds it
    env = {**os.environ, "PYNEST_QUIET": "1", "PATH": venv_bin + os.pathsep
           + os.environ.get("PATH", "")}
    spec = tmp_path / "va.yaml"
    spec.write_text(VA.read_text(encoding="utf-8").replace(
        "  - {format: pickle, target: inh, path: inh.pkl}\n", ""), encoding="utf-8")
    first = subprocess.run([sys.executable, "-m", "netspec", "run", str(VA), "--out", str(out),
                            "--set", "n=200", "--duration", "100ms", "--no-progress"],
                           capture_output=True, text=True, env=env, check=False, timeout=600)
    assert first.returncode == 0, first.stderr
    # nothing but netspec's own output: no CMake log, no "Several STDP models"
    assert first.stderr == "", first.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["duration_ms"] == 100.0
    assert (out / "inh.pkl").is_file()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "--duration" in manifest["command"]
    assert isinstance(manifest["notes"], list)
    block = netspec.read(out / "exc.pkl")
    assert max(float(t.t_stop) for t in block.segments[0].spiketrains) == 100.0
    second = netspec_cli("run", str(spec), "--out", str(out), "--set", "n=200",
                         "--duration", "50 ms", "--force")
    assert second.returncode == 0, second.stderr
    assert not (out / "inh.pkl").exists()  # the earlier run's file: replaced, not mixed
    assert (out / "exc.pkl").is_file()


@needs_nest
def test_stdp_runs_without_pynn_chatter(tmp_path: Path) -> None:
    plastic = VA.parent / "plasticity.yaml"
    done = netspec_cli("run", str(plastic), "--out", str(tmp_path / "p"), "--duration",
                       "20 ms", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "Several STDP models" not in done.stderr and done.stderr == "", done.stderr
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text(encoding="utf-8"))
    assert any("Several STDP models" in note for note in manifest["notes"])


def test_signals_wait_while_outputs_are_renamed_into_place() -> None:
    from netspec import runner

    reached = []
    with pytest.raises(netspec.Interrupted, match="after the outputs were published") as caught, \
            runner._terminable(), runner._signals_held():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
        reached.append("publishing went on")
    assert reached == ["publishing went on"]
    assert caught.value.signal_number == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or callable(
        signal.getsignal(signal.SIGTERM))
