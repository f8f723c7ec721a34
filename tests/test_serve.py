"""`newsdesk serve --processes N`: several server processes on one port, one index."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(p) for p in text]
    return found


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
        return json.load(response)


def wait_for(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            get(url)
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("serve did not start: " + log.read_text(errors="replace"))
            time.sleep(0.1)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


def test_two_processes_share_the_port_and_the_index(data_dir, tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "indexer.cli", "--data-dir", str(data_dir.root),
                                 "serve", "--port", str(port), "--processes", "2", "--workers", "2"],
                                stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/api/stats", proc, log)
        servers = children(proc.pid)
        assert len(servers) == 2
        totals = {get(f"{base}/api/search?q=invasion")["total"] for _ in range(20)}
        assert totals == {1}
        # one server process dies: the other keeps answering on the same port
        os.kill(servers[0], signal.SIGKILL)
        assert all(get(f"{base}/api/search?q=lebanon")["total"] == 2 for _ in range(10))
        assert "2 processes" in log.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    # the parent's end is every server's end
    deadline = time.monotonic() + 10
    while not all(gone(p) for p in servers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(gone(p) for p in servers)
