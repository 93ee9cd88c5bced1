"""Real servers for the tests, on 127.0.0.1: each one a process of its own session, started here and stopped by its
process group (its own id), never by name."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(command: list, ready: Callable[[], bool], log: Path, timeout: float = 120, **popen) -> Iterator[subprocess.Popen]:
    """`command` running until the block ends, once `ready()` says it serves; its output in `log`."""
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **popen)
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited with {process.returncode}: {log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{command[0]} did not start in {timeout} s: {log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield process
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                process.wait(30)
                break
            except subprocess.TimeoutExpired:
                continue


def answers(url: str) -> bool:
    """Whether `url` answers a GET (any status under 400)."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


def _listens(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """A PostgreSQL 16 server (the binaries of the pgserver wheel) in a new cluster: its libpq URL. PostgreSQL
    refuses to run as root, so as root the cluster and a copy of the binaries belong to `nobody`."""
    folder = Path(tempfile.mkdtemp(prefix="pipeline-pg-"))  # not under pytest's tmp: `nobody` cannot enter it
    try:
        wheel = Path(importlib.util.find_spec("pgserver").origin).parent  # not imported: only its binaries are used
        shutil.copytree(wheel / "pginstall", folder / "pgserver" / "pginstall")
        shutil.copytree(wheel.parent / "pgserver.libs", folder / "pgserver.libs")  # the binaries' RPATH: ../../../pgserver.libs
        who = {}
        if os.geteuid() == 0:
            user = pwd.getpwnam("nobody")
            who = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
            for path in [folder, *folder.rglob("*")]:
                os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)
        data, port, bin_ = folder / "data", free_port(), folder / "pgserver" / "pginstall" / "bin"
        subprocess.run([bin_ / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"],
                       check=True, capture_output=True, **who)  # fmt: skip
        command = [bin_ / "postgres", "-D", data, "-p", str(port), "-k", folder, "-c", "listen_addresses=127.0.0.1"]
        ready = lambda: subprocess.run([bin_ / "pg_isready", "-h", "127.0.0.1", "-p", str(port)], capture_output=True).returncode == 0  # noqa: E731
        with server(command, ready, folder / "postgres.log", **who):
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def s3(folder: Path) -> Iterator[str]:
    """moto's S3 server: its endpoint URL (any key and secret are accepted)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with server([BIN / "moto_server", "-H", "127.0.0.1", "-p", str(port)], lambda: answers(url), folder / "moto.log"):
        yield url


@contextlib.contextmanager
def gcs(folder: Path) -> Iterator[str]:
    """gcp-storage-emulator's Google Cloud Storage server, its objects in memory: its URL (STORAGE_EMULATOR_HOST)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [BIN / "gcp-storage-emulator", "start", "--host", "127.0.0.1", "--port", str(port), "--in-memory"]
    with server(command, lambda: _listens(port), folder / "gcs.log"):
        yield url


@contextlib.contextmanager
def ray_cluster(cpus: int = 2) -> Iterator[str]:
    """A Ray head node with `cpus` worker slots: its address, for ray.init(address=...)."""
    folder = Path(tempfile.mkdtemp(prefix="ray-"))  # short: Ray's socket paths must fit in 107 characters
    port = free_port()
    command = [BIN / "ray", "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
               f"--num-cpus={cpus}", "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={folder}"]  # fmt: skip
    try:
        with server(command, lambda: _listens(port), folder / "ray.log"):
            yield f"127.0.0.1:{port}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
