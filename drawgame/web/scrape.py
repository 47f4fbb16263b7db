"""Who may read ``/metrics``: allowed addresses (loopback by default), then a bearer token.

The figures tell an outsider how busy the server is, which rooms exist and
how it is deployed, so they are not public. A request is answered only when
its TCP peer and every address a proxy forwarded for it (``X-Forwarded-For``,
``X-Real-IP``, ``Forwarded: for=``) are inside ``DRAWGAME_METRICS_ALLOW``:
a scraper on the box itself passes, a player whose request a local proxy
forwards does not (the proxy names the player's address), and a client
cannot forge its way in, because a forwarded address can only add a check.
With ``DRAWGAME_METRICS_TOKEN`` set, ``Authorization: Bearer <token>`` is
needed as well.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable, Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def networks(specs: Iterable[str]) -> tuple[Network, ...]:
    """The networks of ``DRAWGAME_METRICS_ALLOW`` entries (addresses or CIDR)."""
    return tuple(ipaddress.ip_network(spec.strip(), strict=False) for spec in specs)


def parse_address(text: str) -> Address | None:
    """An address as a peer or proxy writes it (``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80``)."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def forwarded_for(getlist: Callable[[str], list[str]]) -> list[str]:
    """Every client address proxies forwarded with the request (``getlist``: the values
    of one header), in the order given."""
    found: list[str] = []
    for value in getlist("X-Forwarded-For"):
        found += [part for part in value.split(",") if part.strip()]
    found += [value for value in getlist("X-Real-IP") if value.strip()]
    for value in getlist("Forwarded"):
        for element in value.split(","):
            for pair in element.split(";"):
                key, _, address = pair.partition("=")
                if key.strip().lower() == "for":
                    found.append(address)
    return found


def allowed(text: str | None, allow: Sequence[Network]) -> bool:
    address = parse_address(text or "")
    return address is not None and any(
        address.version == net.version and address in net for net in allow
    )


def refusal(
    allow: Sequence[Network], token: str, *, forwarded: list[str], peer: str,
    authorization: str,
) -> tuple[int, str, str] | None:
    """Why this request may not read /metrics, as (status, code, message), or None."""
    addresses = [peer, *forwarded]
    if not all(allowed(address, allow) for address in addresses):
        return 403, "forbidden", "/metrics answers only addresses in DRAWGAME_METRICS_ALLOW"
    if not token:
        return None
    scheme, _, presented = authorization.partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented:
        return 401, "unauthorized", "send Authorization: Bearer <DRAWGAME_METRICS_TOKEN>"
    if not hmac.compare_digest(presented.encode("utf-8", "replace"), token.encode("utf-8")):
        return 403, "forbidden", "the metrics token is not valid"
    return None
