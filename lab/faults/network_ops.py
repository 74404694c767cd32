"""What network faults share: peers' addresses, the lab's iptables chains and tc handles.

Every rule a network fault adds lives in the fault's own chain (``LAB-<fault id>``), reached by
one jump from a built-in chain; revert removes the jumps and the chain and nothing else. Every
qdisc it adds carries a handle derived from the fault id, and revert deletes a root qdisc only
when it carries that handle. Scripts here are plain sh run by :func:`in_netns`.
"""

from __future__ import annotations

import re

from lab.errors import LabError
from lab.faults.base import FaultContext, Target
from lab.faults.docker_ops import container, in_netns
from lab.faults.targets import resolve_target
from lab.settings import Settings

#: The TCP port each service listens on inside the backend network (others: 8000).
SERVICE_PORTS: dict[str, int] = {"postgres": 5432, "redis": 6379, "prometheus": 9090}
DEFAULT_PORT = 8000
#: Docker's embedded DNS server, the resolver of every container on a user-defined network.
DOCKER_DNS = "127.0.0.11"
#: The target's interfaces that carry container traffic (never lo: healthchecks and DNS use it).
ETH_DEVICES = "$(ip -br link | awk '{print $1}' | cut -d@ -f1 | grep '^eth')"

_RATE = re.compile(r"(\d+(?:\.\d+)?)\s*(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)", re.IGNORECASE)
_RATE_UNITS = {"bit": 1, "kbit": 10**3, "mbit": 10**6, "gbit": 10**9}


def backend_network(settings: Settings) -> str:
    return f"{settings.project}_backend"


def peer_address(settings: Settings, target: Target, peer: str) -> str:
    """The IP of ``peer`` (a lab service with a running, labelled container) on the backend."""
    if peer == target.service:
        raise LabError(f"peer {peer!r} is the target itself: name another service")
    found = resolve_target(settings, peer)
    c = container(found)
    networks = c.attrs["NetworkSettings"]["Networks"] if c is not None else {}
    address = networks.get(backend_network(settings), {}).get("IPAddress")
    if not address:
        raise LabError(f"peer {peer!r} has no address on {backend_network(settings)}: is it running?")
    return str(address)


def netns_alive(target: Target) -> bool:
    """Whether the target's network namespace exists (a stopped container has none)."""
    c = container(target)
    return c is not None and bool(c.attrs["State"]["Running"])


def add_chain_script(chain: str, rules: list[str], hooks: tuple[str, ...], table: str = "filter") -> str:
    """Create ``chain`` in ``table`` with ``rules``, then jump to it first from each hook."""
    ipt = f"iptables -w -t {table}"
    steps = [f"{ipt} -N {chain}"]
    steps += [f"{ipt} -A {chain} {rule}" for rule in rules]
    steps += [f"{ipt} -I {hook} 1 -j {chain}" for hook in hooks]
    return " && ".join(steps)


def remove_chain_script(chain: str, hooks: tuple[str, ...], table: str = "filter") -> str:
    """Remove the jumps to ``chain`` and the chain itself; a no-op when they are gone."""
    ipt = f"iptables -w -t {table}"
    steps = [f"while {ipt} -D {hook} -j {chain} 2>/dev/null; do :; done" for hook in hooks]
    steps += [f"{ipt} -F {chain} 2>/dev/null", f"{ipt} -X {chain} 2>/dev/null", "true"]
    return "; ".join(steps)


def tc_handle(fault_id: str) -> str:
    """A qdisc major handle that names this fault: the last 4 hex digits of its id."""
    tail = fault_id.rsplit("-", 1)[-1][-4:]
    major = int(tail, 16) if re.fullmatch(r"[0-9a-f]{1,4}", tail) else 0
    return f"{major or 0x1AB:x}:"


def remove_root_qdisc_script(handle: str) -> str:
    """Delete the root qdisc of each eth device only where it is the lab's (``handle``)."""
    return (
        f"for dev in {ETH_DEVICES}; do "
        f'tc qdisc show dev "$dev" | grep -q " {handle} root" && tc qdisc del dev "$dev" root; '
        "done; true"
    )


def parse_rate(text: str) -> int:
    """A tc rate (``256kbit``, ``1mbit``, ``100kbps``) in bits per second."""
    match = _RATE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a rate: use e.g. 256kbit, 1mbit or 100kbps")
    unit = match.group(2).lower()
    bits = float(match.group(1)) * _RATE_UNITS[unit.replace("bps", "bit")] * (8 if unit.endswith("bps") else 1)
    return int(bits)


def dns_name_hex(name: str) -> str:
    """``name`` as the first label of a DNS question, in iptables --hex-string form."""
    label = name.encode()
    if not 0 < len(label) < 64:
        raise ValueError(f"{name!r} is not a DNS label")
    return f"|{len(label):02x}{label.hex()}|"


def run_in_target(ctx: FaultContext, target: Target, script: str) -> None:
    """Run ``script`` in the target's namespace; a target without one is left alone."""
    if netns_alive(target):
        in_netns(ctx, target, script)
