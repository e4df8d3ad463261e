"""Start and stop the panel simulator and a real Home Assistant as processes.

Each server runs in its own process group, so stopping it also ends anything it
started, and nothing outlives the caller that owns the ``ManagedProcess``.
"""

from __future__ import annotations

from collections.abc import Mapping
import contextlib
import importlib.metadata
import importlib.util
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import time
from types import TracebackType
from typing import IO, Self
import urllib.error
import urllib.request

PROJECT_ROOT = Path(__file__).resolve().parents[2]
INTEGRATION_DIR = PROJECT_ROOT / "custom_components" / "smm_panel"
LOOPBACK = "127.0.0.1"


class ProcessStartError(RuntimeError):
    """A server did not come up; the message ends with its last log lines."""


def free_port() -> int:
    """Return a TCP port that is free on the loopback address right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def frontend_requirement() -> str:
    """Return the frontend package pinned by the installed Home Assistant."""
    spec = importlib.util.find_spec("homeassistant")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("Home Assistant is not installed in this environment")
    package = Path(next(iter(spec.submodule_search_locations)))
    manifest = json.loads(
        (package / "components" / "frontend" / "manifest.json").read_text("utf-8")
    )
    requirement: str = manifest["requirements"][0]
    return requirement


def ensure_frontend() -> None:
    """Install the frontend Home Assistant pins, unless it is already there.

    Home Assistant always sets up ``frontend``; without its package it starts
    in recovery mode and ignores the configuration. The package comes from
    PyPI into the running interpreter's environment (the project's cached
    virtual environment), once.
    """
    requirement = frontend_requirement()
    name, _, version = requirement.partition("==")
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        if importlib.metadata.version(name) == version:
            return
    print(f"Installing {requirement} (once)", file=sys.stderr, flush=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", requirement],
        check=True,
    )
    importlib.invalidate_caches()


def ensure_integration_requirements(*domains: str) -> None:
    """Install the requirements of Home Assistant integrations, once.

    Home Assistant runs with ``--skip-pip`` here, so an integration it loads
    must find its packages installed. Since 2026.x the frontend's list of
    actions imports ``conversation`` (through ``ai_task``), whose packages
    the test plugin does not install: without them the frontend never loads.
    Installed under the leg's constraints when the venv has them.
    """
    spec = importlib.util.find_spec("homeassistant")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("Home Assistant is not installed in this environment")
    components = Path(next(iter(spec.submodule_search_locations))) / "components"
    missing: list[str] = []
    for domain in domains:
        manifest = json.loads(
            (components / domain / "manifest.json").read_text("utf-8")
        )
        for requirement in manifest.get("requirements", []):
            name, _, version = requirement.partition("==")
            try:
                if importlib.metadata.version(name) == version:
                    continue
            except importlib.metadata.PackageNotFoundError:
                pass
            missing.append(requirement)
    if not missing:
        return
    print(f"Installing {', '.join(missing)} (once)", file=sys.stderr, flush=True)
    constraints = Path(sys.prefix) / "package_constraints.txt"
    extra = ["-c", str(constraints)] if constraints.exists() else []
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", *missing, *extra],
        check=True,
    )
    importlib.invalidate_caches()


def prepare_config_dir(config_dir: Path, configuration: str) -> None:
    """Write ``configuration.yaml`` and link the integration into the folder."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "configuration.yaml").write_text(configuration, "utf-8")
    custom = config_dir / "custom_components"
    custom.mkdir(exist_ok=True)
    target = custom / INTEGRATION_DIR.name
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.is_dir():
        shutil.rmtree(target)
    try:
        target.symlink_to(INTEGRATION_DIR, target_is_directory=True)
    except OSError:
        # Filesystems without symlinks get a copy instead.
        shutil.copytree(
            INTEGRATION_DIR, target, ignore=shutil.ignore_patterns("__pycache__")
        )


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """Return the HTTP status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code
    except (OSError, ValueError):
        return None


class ManagedProcess:
    """A server process in its own process group, logging to a file."""

    def __init__(
        self,
        name: str,
        args: list[str],
        log_path: Path,
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """Describe the process; nothing runs until ``start``."""
        self.name = name
        self.args = args
        self.log_path = log_path
        self.cwd = cwd
        self.env = dict(env) if env is not None else None
        self.popen: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The process id, once started."""
        return None if self.popen is None else self.popen.pid

    @property
    def running(self) -> bool:
        """Whether the process was started and has not exited."""
        return self.popen is not None and self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        """The exit code, once the process has exited."""
        return None if self.popen is None else self.popen.poll()

    def start(self) -> Self:
        """Start the process (log appended to ``log_path``)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.args,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.cwd,
            env=self.env,
            # Its own process group: a signal to it never reaches the caller,
            # and stop() can end the whole group.
            start_new_session=True,
        )
        return self

    def stop(self, timeout: float = 30.0) -> int | None:
        """Ask the process group to stop (SIGTERM), kill it after ``timeout``.

        Returns the exit code of the main process (None if it never started).
        """
        popen = self.popen
        if popen is None:
            return None
        try:
            if popen.poll() is None:
                self._signal_group(signal.SIGTERM)
                try:
                    popen.wait(timeout)
                except subprocess.TimeoutExpired:
                    self._signal_group(signal.SIGKILL)
                    popen.wait(10)
            # Children left in the group (none expected) go too.
            self._signal_group(signal.SIGKILL)
            return popen.returncode
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self.popen is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def log_tail(self, lines: int = 60) -> str:
        """Return the last lines of the log."""
        try:
            text = self.log_path.read_text("utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_for_http(self, url: str, timeout: float) -> None:
        """Wait until ``url`` answers with any HTTP status below 500."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise ProcessStartError(
                    f"{self.name} exited with code {self.returncode}:\n"
                    + self.log_tail()
                )
            status = http_status(url)
            if status is not None and status < 500:
                return
            time.sleep(0.2)
        raise ProcessStartError(
            f"{self.name} did not answer {url} within {timeout:.0f} s:\n"
            + self.log_tail()
        )

    def __enter__(self) -> Self:
        """Start on entering a ``with`` block."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop on leaving a ``with`` block, whatever happened inside."""
        self.stop()


