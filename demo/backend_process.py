"""Start the backend as its own process (`uvicorn storeintel_app:app`), wait until `/ready`, stop it on exit.

The one way the demo, the e2e tests and the HTTP benchmarks run a real server: each passes its own
environment, port, log file, extra uvicorn options and timeouts.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import httpx

# Where `storeintel_app` (a top-level module) sits next to `demo/`: the checkout's root, or site-packages
# when installed. It goes first on the server's PYTHONPATH so the module imports from any working
# directory, also under an editable install that maps only the packages.
_APP_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class BackendProcess:
    """`uvicorn storeintel_app:app` on 127.0.0.1 with the given environment; a context manager.

    Args:
        env: variables set over this process's environment (`STOREINTEL_*`).
        port: the TCP port to listen on.
        log_path: file that receives the server's stdout and stderr (appended); None: inherit ours.
        uvicorn_args: extra command-line options (`--workers 2`, `--loop uvloop`, ...).
        unset_env: variables of this process's environment the server must not see.
        cwd: the server's working directory (where it reads `.env`); None: ours.
        process_group: start the server in its own session and signal the whole group on stop
            (needed with `--workers`, whose children would otherwise outlive the parent).
        ready_timeout_s: seconds to wait for `/ready` on enter.
        stop_timeout_s: seconds to wait after SIGTERM before SIGKILL on exit.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        port: int,
        log_path: Path | None = None,
        *,
        uvicorn_args: Sequence[str] = (),
        unset_env: Sequence[str] = (),
        cwd: Path | None = None,
        process_group: bool = False,
        ready_timeout_s: float = 60.0,
        stop_timeout_s: float = 15.0,
    ) -> None:
        merged = {k: v for k, v in {**os.environ, **env}.items() if k not in unset_env}
        merged["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_APP_DIR), merged.get("PYTHONPATH")]))
        self.env = merged
        self.port = port
        self.log_path = log_path
        self.base_url = f"http://127.0.0.1:{port}"
        self.command = [
            *(sys.executable, "-m", "uvicorn", "storeintel_app:app"),
            *("--host", "127.0.0.1", "--port", str(port), *uvicorn_args),
        ]
        self.cwd = cwd
        self.process_group = process_group
        self.ready_timeout_s = ready_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The server's process id (the uvicorn supervisor with `--workers`).

        Raises:
            RuntimeError: the process has not been started.
        """
        if self.process is None:
            raise RuntimeError("the backend process is not running")
        return self.process.pid

    def __enter__(self) -> BackendProcess:
        log = None
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            log = self.log_path.open("ab")
        try:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT if log is not None else None,
                start_new_session=self.process_group,
            )
        finally:
            if log is not None:
                log.close()  # the child holds its own descriptor
        try:
            self.wait_ready(self.ready_timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Block until `/ready` answers 200.

        Raises:
            RuntimeError: the process exited or did not become ready in time (with the log's tail).
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                break
            try:
                if httpx.get(f"{self.base_url}/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        code = self.process.returncode if self.process is not None else None
        why = f"exited with {code}" if code is not None else f"was not ready in {timeout_s:g} s"
        tail = ""
        if self.log_path is not None and self.log_path.exists():
            tail = (
                f"; its log ({self.log_path}) ends with:\n"
                + self.log_path.read_text(errors="replace")[-3000:]
            )
        raise RuntimeError(f"the backend {why}{tail}")

    def stop(self) -> None:
        """SIGTERM (to the group with `process_group`), then SIGKILL after `stop_timeout_s`."""
        if self.process is None or self.process.poll() is not None:
            return
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=self.stop_timeout_s)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.process.wait()

    def _signal(self, signum: signal.Signals) -> None:
        assert self.process is not None
        if self.process_group:
            os.killpg(self.process.pid, signum)
        else:
            self.process.send_signal(signum)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
