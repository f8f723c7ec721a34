"""The production server: waitress, with limits, and the security headers on every answer.

Flask's ``after_request`` puts ``SECURITY_HEADERS`` on what the app answers, but
waitress answers some requests itself, before any app runs: a request line or
header block over ``max_request_header_size`` (431), a body over
``max_request_body_size`` (413), a malformed request (400), a crash (500).  Those
come from waitress's ``ErrorTask`` (``utilities.Error.to_response``), which no WSGI
middleware sees.  So the server here is waitress's own, built by
``waitress.create_server``, whose listening sockets make channels of our
``HTTPChannel`` subclass, whose error task adds the headers.  Nothing of waitress is
patched: the classes are set on the server instances this module builds.

    server = make_server(app, host="127.0.0.1", port=5000, threads=8)
    server.run()
"""
from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask

from . import SECURITY_HEADERS

# Limits for one request and one connection (waitress's defaults in brackets).
LIMITS: dict[str, Any] = {
    "max_request_header_size": 64 * 1024,  # request line + headers (256 kB): a 431 beyond
    "max_request_body_size": 64 * 1024,    # every route is a GET (1 GB): a 413 beyond
    "channel_timeout": 30,                 # seconds a connection may sit idle (120)
    "connection_limit": 200,               # open connections at once (100)
}


class SecureErrorTask(ErrorTask):
    """Waitress's own error answers (400, 413, 431, 500) with the security headers."""

    def build_response_header(self):
        # called by the first write, once ``execute`` has set the status and headers
        present = {name.lower() for name, _ in self.response_headers}
        self.response_headers.extend((name, value) for name, value in SECURITY_HEADERS.items()
                                     if name.lower() not in present)
        return super().build_response_header()


class SecureChannel(HTTPChannel):
    error_task_class = SecureErrorTask


def make_server(app, host: str = "127.0.0.1", port: int = 5000, threads: int = 8,
                **options: Any):
    """A waitress server for ``app`` on ``host:port`` with ``LIMITS`` (``options``
    override them and pass any other waitress setting); ``port=0`` picks a free port
    (see ``server.effective_port``).  Call ``.run()`` to serve, ``.close()`` to stop."""
    settings = {**LIMITS, "ident": "newsdesk", **options}
    if "sockets" not in settings:
        settings.update(host=host, port=port)
    sockets: dict = {}  # waitress's socket map: the listeners, then their channels
    server = create_server(app, map=sockets, threads=threads, **settings)
    # one listener per socket (several when a host name has several addresses)
    listeners = [d for d in sockets.values() if isinstance(d, BaseWSGIServer)]
    for listener in listeners:
        listener.channel_class = SecureChannel
    if not listeners:  # pragma: no cover - create_server always makes at least one
        raise RuntimeError("waitress made no listening socket")
    return server


def default_base_url(host: str, port: int) -> str:
    """The site's root URL as seen from this machine: the bind address, with
    ``localhost`` for a wildcard one (0.0.0.0, ::), IPv6 in brackets, no :80."""
    if host in ("", "0.0.0.0", "::", "*"):
        host = "localhost"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}" + ("" if port == 80 else f":{port}")


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket for ``host:port`` (``port=0``: a free one), to be
    shared by several server processes (``serve_processes``)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def serve_processes(run_one: Callable[[], None], processes: int) -> None:
    """Run ``run_one`` (build an app and a server on the shared socket, serve) in
    ``processes`` forked children, and wait; SIGINT/SIGTERM stop them all.

    One Python process serves requests on one core at a time (the GIL); several
    processes accepting on one socket use every core.  They share the index:
    its files are memory-mapped read-only (``indexer.engine.storage``), so the
    pages sit once in the page cache whatever the number of processes.  Each
    child opens its own index on its first request and ends when this parent does.
    """
    parent = os.getpid()
    children: list[int] = []
    for _ in range(processes):
        pid = os.fork()
        if pid == 0:  # a server process
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)

            def end_with_parent() -> None:
                while os.getppid() == parent:
                    time.sleep(0.5)
                os._exit(0)
            threading.Thread(target=end_with_parent, daemon=True).start()
            try:
                run_one()
            finally:
                os._exit(1)
        children.append(pid)

    def stop(signum, frame):  # noqa: ARG001
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    try:
        while children:  # a child that dies is reported, the others keep serving
            pid, status = os.wait()
            children.remove(pid)
            print(f"newsdesk: server process {pid} ended ({status})", flush=True)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
