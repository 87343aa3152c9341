"""A full disk while writing outputs: one clear message, exit 3, nothing published, no
traceback from HDF5's destructors and no crash (issue 14).

The disk is a small tmpfs where this machine lets the test mount one (root with
CAP_SYS_ADMIN), and a file-size limit (RLIMIT_FSIZE: writes fail with EFBIG)
everywhere; every data format is tried both ways.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import needs_nest

#: Bytes the small disk holds; every data file below needs more.
SMALL = 96 * 1024

SPEC = """\
netspec: "1"
name: full
simulation: {timestep: 0.1 ms, duration: 1000 ms, seed: 5}
populations:
  noise: {size: 200, cell_type: SpikeSourcePoisson, parameters: {rate: 80 Hz}}
recordings:
  spikes: {target: noise, variables: [spikes]}
export:
  - {format: FORMAT, target: noise, path: sub/noise.FORMAT}
  - {format: summary, path: summary.json}
"""


@contextlib.contextmanager
def _tmpfs(folder: Path, mount: bool = True) -> Iterator[bool]:
    """Mount a tmpfs of :data:`SMALL` bytes at ``folder`` (when ``mount``); yields whether
    it worked."""
    folder.mkdir()
    mounted = False
    if mount and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("mount"):
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SMALL}", "tmpfs",
                                  str(folder)], capture_output=True, check=False).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], capture_output=True, check=False)


def _limit_file_size() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_FSIZE, (SMALL, SMALL))


def _run(args: list[str], disk: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "PYNEST_QUIET": "1"},
                          preexec_fn=_limit_file_size if disk == "file-size-limit" else None)


def _expect_one_clean_error(done: subprocess.CompletedProcess[str], out: Path, file: str,
                            disk: str) -> None:
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, done.stderr[-3000:]  # no traceback, no "Exception ignored"
    assert errors[0].startswith(f"netspec: error: cannot write {out / file}"), errors[0]
    assert ("No space left on device [ENOSPC]" if disk == "tmpfs"
            else "File too large [EFBIG]") in errors[0]
    assert "nothing was published" in errors[0]
    assert not out.exists() or not any(out.iterdir()), "nothing published, nothing left"


#: Writes one export of FORMAT (200 cells, 16000 spikes) into sys.argv[1], as a run does,
#: and reports an OutputError as the command line does.
WRITER = """\
import sys
import numpy as np
from pathlib import Path
from netspec.errors import OutputError
from netspec.export import RecordedData, prepare, write_exports

class Export:
    def __init__(self, fmt, path):
        self.format, self.path, self.target, self.variables = fmt, path, "noise", None
        self.edges = None

rng = np.random.default_rng(5)
times = np.sort(rng.uniform(0, 1000, 16000))
data = {"noise": RecordedData("noise", 200, 0.0, 1000.0, times, rng.integers(0, 200, 16000))}
exports = [Export("FORMAT", "sub/noise.FORMAT")]
try:
    with prepare(exports, Path(sys.argv[1]), force=False) as plan:
        write_exports(plan, exports, data, {}, {})
except OutputError as exc:
    print(f"netspec: error: {exc}", file=sys.stderr)
    sys.exit(3)
"""


@pytest.mark.parametrize("fmt", ["nix", "sonata", "pickle"])
@pytest.mark.parametrize("disk", ["tmpfs", "file-size-limit"])
def test_each_writer_on_a_full_disk(tmp_path: Path, fmt: str, disk: str) -> None:
    with _tmpfs(tmp_path / "disk", mount=disk == "tmpfs") as mounted:
        if disk == "tmpfs" and not mounted:
            pytest.skip("cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN); the "
                        "file-size-limit case covers the same path")
        out = tmp_path / "disk" / "out"
        done = _run([sys.executable, "-c", WRITER.replace("FORMAT", fmt), str(out)], disk)
        assert done.returncode == 3, (done.returncode, done.stderr[-3000:])
        _expect_one_clean_error(done, out, f"sub/noise.{fmt}", disk)


@needs_nest
def test_run_on_a_full_disk_is_one_clear_error_and_publishes_nothing(tmp_path: Path) -> None:
    spec = tmp_path / "full.yaml"
    spec.write_text(SPEC.replace("FORMAT", "nix"), encoding="utf-8")
    with _tmpfs(tmp_path / "disk") as mounted:
        disk = "tmpfs" if mounted else "file-size-limit"
        out = tmp_path / "disk" / "out"
        done = _run([sys.executable, "-m", "netspec", "run", str(spec), "--out", str(out),
                     "--no-progress"], disk)
        assert done.returncode == 3, (done.returncode, done.stderr[-3000:])
        _expect_one_clean_error(done, out, "sub/noise.nix", disk)


def test_the_guard_keeps_hdf5_consistent_after_a_failed_write(tmp_path: Path) -> None:
    """Unit test of the guard: after the first failed write, writes go to memory and read
    back as written; the error is raised when the block ends."""
    from netspec.export import guarded

    path = tmp_path / "x.bin"
    with pytest.raises(OSError, match="disk full"), guarded.guarded(path) as guard:
        guard.write(b"abcdef")
        real = os.pwrite

        def failing(fd: int, data: bytes, offset: int) -> int:
            if offset >= 4:
                raise OSError(28, "disk full")
            return real(fd, data[:4 - offset], offset)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(guarded.os, "pwrite", failing)
            guard.seek(2)
            assert guard.write(b"XYZW") == 4  # 'XY' reach the disk, 'ZW' memory
            guard.seek(0, 2)
            guard.write(b"tail")
        guard.seek(0)
        buffer = bytearray(10)
        assert guard.readinto(buffer) == 10
        assert bytes(buffer) == b"abXYZWtail"
        assert guard.error is not None
    assert path.read_bytes() == b"abXYef"
