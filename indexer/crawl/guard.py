"""The one check every URL the crawler fetches passes first: where may it connect?

A crawler that follows links and redirects from pages it does not control can
be steered at addresses it must never reach: ``localhost``, the machine's
private network, a cloud metadata service (server-side request forgery).  So
before any connection, every URL -- start URLs, feed and sitemap entries,
links, robots.txt, every redirect hop (HTTP and ``<meta http-equiv=refresh>``)
-- must pass :meth:`UrlPolicy.refusal`:

- the scheme is http or https;
- the host is one of the source's allowed domains (or a subdomain of one);
- every address the host resolves to is public, unless the user allowed it
  explicitly (``newsdesk crawl --allow-address 10.1.0.0/16``, or
  ``allow_addresses = [...]`` in a sources file).  *Every* address, not the
  first: a name that resolves to one public and one private address is refused.

This module is the policy alone (no Scrapy); :mod:`.spider` applies it three
times.  ``UrlGuard``, a downloader middleware that runs before all others,
refuses a request with a reason the crawl report shows.  ``GuardedResolver``,
installed as Scrapy's DNS resolver, checks again the address the connection
is actually made to, so a name that resolved to a public address for the
check and to a private one a moment later (DNS rebinding) is still refused.
The spider checks a response's final URL and peer address before storing
anything.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..errors import BadInput
from .urls import in_domains

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values) -> tuple[Network, ...]:
    """``["127.0.0.1", "10.1.0.0/16", "::1"]`` -> networks; BadInput names a bad one."""
    networks = []
    for value in values or ():
        try:
            networks.append(ipaddress.ip_network(str(value).strip(), strict=False))
        except ValueError:
            raise BadInput(f"not an IP address or CIDR range: {value!r} "
                           "(e.g. --allow-address 127.0.0.1 or 10.1.0.0/16)") from None
    return tuple(networks)


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast: not loopback, private, link-local, reserved, multicast…"""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return is_public(address.ipv4_mapped)
    return address.is_global and not address.is_multicast


def resolve(host: str) -> list[IPAddress]:
    """Every address ``host`` resolves to (IPv4 and IPv6); [] when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    found = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


@dataclass(frozen=True)
class UrlPolicy:
    """Allowed domains plus explicitly allowed (non-public) address ranges."""

    domains: tuple[str, ...] = ()
    allowed: tuple[Network, ...] = field(default_factory=tuple)

    def address_refusal(self, address: IPAddress | str) -> str:
        """Why the crawler may not connect to ``address``, or "" when it may."""
        address = ipaddress.ip_address(address) if isinstance(address, str) else address
        if is_public(address) or any(address in net for net in self.allowed
                                     if net.version == address.version):
            return ""
        return (f"address {address} is not public (allow it with --allow-address "
                f"{address} or allow_addresses in the sources file)")

    def host_refusal(self, url: str) -> str:
        """The checks that need no DNS: scheme and allowed domains."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            return f"scheme {parts.scheme or '(none)'}: only http and https are fetched"
        if not parts.hostname:
            return "no host in the URL"
        if not in_domains(url, list(self.domains)):
            return f"host {parts.hostname} is not on the allowed domains"
        return ""

    def refusal(self, url: str, resolver=resolve) -> str:
        """Why ``url`` may not be fetched, or "" when it may: host, then every address."""
        reason = self.host_refusal(url)
        if reason:
            return reason
        host = urlsplit(url).hostname
        literal = _ip(host)
        # a name that does not resolve fails later as a DNS error: nothing connects
        for address in [literal] if literal else resolver(host):
            reason = self.address_refusal(address)
            if reason:
                return reason if literal else f"{host} resolves to {address}: {reason}"
        return ""


def _ip(host: str) -> IPAddress | None:
    """The address when ``host`` is an IP literal, else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None
