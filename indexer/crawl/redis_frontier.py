"""The shared crawl frontier in Redis: many crawl workers, one queue, one fetch log.

``newsdesk crawl --frontier redis://HOST:PORT/DB`` gives every worker (on one
machine or many) the same frontier: what :class:`~indexer.crawl.frontier.Frontier`
keeps in ``crawl.sqlite`` -- each URL's kind, state, outcome and reason,
validators, body hash -- plus what sharing needs:

* **Leases.**  :meth:`RedisFrontier.due` pops URLs and leases them to this
  worker until ``now + lease`` seconds; the worker renews its leases every second
  (:meth:`heartbeat`) and ends one by recording the outcome.  A URL is leased to
  one worker at a time, so it is fetched once.  A worker killed mid-fetch stops
  renewing: once its leases lapse, the next ``due`` of any worker puts those URLs
  back in the queue (in their old place) and another worker fetches them.
* **One seen-set.**  A URL is known once for all workers (:meth:`add` is
  "create unless it exists", atomically); links found by one worker go to the
  shared queue, for whichever worker has room.
* **One per-host delay.**  :meth:`host_wait` lets a request to a host go only
  once the host's next allowed time has passed, and moves that time ``delay``
  ahead in the same atomic step (else it says how long to wait, and the caller
  asks again then).  Times are the Redis server's clock, so workers on machines
  whose clocks disagree still space their requests; a worker that wakes late
  only makes the gap longer.
* **One run.**  The first worker to :meth:`join` (no other live worker) starts
  the run and revisits the seeds; workers joining a live crawl do not fetch
  the feeds and sitemaps again.

Every state change is one Lua script, so it is atomic on the server whatever
the workers do at the same moment.  A single Redis server (or a primary with
replicas), not Redis Cluster: the scripts touch keys they compute.

Keys (``newsdesk:crawl:`` prefix): ``url:<url>`` (a hash per URL), ``queue``
(sorted set: seeds first, then by depth, then first found), ``leases`` and
``retry`` (sorted by expiry and next try), ``s:done``, ``s:failed``,
``s:skipped`` (sets), ``outcomes`` (counts per outcome), ``bodies`` (body hash
-> URL, for duplicates), ``workers`` (live workers by heartbeat), ``host:<host>``
(next allowed request time), ``seq``.  A worker is named ``host:pid:random``.

A Redis error (the server gone, a timeout after the client's retries) is a
:class:`~indexer.crawl.frontier.FrontierError`: the spider stops its worker at
once rather than fetch what it cannot record; its leases lapse, and the next run
resumes.
"""
from __future__ import annotations

import os
import secrets
import socket
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from .frontier import Entry, FrontierError

PREFIX = "newsdesk:crawl:"
WINDOW = 16          # URLs one worker holds at most (the spider passes its own): the rest wait
REVISIT = ("article", "not_article", "unchanged")

_LUA = r"""
local P = ARGV[1]
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function K(u) return P .. 'url:' .. u end
local ZSETS = {queued = 'queue', leased = 'leases', retry = 'retry'}
local RANK = {robots = 0, sitemap = 1, feed = 1, start = 2}
local function leave(u, state)
  if not state then return end
  local z = ZSETS[state]
  if z then redis.call('ZREM', P .. z, u) else redis.call('SREM', P .. 's:' .. state, u) end
end
local function enter(u, state, score)
  local z = ZSETS[state]
  if z then redis.call('ZADD', P .. z, score, u) else redis.call('SADD', P .. 's:' .. state, u) end
  redis.call('HSET', K(u), 'state', state)
end
local function move(u, state, score)
  leave(u, redis.call('HGET', K(u), 'state'))
  enter(u, state, score)
end
local function set_outcome(u, new)
  local old = redis.call('HGET', K(u), 'outcome')
  if old and old ~= '' then redis.call('HINCRBY', P .. 'outcomes', old, -1) end
  if new ~= '' then redis.call('HINCRBY', P .. 'outcomes', new, 1) end
  redis.call('HSET', K(u), 'outcome', new)
end
local function priority(u)
  local h = redis.call('HMGET', K(u), 'kind', 'depth', 'seq')
  return (RANK[h[1]] or 3) * 1e12 + (tonumber(h[2]) or 0) * 1e9 + (tonumber(h[3]) or 0)
end
local function create(u, kind, depth, found_from, t)
  local seq = redis.call('INCR', P .. 'seq')
  redis.call('HSET', K(u), 'url', u, 'kind', kind, 'depth', depth, 'found_from', found_from,
             'attempts', 0, 'seq', seq, 'updated_at', t, 'outcome', '', 'reason', '')
end
-- a lease given back unfetched: a claimed redirect target is forgotten, anything else requeued
local function unlease(u)
  redis.call('HDEL', K(u), 'worker')
  if redis.call('HGET', K(u), 'claimed') == '1' then
    leave(u, 'leased')
    redis.call('DEL', K(u))
  else
    move(u, 'queued', priority(u))
  end
end
"""

