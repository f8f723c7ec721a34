"""The engine seam: one protocol, engine-neutral types, and the backends behind it.

The search service and the pipeline speak only :class:`SearchBackend`
(``protocol.py``) in the types of ``types.py``; queries reach a backend as our
own tree (:mod:`indexer.query`), never as an engine's syntax.  Which backend
serves a data dir is configuration, not code: ``newsdesk --engine SPEC`` or
``$NEWSDESK_ENGINE`` (see :mod:`indexer.config`), resolved by
:func:`open_backend` through :data:`BACKENDS`.

``whoosh`` (the default) is the embedded index in ``DATA/index``
(``whoosh_backend.py`` and the modules it names); only it imports ``whoosh``,
and only when it is the engine in use.

``typesense://KEY@host:port[,host:port...]`` is a replicated Typesense cluster
(``typesense_backend.py``, docs/typesense.md); only it imports ``typesense``.
"""
from __future__ import annotations

import importlib

from ..errors import BadInput
from .protocol import SearchBackend
from .types import FACETS, EngineHit, EngineQuery, EngineResult, WriteReport

# scheme of an engine spec -> "module:factory"; the factory takes (spec, data dir)
BACKENDS = {"whoosh": "indexer.engine.whoosh_backend:open_whoosh",
            "typesense": "indexer.engine.typesense_backend:open_typesense"}

__all__ = ["BACKENDS", "FACETS", "EngineHit", "EngineQuery", "EngineResult", "SearchBackend",
           "WriteReport", "open_backend"]


def open_backend(data) -> SearchBackend:
    """The backend ``data.engine`` names (``whoosh``, ``scheme://…``), opened on ``data``."""
    spec = data.engine or "whoosh"
    scheme = spec.split("://", 1)[0].lower()
    if scheme not in BACKENDS:
        raise BadInput(f"unknown engine {spec!r}: choose one of {', '.join(BACKENDS)}")
    module, factory = BACKENDS[scheme].split(":")
    return getattr(importlib.import_module(module), factory)(spec, data)


def __getattr__(name: str):
    """The Whoosh backend's own helpers (``build``, ``current_generation``, ``write_lock``…)
    for tools and tests that work on the embedded index directly; imported on first use."""
    if name.startswith("__"):
        raise AttributeError(name)
    whoosh_backend = importlib.import_module(f"{__name__}.whoosh_backend")
    if name in whoosh_backend.__all__:
        return getattr(whoosh_backend, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