def simulator_process(
    port: int,
    log_path: Path,
    *,
    key: str,
    balance: str = "100",
    currency: str = "USD",
    speed: float = 0.0,
) -> ManagedProcess:
    """Describe ``python -m simulator`` on ``port`` (speed 0: time only jumps).

    With speed 0 its clock moves only through ``POST /_sim/advance``.
    """
    args = [
        sys.executable,
        "-m",
        "simulator",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--key",
        key,
        "--balance",
        balance,
        "--currency",
        currency,
        "--speed",
        str(speed),
    ]
    return ManagedProcess("simulator", args, log_path, cwd=PROJECT_ROOT)


def start_simulator(
    port: int,
    log_path: Path,
    *,
    key: str,
    balance: str = "100",
    currency: str = "USD",
    speed: float = 0.0,
    timeout: float = 120.0,
) -> ManagedProcess:
    """Start the simulator and wait until its control endpoint answers."""
    process = simulator_process(
        port, log_path, key=key, balance=balance, currency=currency, speed=speed
    ).start()
    try:
        process.wait_for_http(f"http://{LOOPBACK}:{port}/_sim/requests", timeout)
    except BaseException:
        process.stop()
        raise
    return process


def home_assistant_process(config_dir: Path, log_path: Path) -> ManagedProcess:
    """Describe ``python -m homeassistant`` on a configuration folder.

    ``--skip-pip`` keeps it offline: every requirement is already installed.
    It runs from the configuration folder, without ``PYTHONPATH``, so the
    project folder is not on its import path: the integration must load from
    the configuration folder's ``custom_components``, as it does for a user.
    """
    args = [
        sys.executable,
        "-m",
        "homeassistant",
        "--config",
        str(config_dir),
        "--skip-pip",
    ]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return ManagedProcess("Home Assistant", args, log_path, cwd=config_dir, env=env)


def start_home_assistant(
    config_dir: Path, port: int, log_path: Path, *, timeout: float = 300.0
) -> ManagedProcess:
    """Start Home Assistant and wait until its HTTP server answers.

    The HTTP server opens once start-up is done, config entries included.
    The probe asks for the frontend's manifest: a request to the API without a
    token would count as a failed login and raise a notification.
    """
    process = home_assistant_process(config_dir, log_path).start()
    try:
        process.wait_for_http(f"http://{LOOPBACK}:{port}/manifest.json", timeout)
    except BaseException:
        process.stop()
        raise
    return process