_SCRIPTS = {
    # ARGV: P, url, kind, depth, found_from, claim, worker, lease
    "add": """
local u = ARGV[2]
if redis.call('EXISTS', K(u)) == 1 then return 0 end
local t = now()
create(u, ARGV[3], ARGV[4], ARGV[5], t)
if ARGV[6] == '1' then
  redis.call('HSET', K(u), 'worker', ARGV[7], 'claimed', '1')
  enter(u, 'leased', t + tonumber(ARGV[8]))
else
  enter(u, 'queued', priority(u))
end
return 1
""",
    # ARGV: P, url, kind, found_from, revisit
    "seed": """
local u = ARGV[2]
if redis.call('EXISTS', K(u)) == 0 then
  create(u, ARGV[3], 0, ARGV[4], now())
  enter(u, 'queued', priority(u))
  return 1
end
local state = redis.call('HGET', K(u), 'state')
if ARGV[5] == '1' and (state == 'done' or state == 'skipped') then
  redis.call('HSET', K(u), 'kind', ARGV[3], 'depth', 0, 'updated_at', now())
  move(u, 'queued', priority(u))
end
return 0
""",
    # ARGV: P, url, kind, outcome, reason, found_from
    "skip": """
local u = ARGV[2]
if redis.call('EXISTS', K(u)) == 1 then return 0 end
create(u, ARGV[3], 0, ARGV[6], now())
redis.call('HSET', K(u), 'reason', ARGV[5])
set_outcome(u, ARGV[4])
enter(u, 'skipped', 0)
return 1
""",
    # ARGV: P, url, reason, depth, found_from
    "alias": """
local u = ARGV[2]
if redis.call('EXISTS', K(u)) == 1 then return 0 end
local t = now()
create(u, 'page', ARGV[4], ARGV[5], t)
redis.call('HSET', K(u), 'reason', ARGV[3], 'fetched_at', t)
set_outcome(u, 'alias')
enter(u, 'done', 0)
return 1
""",
    # ARGV: P, worker, lease, limit -> flat list of url, kind, depth, etag, last_modified, attempts
    "take": """
local t = now()
for _, u in ipairs(redis.call('ZRANGEBYSCORE', P .. 'leases', '-inf', t, 'LIMIT', 0, 1000)) do
  unlease(u)
end
for _, u in ipairs(redis.call('ZRANGEBYSCORE', P .. 'retry', '-inf', t, 'LIMIT', 0, 1000)) do
  move(u, 'queued', priority(u))
end
local out = {}
local limit = tonumber(ARGV[4])
if limit <= 0 then return out end
local popped = redis.call('ZPOPMIN', P .. 'queue', limit)
for i = 1, #popped, 2 do
  local u = popped[i]
  redis.call('HSET', K(u), 'worker', ARGV[2])
  enter(u, 'leased', t + tonumber(ARGV[3]))
  local h = redis.call('HMGET', K(u), 'kind', 'depth', 'etag', 'last_modified', 'attempts')
  table.insert(out, u)
  for j = 1, 5 do table.insert(out, h[j] or '') end
end
return out
""",
    # ARGV: P, worker, lease, url... -> the URLs no longer leased to this worker
    "heartbeat": """
local t = now()
local lease = tonumber(ARGV[3])
redis.call('ZADD', P .. 'workers', t + lease, ARGV[2])
local lost = {}
for i = 4, #ARGV do
  local u = ARGV[i]
  local h = redis.call('HMGET', K(u), 'worker', 'state')
  if h[1] == ARGV[2] and h[2] == 'leased' then
    redis.call('ZADD', P .. 'leases', 'XX', t + lease, u)
  else
    table.insert(lost, u)
  end
end
return lost
""",
    # ARGV: P, worker, url
    "release": """
local u = ARGV[3]
local h = redis.call('HMGET', K(u), 'worker', 'state')
if h[1] ~= ARGV[2] or h[2] ~= 'leased' then return 0 end
unlease(u)
return 1
""",
    # ARGV: P, worker, url, kind, outcome, reason, status, etag, last_modified, digest, article_id
    "done": """
local u = ARGV[3]
local t = now()
if redis.call('EXISTS', K(u)) == 0 then create(u, ARGV[4], 0, '', t) end
set_outcome(u, ARGV[5])
redis.call('HSET', K(u), 'reason', ARGV[6], 'status', ARGV[7], 'attempts', 0, 'fetched_at', t,
           'updated_at', t, 'fetched_by', ARGV[2])
local fields = {'etag', 'last_modified', 'body_hash', 'article_id'}
for i = 1, 4 do
  if ARGV[7 + i] ~= '' then redis.call('HSET', K(u), fields[i], ARGV[7 + i]) end
end
redis.call('HDEL', K(u), 'worker', 'claimed')
move(u, 'done', 0)
local d = ARGV[10]
if ARGV[5] == 'article' and d ~= '' then
  local v = redis.call('HGET', P .. 'bodies', d)
  if not v or redis.call('HGET', K(v), 'body_hash') ~= d then
    redis.call('HSET', P .. 'bodies', d, u)
  end
end
return 1
""",
    # ARGV: P, worker, url, outcome, reason, status, retryable, max_attempts, backoff -> state
    "failed": """
local u = ARGV[3]
local t = now()
if redis.call('EXISTS', K(u)) == 0 then create(u, 'page', 0, '', t) end
local attempts = (tonumber(redis.call('HGET', K(u), 'attempts')) or 0) + 1
local retry = ARGV[7] == '1' and attempts < tonumber(ARGV[8])
set_outcome(u, ARGV[4])
redis.call('HSET', K(u), 'reason', ARGV[5], 'status', ARGV[6], 'attempts', attempts,
           'fetched_at', t, 'updated_at', t, 'fetched_by', ARGV[2])
redis.call('HDEL', K(u), 'worker', 'claimed')
if retry then
  local next_try = t + tonumber(ARGV[9]) * 2 ^ (attempts - 1)
  redis.call('HSET', K(u), 'next_try', tostring(next_try))
  move(u, 'retry', next_try)
  return 'retry'
end
redis.call('HSET', K(u), 'next_try', 0)
move(u, 'failed', 0)
return 'failed'
""",
    # ARGV: P, digest, url -> the other URL with this body, or '' (and this URL owns it now)
    "duplicate": """
local d, u = ARGV[2], ARGV[3]
local v = redis.call('HGET', P .. 'bodies', d)
if v and v ~= u and redis.call('HGET', K(v), 'body_hash') == d then return v end
redis.call('HSET', P .. 'bodies', d, u)
redis.call('HSET', K(u), 'body_hash', d)
return ''
""",
    # ARGV: P, url... -> how many were queued again
    "requeue": """
local n = 0
for i = 2, #ARGV do
  local u = ARGV[i]
  local h = redis.call('HMGET', K(u), 'state', 'outcome')
  if h[1] == 'done' and (h[2] == 'article' or h[2] == 'not_article' or h[2] == 'unchanged') then
    move(u, 'queued', priority(u))
    n = n + 1
  end
end
return n
""",
    # ARGV: P, worker, lease -> 1 when no other worker is live (this one starts the run)
    "join": """
local t = now()
redis.call('ZREMRANGEBYSCORE', P .. 'workers', '-inf', t)
local others = redis.call('ZCARD', P .. 'workers')
redis.call('ZADD', P .. 'workers', t + tonumber(ARGV[3]), ARGV[2])
if others == 0 then return 1 end
return 0
""",
    # ARGV: P, host, delay -> '0' (go now: the next request waits delay) or seconds to wait
    # (a string: Lua numbers reach Redis as integers)
    "host_wait": """
local t = now()
local k = P .. 'host:' .. ARGV[2]
local delay = tonumber(ARGV[3])
local allowed = tonumber(redis.call('GET', k)) or 0
if t < allowed then return tostring(allowed - t) end
redis.call('SET', k, tostring(t + delay), 'PX', math.ceil(delay * 1000) + 60000)
return '0'
""",
}

