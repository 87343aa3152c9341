"""Data files named by a spec are untrusted: confined to the spec's folder, regular files,
headers checked before allocating, content never quoted in a message (issue 14)."""

from __future__ import annotations

import io
import os
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from netspec.datafiles import (
    MAX_FIELD_CHARS,
    DataFileError,
    check_file,
    locate,
    read_rows,
)

SECRET = "hunter2-SECRET-token"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    spec_folder = tmp_path / "spec"
    spec_folder.mkdir()
    return spec_folder


def test_reads_npy_and_text(folder: Path) -> None:
    np.save(folder / "a.npy", np.arange(6, dtype=np.int32).reshape(2, 3))
    (folder / "b.csv").write_text("# comment\n1, 2.5\n\n3,4\n", encoding="utf-8")
    (folder / "c.txt").write_text("1 2\t3\n", encoding="utf-8")
    path, rows = read_rows(folder, "a.npy")
    assert path == folder.resolve() / "a.npy"
    assert [r.tolist() for r in rows] == [[0, 1, 2], [3, 4, 5]]
    assert [r.tolist() for r in read_rows(folder, "b.csv")[1]] == [[1, 2.5], [3, 4]]
    assert [r.tolist() for r in read_rows(folder, "c.txt")[1]] == [[1, 2, 3]]
    np.save(folder / "f.npy", np.asfortranarray(np.arange(6.0).reshape(2, 3)))
    assert [r.tolist() for r in read_rows(folder, "f.npy")[1]] == [[0, 1, 2], [3, 4, 5]]
    np.save(folder / "s.npy", np.float64(7))
    assert [r.tolist() for r in read_rows(folder, "s.npy")[1]] == [[7.0]]


def test_absolute_paths_and_escapes_are_refused(folder: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.csv"
    outside.write_text("1,2\n", encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "link.csv").symlink_to(outside)
    (folder / "sub" / "up").symlink_to(tmp_path)
    for name, why in ((str(outside), "absolute"), ("../outside.csv", "outside"),
                      ("link.csv", "outside"), ("sub/up/outside.csv", "outside"),
                      ("sub/../../outside.csv", "outside"), ("C:\\x.csv", "absolute"),
                      ("", "empty"), ("a\x00.csv", "NUL")):
        with pytest.raises(DataFileError, match=why):
            read_rows(folder, name)
        with pytest.raises(DataFileError, match=why):
            check_file(folder, name)
    (folder / "inside.csv").write_text("5\n", encoding="utf-8")
    (folder / "sub" / "back.csv").symlink_to(folder / "inside.csv")
    assert read_rows(folder, "sub/back.csv")[1][0].tolist() == [5.0]
    assert locate(folder, "sub/../inside.csv") == (folder / "inside.csv").resolve()


def test_only_regular_files_and_a_fifo_does_not_hang(folder: Path) -> None:
    os.mkfifo(folder / "pipe.csv")
    (folder / "dir.npy").mkdir()
    result: list[BaseException | None] = []

    def attempt() -> None:
        try:
            read_rows(folder, "pipe.csv")
            result.append(None)
        except BaseException as exc:  # reported to the test thread
            result.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "reading a FIFO blocked"
    assert isinstance(result[0], DataFileError) and "FIFO" in str(result[0])
    with pytest.raises(DataFileError, match="a folder"):
        read_rows(folder, "dir.npy")
    with pytest.raises(DataFileError, match="FIFO"):
        check_file(folder, "pipe.csv")
    with pytest.raises(DataFileError, match="No such file"):
        read_rows(folder, "missing.csv")


def test_npy_header_checked_before_reading(folder: Path) -> None:
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (10000000000,), }"
    header = header.ljust(118) + "\n"
    (folder / "huge.npy").write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little")
                                      + header.encode("latin1") + b"\0" * 80)
    with pytest.raises(DataFileError, match="holds 10000000000 numbers"):
        read_rows(folder, "huge.npy")
    buffer = io.BytesIO()
    np.save(buffer, np.arange(4.0))
    (folder / "cut.npy").write_bytes(buffer.getvalue()[:-8])
    with pytest.raises(DataFileError, match="announces shape"):
        read_rows(folder, "cut.npy")
    np.savez(folder / "arch.npy", a=np.arange(3))  # numpy adds .npz
    os.replace(folder / "arch.npy.npz", folder / "arch.npy")
    with pytest.raises(DataFileError, match=r"\.npz archive"):
        read_rows(folder, "arch.npy")
    np.save(folder / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataFileError, match="must hold numbers"):
        read_rows(folder, "obj.npy")
    np.save(folder / "text.npy", np.array(["a", "b"]))
    with pytest.raises(DataFileError, match="must hold numbers"):
        read_rows(folder, "text.npy")
    np.save(folder / "cube.npy", np.zeros((2, 2, 2)))
    with pytest.raises(DataFileError, match="3-D"):
        read_rows(folder, "cube.npy")
    np.save(folder / "nan.npy", np.array([1.0, np.nan]))
    with pytest.raises(DataFileError, match="finite"):
        read_rows(folder, "nan.npy")
    (folder / "junk.npy").write_bytes(b"\x93NUMPY\x01\x00\x10\x00" + b"__import__('os')\n")
    with pytest.raises(DataFileError, match="not a valid NumPy header"):
        read_rows(folder, "junk.npy")
    (folder / "plain.npy").write_text(SECRET, encoding="utf-8")
    with pytest.raises(DataFileError, match=r"not a \.npy file"):
        read_rows(folder, "plain.npy")
    with zipfile.ZipFile(folder / "z.npy", "w") as archive:
        archive.writestr("x", SECRET)
    with pytest.raises(DataFileError, match="npz"):
        read_rows(folder, "z.npy")


