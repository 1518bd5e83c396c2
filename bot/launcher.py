"""The real bot as a child process, exactly as `relais run` starts it: used by `relais demo`
and by the end-to-end tests, which must be able to SIGKILL it and start it again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


class BotProcess:
    def __init__(
        self,
        *,
        token: str,
        base_url: str,
        database_url: str,
        log_path: Path,
        extra_env: dict[str, str] | None = None,
        cwd: Path | None = None,
        extra_args: list[str] | None = None,
    ) -> None:
        self.token = token
        self.base_url = base_url
        self.database_url = database_url
        self.log_path = log_path
        self.extra_env = extra_env or {}
        self.extra_args = extra_args or []  # e.g. --webhook-url ... --listen ... --port ...
        self.cwd = cwd or log_path.parent
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RELAIS_"))}
        env.update(DATABASE_URL=self.database_url, RELAIS_LOG_LEVEL="INFO", PYTHONUNBUFFERED="1")
        env.update(self.extra_env)  # e.g. RELAIS_LOG_LEVEL=DEBUG for a test of the logs
        command = [
            sys.executable,
            "-m",
            "bot",
            "run",
            "--token",
            self.token,
            "--base-url",
            self.base_url,
            *self.extra_args,
        ]
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            command, env=env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def returncode(self) -> int | None:
        """The exit code once it has ended by itself (or been stopped), else None."""
        return self._process.poll() if self._process is not None else None

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, like a crash or a pulled plug."""
        if self._process is not None and self.running:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=10)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM and wait; SIGKILL if it does not stop in time."""
        if self._process is None:
            return None
        if self.running:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self._process.returncode

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