_INT = ("depth", "attempts", "status", "seq")
_FLOAT = ("next_try", "fetched_at", "updated_at")


def redacted(url: str) -> str:
    """The frontier URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class RedisFrontier:
    """The :class:`~indexer.crawl.frontier.Frontier` protocol on a Redis server, for many workers."""

    shared = True   # URLs come from due() only, leased; links found go to the shared queue

    def __init__(self, url: str, *, lease: float = 30.0, prefix: str = PREFIX,
                 window: int = WINDOW):
        import redis

        self.url = url
        self.lease = float(lease)
        self.prefix = prefix
        self.window = window
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.held: set[str] = set()     # URLs leased to this worker, renewed by heartbeat()
        self.db = redis.Redis.from_url(url, decode_responses=True, socket_timeout=30,
                                       socket_connect_timeout=10, health_check_interval=30)
        self._redis_error = redis.RedisError
        try:
            self.db.ping()
        except redis.RedisError as exc:
            self.db.close()
            raise FrontierError(f"cannot reach the crawl frontier at {redacted(url)}: {exc}") from None
        self._scripts = {name: self.db.register_script(_LUA + body)
                         for name, body in _SCRIPTS.items()}

    @contextmanager
    def _errors(self):
        try:
            yield
        except self._redis_error as exc:
            raise FrontierError(f"the crawl frontier at {redacted(self.url)} failed: "
                                f"{type(exc).__name__}: {exc}") from None

    def _run(self, name: str, *args):
        with self._errors():
            return self._scripts[name](args=[self.prefix, *args])

    def close(self) -> None:
        """Leave the crawl: URLs still leased go back to the queue for the other workers."""
        try:
            for url in list(self.held):
                self.release(url)
            with self._errors():
                self.db.zrem(self.prefix + "workers", self.worker)
        finally:
            self.db.close()

    def __enter__(self) -> RedisFrontier:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- adding ---------------------------------------------------------------

    def add(self, url: str, kind: str, *, depth: int = 0, found_from: str = "") -> bool:
        """Queue a URL for any worker unless known; True when it is new."""
        return self._run("add", url, kind, depth, found_from, 0, self.worker, self.lease) == 1

    def seed(self, url: str, kind: str, *, found_from: str = "", revisit: bool = True) -> None:
        self._run("seed", url, kind, found_from, int(revisit))

    def skip(self, url: str, kind: str, outcome: str, reason: str, *, found_from: str = "") -> bool:
        return self._run("skip", url, kind, outcome, reason, found_from) == 1

    def alias(self, url: str, reason: str, *, depth: int = 0, found_from: str = "") -> bool:
        return self._run("alias", url, reason, depth, found_from) == 1

    def requeue_done(self) -> int:
        n, batch = 0, []
        with self._errors():
            for url in self.db.sscan_iter(self.prefix + "s:done", count=500):
                batch.append(url)
                if len(batch) == 500:
                    n += self._run("requeue", *batch)
                    batch = []
        if batch:
            n += self._run("requeue", *batch)
        return n

    # -- taking -----------------------------------------------------------------

    def due(self, limit: int = 100, exclude: set[str] = frozenset()) -> list[Entry]:
        """Lease up to ``limit`` URLs to this worker (at most ``window`` held at once).

        ``exclude`` is ignored: a URL leased here is held by no other worker, and one
        fetched earlier in this run comes back only when it is due again (a retry).
        """
        limit = min(limit, self.window - len(self.held))
        flat = self._run("take", self.worker, self.lease, max(0, limit))
        entries = [Entry(flat[i], flat[i + 1], int(flat[i + 2] or 0), flat[i + 3], flat[i + 4],
                         int(flat[i + 5] or 0)) for i in range(0, len(flat), 6)]
        self.held.update(e.url for e in entries)
        return entries

    def claim(self, url: str, kind: str = "page") -> bool:
        """Lease an unknown URL (a redirect target) to this worker; False when it is known."""
        if self._run("add", url, kind, 0, "", 1, self.worker, self.lease) != 1:
            return False
        self.held.add(url)
        return True

    def release(self, url: str) -> None:
        """Give back a leased URL unfetched: queued again (a claimed one is forgotten)."""
        self.held.discard(url)
        self._run("release", self.worker, url)

    def heartbeat(self) -> None:
        """Renew this worker's leases and its place among the live workers."""
        lost = self._run("heartbeat", self.worker, self.lease, *sorted(self.held))
        self.held.difference_update(lost)

    def busy_elsewhere(self) -> bool:
        """Whether other workers hold leases (fetching now, or lapsing if they died)."""
        with self._errors():
            return self.db.zcard(self.prefix + "leases") > len(self.held)

    def join(self) -> bool:
        return self._run("join", self.worker, self.lease) == 1

    def host_wait(self, host: str, delay: float) -> float:
        """0 when a request to ``host`` may go now (the next one, from any worker, waits
        ``delay``); else the seconds until the host is free -- ask again then."""
        return float(self._run("host_wait", host, repr(float(delay))))

    def get(self, url: str) -> dict | None:
        with self._errors():
            return self._row(self.db.hgetall(self.prefix + "url:" + url))

    def duplicate_of(self, digest: str, url: str) -> str:
        """Another URL with this body hash, or "" -- then ``url`` owns it, for every worker."""
        return self._run("duplicate", digest, url)

    # -- recording ----------------------------------------------------------------

    def done(self, url: str, outcome: str, *, reason: str = "", status: int | None = None,
             etag: str = "", last_modified: str = "", digest: str = "", article_id: str = "",
             kind: str = "page") -> None:
        self._run("done", self.worker, url, kind, outcome, reason,
                  "" if status is None else status, etag, last_modified, digest, article_id)
        self.held.discard(url)

    def failed(self, url: str, outcome: str, reason: str, *, status: int | None = None,
               retryable: bool = False, max_attempts: int = 3, backoff: float = 600.0) -> str:
        state = self._run("failed", self.worker, url, outcome, reason,
                          "" if status is None else status, int(retryable), max_attempts,
                          repr(float(backoff)))
        self.held.discard(url)
        return state

    # -- counting -------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """As the SQLite frontier's; URLs leased to a worker count as queued."""
        p = self.prefix
        with self._errors(), self.db.pipeline(transaction=False) as pipe:
            for key in ("queue", "leases", "retry"):
                pipe.zcard(p + key)
            for state in ("done", "failed", "skipped"):
                pipe.scard(p + "s:" + state)
            queued, leased, retry, done, failed, skipped = pipe.execute()
        return {"queued": queued + leased, "done": done, "retry": retry, "failed": failed,
                "skipped": skipped}

    def outcome_counts(self) -> dict[str, int]:
        with self._errors():
            found = {k: int(v) for k, v in self.db.hgetall(self.prefix + "outcomes").items()
                     if int(v) > 0}
        return dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))

    def not_fetched(self) -> list[dict]:
        p = self.prefix
        with self._errors():
            urls = [*self.db.zrange(p + "retry", 0, -1), *self.db.smembers(p + "s:failed"),
                    *self.db.smembers(p + "s:skipped")]
        rows = []
        for start in range(0, len(urls), 500):
            with self._errors(), self.db.pipeline(transaction=False) as pipe:
                for url in urls[start:start + 500]:
                    pipe.hgetall(p + "url:" + url)
                rows += [r for r in map(self._row, pipe.execute()) if r is not None]
        return sorted(rows, key=lambda r: (r["outcome"], r["url"]))

    @staticmethod
    def _row(h: dict) -> dict | None:
        if not h:
            return None
        row = {"url": "", "kind": "page", "depth": 0, "state": "queued", "outcome": "",
               "reason": "", "status": None, "attempts": 0, "next_try": 0.0, "etag": "",
               "last_modified": "", "body_hash": "", "article_id": "", "found_from": "",
               "fetched_at": None, "updated_at": 0.0, "worker": "", "fetched_by": ""}
        row.update(h)
        for key in _INT:
            row[key] = int(row[key]) if row[key] not in (None, "") else (None if key == "status" else 0)
        for key in _FLOAT:
            row[key] = float(row[key]) if row[key] not in (None, "") else (None if key == "fetched_at" else 0.0)
        return row

