"""``newsdesk``: the command line, one thin command per library call.

Every command takes ``--data-dir`` (or ``$NEWSDESK_DATA``) before the
sub-command; errors print one line on stderr and exit non-zero.
"""
from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path

import click

from . import pipeline
from .config import ENGINE_VAR, ENV_VAR, DataDir
from .errors import NewsdeskError
from .importers import FORMATS


class _Progress:
    """A tqdm bar with total and ETA on a terminal; else one summary line at the end.

    Both go to stderr, so stdout (and any --json there) stays clean.
    ``update(n)`` counts ``n`` more done, ``total(n)`` sets the total once known,
    ``also(n)`` counts a second quantity shown beside the first (import's articles).
    """

    def __init__(self, label: str, unit: str, total: int | None = None, also: str = ""):
        from tqdm import tqdm
        self.label, self.unit, self.also_unit = label, unit, also
        self.done, self.extra, self.of = 0, 0, total
        self.tty = bool(getattr(sys.stderr, "isatty", None) and sys.stderr.isatty())
        self.started = time.monotonic()
        self.bar = tqdm(total=total, unit=f" {unit}", desc=label, file=sys.stderr,
                        disable=not self.tty, leave=False, dynamic_ncols=True)

    def total(self, n: int) -> None:
        self.of = n
        self.bar.total = n
        self.bar.refresh()

    def update(self, n: int = 1) -> None:
        self.done += n
        self.bar.update(n)

    def also(self, n: int) -> None:
        self.extra += n
        self.bar.set_postfix_str(f"{self.extra:,} {self.also_unit}", refresh=False)

    def files(self, done: int, total: int) -> None:
        if self.of != total:
            self.total(total)
        self.update(done - self.done)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.bar.close()
        if self.tty or exc[0] is not None:
            return
        of = f" of {self.of:,}" if self.of is not None and self.of != self.done else ""
        also = f", {self.extra:,} {self.also_unit}" if self.also_unit else ""
        click.echo(f"{self.label}: {self.done:,}{of} {self.unit}{also} in "
                   f"{time.monotonic() - self.started:.1f}s", err=True)