def test_text_files_never_quote_their_content(folder: Path) -> None:
    cases = {
        "secret.csv": f"1,2\n3,{SECRET}\n",
        "long.csv": "1," + "9" * 200_000 + "\n",  # past the csv module's 128 KiB field limit
        "quoted.csv": '1,"' + "x" * 200_000 + '\n',
        "secret.txt": f"{SECRET}\n",
        "bytes.dat": b"1 2\n\xff\xfe" + SECRET.encode(),
    }
    for name, content in cases.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (folder / name).write_bytes(data)
        with pytest.raises(DataFileError) as caught:
            read_rows(folder, name)
        message = str(caught.value)
        assert SECRET not in message and "999999" not in message and "xxxx" not in message
        assert len(message) < 200
    with pytest.raises(DataFileError, match="line 2, column 2: not a number"):
        read_rows(folder, "secret.csv")
    with pytest.raises(DataFileError, match=f"longer than {MAX_FIELD_CHARS}"):
        read_rows(folder, "long.csv")
    (folder / "ragged.csv").write_text("1,2\n3\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="different lengths"):
        read_rows(folder, "ragged.csv")
    assert len(read_rows(folder, "ragged.csv", ragged=True)[1]) == 2


def test_size_limits(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from netspec import datafiles
    monkeypatch.setattr(datafiles, "MAX_TEXT_BYTES", 10)
    (folder / "big.csv").write_text("1,2,3,4,5,6\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="MiB"):
        read_rows(folder, "big.csv")
    with pytest.raises(DataFileError, match=r"use a \.npy"):
        read_rows(folder, "x.json")


def test_value_count_limit_from_the_header(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from netspec import datafiles
    monkeypatch.setattr(datafiles, "MAX_VALUES", 5)
    np.save(folder / "six.npy", np.zeros(6, dtype=np.int8))  # 6 bytes, 48 as floats
    with pytest.raises(DataFileError, match="holds 6 numbers, more than the 5"):
        read_rows(folder, "six.npy")
    np.save(folder / "five.npy", np.zeros(5, dtype=np.int8))
    assert read_rows(folder, "five.npy")[1][0].dtype == np.float64
