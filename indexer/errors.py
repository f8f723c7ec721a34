"""The few error types newsdesk raises on purpose.

Every layer turns these into its own kind of answer: the CLI prints one line
on stderr and exits non-zero, the API answers 400/503 with ``{"error": ...}``,
pages render a styled error page.  Anything else is a bug.
"""
from __future__ import annotations


class NewsdeskError(Exception):
    """Base class: a problem the user can act on, with a clear message."""

    status = 400


class BadInput(NewsdeskError):
    """An input file, line or record could not be read."""


class BadRequest(NewsdeskError):
    """A search request has a bad parameter (page, per_page, sort, date...)."""


class NotFound(NewsdeskError):
    """An article id that is not in the store or the index."""

    status = 404


class IndexUnavailable(NewsdeskError):
    """There is no usable index yet (never built, or unreadable)."""

    status = 503