class _Group(click.Group):
    """Turns expected failures into one line on stderr and exit status 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except NewsdeskError as exc:
            raise click.ClickException(str(exc)) from exc
        except OSError as exc:  # a full disk, a file too large, a permission problem
            where = f" ({exc.filename})" if exc.filename else ""
            raise click.ClickException(f"{exc.strerror or exc}{where}; nothing was lost, "
                                       "the last good index and store are unchanged") from exc
        except sqlite3.Error as exc:
            raise click.ClickException(f"article store: {exc}; the last transaction was "
                                       "rolled back") from exc


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(file_okay=False), envvar=ENV_VAR,
              help=f"Where the store and index live (default ./data, or ${ENV_VAR}).")
@click.option("--engine", envvar=ENGINE_VAR, metavar="SPEC",
              help=f"The search engine: whoosh (embedded in DATA/index, the default), or "
                   f"${ENGINE_VAR}.")
@click.version_option(package_name="newsdesk")
@click.pass_context
def cli(ctx, data_dir, engine):
    """newsdesk: search news by keyword, country and government official.

    \b
    A typical session:
      newsdesk import reuters ../shared/data/reuters21578/
      newsdesk index
      newsdesk search "interest rates" --country JP
      newsdesk serve --port 5000
    """
    ctx.obj = DataDir.resolve(data_dir, engine)


def _report_skipped(skipped, show: int = 20) -> None:
    """Each skipped file or line by name (the first ``show``), then a count per reason."""
    for skip in skipped[:show]:
        click.echo(f"skipped {skip.where}: {skip.reason}", err=True)
    if len(skipped) > show:
        click.echo(f"... and {len(skipped) - show} more", err=True)
    reasons = Counter(s.reason for s in skipped)
    if len(skipped) > show:
        for reason, n in reasons.most_common():
            click.echo(f"skipped {n}: {reason}", err=True)


def _report_import(report, what: str) -> None:
    """What was skipped (on stderr), then one summary line."""
    _report_skipped(report.skipped)
    c = report.counts
    click.echo(f"{report.files} {what}: {c.added} added, {c.updated} updated, "
               f"{c.unchanged} unchanged, {len(report.skipped)} skipped")


@cli.command("import")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(list(FORMATS)))
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--title", default="", help="text: the title (else the first non-empty line).")
@click.option("--source", default="", help="text/html: the publication's name.")
@click.option("--published", default="", help="text: publication date, e.g. 2024-09-24.")
@click.option("--url", default="", help="text/html: the article's original URL.")
@click.pass_obj
def import_(data, fmt, paths, **options):
    """Read articles from files or folders into the article store.

    FORMAT is reuters (Reuters-21578 .sgm), text (plain .txt articles), html
    (saved pages, optionally .gz) or jsonl (the interchange format written by
    `newsdesk export`).  Bad files, lines or stories are reported on stderr
    (file, line or story, and why) and skipped; the rest goes on.  A page or
    text file over 5 MB (a .gz once decompressed), or a jsonl line over 5 MB,
    is skipped.  Re-importing the same input changes nothing.

    \b
    Exit status:
      0  every input was imported
      3  some were imported, some skipped (listed on stderr)
      1  nothing was imported (all skipped, no matching files), or an error

    \b
    Examples:
      newsdesk import reuters ../shared/data/reuters21578/
      newsdesk import text story.txt --source "Example News" --published 2024-09-24
    """
    if options["published"]:
        from .articles import parse_date
        parse_date(options["published"])  # a bad date fails before anything is read
    with _Progress("import", "files", also="articles") as bar:
        report = pipeline.import_files(data, fmt, paths, progress=bar.also,
                                       files_progress=bar.files, **options)
    _report_import(report, "files")
    _import_status(report, fmt, paths)
    return report


def _import_status(report, fmt: str, paths) -> None:
    """Exit 1 when nothing was imported, 3 when something was skipped (see `import --help`)."""
    if not report.files:
        raise click.ClickException(
            f"nothing imported: no {fmt} files ({', '.join(FORMATS[fmt])}) in "
            f"{', '.join(map(str, paths))}")
    if not report.read:
        raise click.ClickException(
            f"nothing imported: every input was skipped ({len(report.skipped)})" if report.skipped
            else "nothing imported: the files hold no articles")
    if report.skipped:
        click.get_current_context().exit(3)


@cli.command()
@click.pass_obj
def index(data):
    """Bring the search index up to the store (only new, changed, deleted articles).

    Builds the index if there is none.  Example: newsdesk index
    """
    with _Progress("index", "articles") as bar:
        report = pipeline.index(data, progress=bar.update, total=bar.total)
    verb = "built" if report.rebuilt else "updated"
    click.echo(f"{verb} {report.generation}: {report.added} added, {report.updated} updated, "
               f"{report.deleted} deleted")
    return report


@cli.command()
@click.option("--entities", is_flag=True, help="First re-run entity extraction over the store.")
@click.option("--stories", is_flag=True,
              help="Detect every wire-copy story anew (after the detector changed); "
                   "by default stored stories are kept and only new articles matched.")
@click.pass_obj
def reindex(data, entities, stories):
    """Rebuild the whole index into a new generation and swap it in atomically.

    Searches keep using the old index while the new one builds; a killed
    reindex leaves the old index as it was.  Example: newsdesk reindex --entities
    """
    if entities:
        with _Progress("retag", "articles") as bar:
            c = pipeline.retag(data, progress=bar.update, total=bar.total)
        click.echo(f"entities: {c.updated} articles changed, {c.unchanged} unchanged")
    with _Progress("reindex", "articles") as bar:
        report = pipeline.reindex(data, progress=bar.update, total=bar.total,
                                  stories_again=stories)
    click.echo(f"built {report.generation}: {report.added} articles")
    return report


@cli.command()
@click.argument("q", required=False, default="")
@click.option("--country", multiple=True,
              help='ISO code or name, e.g. LB, "Saudi Arabia" (repeat for OR).')
@click.option("--official", multiple=True,
              help='Name, alias or surname, e.g. "Lloyd Austin", nazer.')
@click.option("--source", multiple=True, help="Source name, e.g. Reuters.")
@click.option("--from", "date_from", help="Published on or after (YYYY-MM-DD).")
@click.option("--to", "date_to", help="Published on or before (YYYY-MM-DD).")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance")
@click.option("--page", default="1", help="Page number (from 1).")
@click.option("--limit", "per_page", default="10", help="Results per page (1-100).")
@click.option("--as-typed", "as_typed", is_flag=True,
              help="Search the words as typed, never the did-you-mean correction.")
@click.option("--no-collapse", "every_copy", is_flag=True,
              help="List every copy of a story (default: one entry per story).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (CONTRACTS.md).")
@click.pass_obj
def search(data, q, as_json, date_from, date_to, every_copy, **params):
    """Search the index: words, "phrases", -exclude, OR, title:word.

    \b
    Examples:
      newsdesk search "ground invasion" --country LB --json
      newsdesk search 'title:coffee -brazil' --sort newest --limit 5
      newsdesk search "oil price" --no-collapse

    A misspelt query that finds (almost) nothing, where the did-you-mean query finds
    much more, is answered with that query, and says so; --as-typed keeps the typed one.
    """
    from .search import SearchRequest, SearchService
    params["as_typed"] = "1" if params.pop("as_typed") else "0"
    req = SearchRequest.from_params({"q": q, "from": date_from, "to": date_to,
                                     "collapse": "false" if every_copy else "true", **params})
    result = SearchService(data).search(req)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return result
    held = (f", {result.all_words} with every word, then partial matches"
            if result.relaxed and result.all_words_first else
            f", {result.all_words} with every word" if result.relaxed else "")
    if result.corrected_from is not None:
        click.echo(f"Showing results for: {result.request.q} "
                   f"(search instead for {result.corrected_from!r} with --as-typed)")
    folded = result.stories is not None and result.stories < result.total
    stories = f" in {result.stories} stories" if folded else ""
    click.echo(f"{result.total} articles{stories}{held} ({result.took_ms} ms)"
               + (f" — did you mean: {result.suggestion}?" if result.suggestion else ""))
    if result.missing_words:
        click.echo(f"No article contains: {', '.join(result.missing_words)}")
    for n, hit in enumerate(result.hits, (req.page - 1) * req.per_page + 1):
        day = hit.published.date().isoformat() if hit.published else "undated"
        where = f"{hit.source}, {day}, {','.join(hit.countries)}"
        more = f"  ({hit.versions} versions)" if hit.versions > 1 else ""
        click.echo(f"{n:>3}. {hit.title}  [{where}]  {hit.id}{more}")
    return result


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON (CONTRACTS.md).")
@click.pass_obj
def stats(data, as_json):
    """Article and index counts, facet sizes and index age.  Example: newsdesk stats --json"""
    from .search import SearchService
    info = SearchService(data).stats()
    if as_json:
        click.echo(json.dumps(info, indent=2))
    else:
        click.echo(f"articles: {info['articles']}  indexed: {info['indexed']}")
        idx = info["index"]
        click.echo(f"index: {idx['generation']} built {idx['built']} ({idx['size_bytes']:,} bytes, "
                   f"{idx['age_seconds']} s ago)")
        click.echo("facets: " + ", ".join(f"{k} {v}" for k, v in info["facets"].items()))
    return info


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-",
              help="File to write (default stdout).")
@click.pass_obj
def export(data, fmt, output):
    """Write every stored article as JSON Lines.  Example: newsdesk export > all.jsonl"""
    n = pipeline.export_jsonl(data, output)
    click.echo(f"exported {n} articles", err=True)


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", default="", help="The title (else the file's first non-empty line).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON (CONTRACTS.md).")
@click.option("--published", metavar="DATE",
              help="The article's date (YYYY-MM-DD), as the pipeline passes it: roles and "
                   "historical states resolve on that date (default: the file's date, if any).")
def entities(file, title, as_json, published):
    """Show the countries and officials found in one text article, with evidence.

    Example: newsdesk entities story.txt --published 2019-11-19 --json
    """
    from .entities import extract
    from .importers.text import read
    article = next(read(file, title=title))
    try:
        found = extract(article.title, article.body,
                        published=published or article.published).to_json()
    except ValueError:
        raise click.BadParameter(f"not a date: {published!r} (want YYYY-MM-DD)",
                                 param_hint="--published")
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    if not found["countries"] and not found["officials"]:
        click.echo(f"no countries or officials found in {file}")
    for c in found["countries"]:
        click.echo(f"country  {c['code']}  {c['name']}  ({c['mentions']} mentions)")
    for o in found["officials"]:
        click.echo(f"official {o['name']} — {o['role']}, {o['country']}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int, help="0: any free port.")
@click.option("--workers", default=8, show_default=True, type=int,
              help="Server threads (per process).")
@click.option("--processes", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes sharing the port and the memory-mapped index: "
                   "one per core uses every core.")
@click.option("--base-url", metavar="URL",
              help="The site's public root for absolute links (Atom, OpenSearch), e.g. "
                   "https://news.example.org (default: http://HOST:PORT).")
@click.option("--debug", is_flag=True, help="Flask's reloading debug server instead.")
@click.pass_obj
def serve(data, host, port, workers, processes, base_url, debug):
    """Serve the search site and JSON API.  Example: newsdesk serve --port 5000

    Waitress answers with limits (webapp/server.py LIMITS): a request line plus
    headers over 64 kB gets a 431, a body over 64 kB a 413; an idle connection
    closes after 30 s.
    """
    from webapp import create_app, site_url
    from webapp.server import default_base_url, listening_socket, make_server, serve_processes
    if base_url:
        try:
            base_url = site_url(base_url)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--base-url") from None
    if debug:
        app = create_app({"DATA_DIR": str(data.root), "ENGINE": data.engine,
                          "BASE_URL": base_url or default_base_url(host, port)})
        app.run(host=host, port=port, debug=True)
        return
    config = {"DATA_DIR": str(data.root), "ENGINE": data.engine}
    if processes == 1:
        app = create_app(config)
        server = make_server(app, host=host, port=port, threads=workers)
        port = getattr(server, "effective_port", port)
        app.config["BASE_URL"] = base_url or default_base_url(host, port)
        _serving(host, port, app.config["BASE_URL"], data, 1)
        server.run()
        return
    sock = listening_socket(host, port)
    port = sock.getsockname()[1]
    config["BASE_URL"] = base_url or default_base_url(host, port)

    def run_one() -> None:
        make_server(create_app(config), sockets=[sock], threads=workers).run()
    _serving(host, port, config["BASE_URL"], data, processes)
    serve_processes(run_one, processes)


def _serving(host, port, base_url, data, processes: int) -> None:
    more = f", {processes} processes" if processes > 1 else ""
    click.echo(f"newsdesk on http://{host}:{port}/  (links: {base_url}/, "
               f"data: {data.root}{more})", err=True)

@cli.command()
@click.option("--sources", "sources_file", type=click.Path(exists=True, dir_okay=False),
              help="A sources file (see corpus/sources.toml): settings and sources.")
@click.option("--feed", multiple=True, help="RSS/Atom feed URL (repeatable).")
@click.option("--sitemap", multiple=True, help="XML or Google News sitemap URL (repeatable).")
@click.option("--start", multiple=True, help="Start page URL to follow links from (repeatable).")
@click.option("--allow-domain", multiple=True, help="Domain to stay on (default: the URLs' hosts).")
@click.option("--allow-address", "allow_addresses", multiple=True, metavar="IP|CIDR",
              help="A non-public address or range the crawler may connect to, e.g. "
                   "10.1.0.0/16 for an intranet (repeatable; default: public addresses only).")
@click.option("--article-pattern", multiple=True, help="Regex an article URL matches (repeatable).")
@click.option("--name", "source_name", default="", help="Source name for the URLs given here.")
@click.option("--max-pages", type=int, help="Stop after fetching this many pages (0: no limit; "
                                          "per worker with --frontier).")
@click.option("--max-depth", type=int, help="Link hops from a start page, feed or sitemap.")
@click.option("--delay", type=float, help="Seconds between requests to one host (default 1).")
@click.option("--timeout", type=float, help="Seconds to wait for a response (default 30).")
@click.option("--max-bytes", type=int, help="Largest response to accept (default 5 MB).")
@click.option("--retries", type=int, help="Immediate retries of timeouts and 5xx (default 2).")
@click.option("--contact-url", help="URL in the User-Agent where site owners can reach you.")
@click.option("--recrawl", is_flag=True, help="Revisit fetched pages (conditional requests).")
@click.option("--frontier", metavar="redis://HOST:PORT/DB",
              help="Share the crawl with other workers: the URL queue, seen-set, fetch log and "
                   "per-host delay live in this Redis database (default: DATA/crawl.sqlite, "
                   "one worker).  Each worker stores the articles it fetched in its own "
                   "--data-dir; --report with --frontier reports the whole crawl.")
@click.option("--report", "show_report", is_flag=True,
              help="Only summarize the crawl so far: outcomes and failed URLs with reasons.")
@click.option("--json", "as_json", is_flag=True, help="With --report: print it as JSON.")
@click.pass_obj
def crawl(data, sources_file, feed, sitemap, start, allow_domain, article_pattern, source_name,
          show_report, as_json, **settings):
    """Crawl news sites politely into the store; resumable, incremental.

    Obeys robots.txt (and its Crawl-delay), waits between requests to a host,
    keeps raw responses as WARC under DATA/raw/ and records every URL's outcome
    in DATA/crawl.sqlite: an interrupted crawl continues where it stopped, and
    a re-crawl asks only for what changed.  Then `newsdesk index`.

    Every URL -- start URLs, feed and sitemap entries, links, each redirect
    hop -- must be on the allowed domains and resolve only to public
    addresses; anything else is refused before a connection is made and
    listed by `--report` with the reason.  Crawl an intranet by naming its
    range: --allow-address 10.1.0.0/16.

    Many workers, on one machine or several, crawl together with --frontier
    redis://HOST:PORT/DB: each URL is leased to one worker and fetched once,
    the delay between requests to a host holds across all of them, and the
    URLs a killed worker held go to the others when its lease lapses
    (lease_seconds in the sources file, default 30).

    \b
    Examples:
      newsdesk crawl --sources corpus/sources.toml --max-pages 200
      newsdesk crawl --feed https://example.org/rss.xml --article-pattern '/news/'
      newsdesk crawl --report
      newsdesk crawl --sources corpus/sources.toml --frontier redis://10.0.0.5:6379/0
    """
    from . import crawl as crawler
    if show_report:
        report = crawler.report(data, settings.get("frontier") or "")
        click.echo(json.dumps(report.to_json(), indent=2) if as_json
                   else crawler.format_report(report))
        return report
    config = crawler.load_sources(sources_file) if sources_file else crawler.CrawlConfig()
    if feed or sitemap or start:
        config.sources.append(crawler.Source(
            name=source_name, feeds=list(feed), sitemaps=list(sitemap), start_urls=list(start),
            allowed_domains=list(allow_domain), article_patterns=list(article_pattern)))
    config.allow_addresses = [*config.allow_addresses, *settings.pop("allow_addresses")]
    for key, value in settings.items():
        if value is not None and value is not False:  # 0 is a value (--delay 0)
            setattr(config, key, value)
    tty = sys.stderr.isatty()

    def show(update):
        line = crawl_progress(update, config.max_pages)
        click.echo(("\r\x1b[K" + line) if tty else line, err=True, nl=not tty)

    # a terminal line redraws itself every second; a log or pipe gets one every 5 s
    report = crawler.crawl(data, config, progress=show,
                           progress_every=0.0 if tty else crawler.QUIET_PROGRESS_SECONDS)
    if tty:
        click.echo(err=True)
    s = report.states
    click.echo(f"crawl: {s['done']} done, {s['queued']} queued, {s['retry']} to retry, "
               f"{s['failed']} failed, {s['skipped']} skipped; "
               f"{report.outcomes.get('article', 0)} articles "
               f"(see `newsdesk crawl --report`, then `newsdesk index`)")
    return report


def crawl_progress(update: dict, max_pages: int = 0) -> str:
    """One progress line: pages done of those known so far (capped by --max-pages), the
    rate and, while work is left, the ETA at that rate.  The total grows as the crawl
    discovers links, so it says "known"."""
    done = update["fetched"] + update["failed"]
    total = done + update["queued"]
    if max_pages:
        total = min(total, max_pages + update["failed"])
    rate = update["rate"]
    line = (f"crawl: {done:,} of {total:,} known pages ({update['fetched']:,} fetched, "
            f"{update['failed']:,} failed, {update['queued']:,} queued), {rate:.1f} pages/s")
    left = max(total - done, 0)
    if left and rate > 0 and not update.get("final"):
        minutes, seconds = divmod(round(left / rate), 60)
        line += f", ETA {minutes // 60}:{minutes % 60:02d}:{seconds:02d}" if minutes >= 60 \
            else f", ETA {minutes}:{seconds:02d}"
    return line


@cli.command("normalize")
@click.pass_obj
def normalize_(data):
    """Re-read the crawled pages kept as WARC in DATA/raw/ into the store (no fetching).

    Use it after improving the normalizer; then `newsdesk index`.  Example: newsdesk normalize
    """
    from . import crawl as crawler
    with _Progress("normalize", "articles") as bar:
        report = crawler.normalize_stored(data, progress=bar.update)
    _report_import(report, "WARC files")
    return report


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--url", default="", help="The page's original URL (for a single file).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per page (CONTRACTS.md).")
def extract(paths, url, as_json):
    """Show the article fields the normalizer finds in saved pages (.html, .htm, .gz).

    PATH may be a file or a folder of pages.  A page that fails prints
    {"path", "error"} and the rest go on.

    \b
    Examples:
      newsdesk extract page.html --json
      newsdesk extract saved-pages/ --json > fields.jsonl
    """
    from .importers import input_files
    from .importers.html import read_page
    from .normalize import normalize
    for path in input_files("html", paths):
        try:
            fields = {"path": str(path), **normalize(read_page(path), url=url).to_json()}
        except Exception as exc:  # noqa: BLE001 - one bad page must not stop the rest
            fields = {"path": str(path), "error": f"{type(exc).__name__}: {exc}"}
        if as_json:
            click.echo(json.dumps(fields, ensure_ascii=False))
        elif "error" in fields:
            click.echo(f"{path}: error: {fields['error']}", err=True)
        else:
            kind = "article" if fields["is_article"] else fields["not_article"]
            click.echo(f"{path}: {fields['title']!r} [{fields['published'] or 'undated'}, "
                       f"{', '.join(fields['authors']) or 'no author'}, {fields['language']}, "
                       f"{len(fields['body'].split())} words, {kind}]")


def main() -> None:
    cli(prog_name="newsdesk")


@cli.group()
def cluster():
    """A real local Typesense cluster on loopback ports (see docs/typesense.md)."""


@cluster.command("start")
@click.option("--nodes", default=3, show_default=True, help="How many Typesense nodes.")
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False),
              help="Where the nodes keep their data, logs and cluster.json.")
def cluster_start(nodes, directory):
    """Start NODES servers peering through Raft; print the --engine URL to use."""
    from . import cluster as local
    found = local.start(directory, nodes)
    click.echo(f"started {len(found.nodes)} node(s) in {found.dir}; leader "
               f"{local.leader(found).address}", err=True)
    click.echo(found.engine_url)


@cluster.command("stop")
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False))
def cluster_stop(directory):
    """Stop the cluster started in DIR."""
    from . import cluster as local
    click.echo(f"stopped {local.stop(directory)} node(s)")


if __name__ == "__main__":
    main()
