"""Network faults acting in the target's network namespace: partition, packet loss, bandwidth
limit and DNS failure. Latency lives in its own module (latency.py).

iptables rules go into the fault's own chain; tc qdiscs carry the fault's own handle. Both are
added by a helper container joined to the target's namespace (see docker_ops.in_netns).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lab.faults.base import Fault
from lab.faults.network_ops import (
    DEFAULT_PORT,
    DOCKER_DNS,
    ETH_DEVICES,
    SERVICE_PORTS,
    add_chain_script,
    dns_name_hex,
    parse_rate,
    peer_address,
    remove_chain_script,
    remove_root_qdisc_script,
    run_in_target,
    tc_handle,
)
from lab.faults.registry import register

BOTH_WAYS = ("INPUT", "OUTPUT")
SERVICE_NAME = r"^[a-z0-9][a-z0-9-]{0,62}$"
MIN_RATE_BITS, MAX_RATE_BITS = 8_000, 10_000_000_000


class PartitionParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    peer: str = Field(pattern=SERVICE_NAME, description="the lab service the target can no longer reach")


class IptablesFault(Fault):
    """A fault made of DROP/REJECT rules in the lab's chain, jumped to from ``hooks``."""

    hooks: tuple[str, ...] = BOTH_WAYS

    @abstractmethod
    def rules(self) -> list[str]: ...

    def inject(self) -> None:
        run_in_target(self.ctx, self.target, add_chain_script(self.chain, self.rules(), self.hooks))

    def revert(self) -> None:
        run_in_target(self.ctx, self.target, remove_chain_script(self.chain, self.hooks))


@register
class Partition(IptablesFault):
    name = "partition"
    family = "network"
    summary = "Cut the target off from one peer service, both ways (iptables DROP in its namespace)."
    effect = "the target's calls to the peer hang until their timeouts; the lab's chain shows in `iptables -S`"
    needs = ("kernel: iptables",)
    Params = PartitionParams

    def prepare(self) -> None:
        assert isinstance(self.params, PartitionParams)
        self.state["peer_ip"] = peer_address(self.ctx.settings, self.target, self.params.peer)

    def describe(self) -> str:
        assert isinstance(self.params, PartitionParams)
        return f"drop all traffic between {self.target.service} and {self.params.peer} ({self.state['peer_ip']})"

    def rules(self) -> list[str]:
        ip = self.state["peer_ip"]
        return [f"-d {ip} -j DROP", f"-s {ip} -j DROP"]


class PacketLossParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    percent: int = Field(ge=1, le=100, description="share of packets dropped, each way")
    peer: str | None = Field(default=None, pattern=SERVICE_NAME, description="only traffic with this service")


@register
class PacketLoss(IptablesFault):
    name = "packet-loss"
    family = "network"
    summary = "Drop a share of the target's packets at random, each way (iptables statistic)."
    effect = "the target's requests slow down with TCP retransmissions, or time out"
    needs = ("kernel: iptables statistic",)
    Params = PacketLossParams

    def prepare(self) -> None:
        assert isinstance(self.params, PacketLossParams)
        if self.params.peer is not None:
            self.state["peer_ip"] = peer_address(self.ctx.settings, self.target, self.params.peer)

    def describe(self) -> str:
        assert isinstance(self.params, PacketLossParams)
        scope = f"to and from {self.params.peer}" if self.params.peer else "on its eth interfaces"
        return f"drop {self.params.percent}% of {self.target.service}'s packets {scope}"

    def rules(self) -> list[str]:
        assert isinstance(self.params, PacketLossParams)
        drop = f"-m statistic --mode random --probability {self.params.percent / 100:.2f} -j DROP"
        ip = self.state.get("peer_ip")
        # Never lo: the healthcheck and Docker's DNS run over it.
        out, into = (f"-d {ip}", f"-s {ip}") if ip else ("-o eth+", "-i eth+")
        return [f"{out} {drop}", f"{into} {drop}"]


class BandwidthParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rate: str = Field(description="e.g. 256kbit, 1mbit, 100kbps (8kbit to 10gbit)")

    @field_validator("rate")
    @classmethod
    def _sane_rate(cls, value: str) -> str:
        bits = parse_rate(value)
        if not MIN_RATE_BITS <= bits <= MAX_RATE_BITS:
            raise ValueError(f"{value!r} is out of bounds: between 8kbit and 10gbit")
        return f"{bits}bit"


@register
class Bandwidth(Fault):
    name = "bandwidth"
    family = "network"
    summary = "Limit what the target sends to a rate (tc tbf on each of its eth interfaces)."
    effect = "responses from the target (or its uploads) take size/rate; large ones time out"
    needs = ("kernel: tbf",)
    Params = BandwidthParams

    def describe(self) -> str:
        assert isinstance(self.params, BandwidthParams)
        return f"limit {self.target.service}'s outgoing traffic to {self.params.rate}/s (tbf, handle {self.handle})"

    @property
    def handle(self) -> str:
        return tc_handle(self.ctx.fault_id)

    def inject(self) -> None:
        assert isinstance(self.params, BandwidthParams)
        bits = parse_rate(self.params.rate)
        burst = max(1600, bits // 8 // 50)  # 20 ms worth, at least one full frame
        script = (
            f"for dev in {ETH_DEVICES}; do "
            f'tc qdisc add dev "$dev" root handle {self.handle} tbf rate {bits}bit burst {burst} latency 500ms '
            "|| exit 1; done"
        )
        run_in_target(self.ctx, self.target, script)

    def revert(self) -> None:
        run_in_target(self.ctx, self.target, remove_root_qdisc_script(self.handle))


class DnsFailureParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=SERVICE_NAME, description="the dependency whose name stops resolving")
    how: Literal["refuse", "timeout"] = "refuse"
    reset: bool = True  # close open connections to it, so the target has to resolve it again


@register
class DnsFailure(IptablesFault):
    name = "dns-failure"
    family = "network"
    summary = "Make one dependency's name fail to resolve for the target only (iptables string match on DNS)."
    effect = "the target cannot resolve the name (getent fails there); its new connections to it fail"
    needs = ("kernel: iptables string",)
    Params = DnsFailureParams
    hooks = ("OUTPUT",)

    def prepare(self) -> None:
        assert isinstance(self.params, DnsFailureParams)
        self.state["peer_ip"] = peer_address(self.ctx.settings, self.target, self.params.name)

    def describe(self) -> str:
        assert isinstance(self.params, DnsFailureParams)
        reset = ", closing its open connections to it" if self.params.reset else ""
        verb = "refuse" if self.params.how == "refuse" else "drop (time out)"
        return f"{verb} {self.target.service}'s DNS queries for {self.params.name!r}{reset}"

    def rules(self) -> list[str]:
        assert isinstance(self.params, DnsFailureParams)
        match = f"-d {DOCKER_DNS} -m string --algo bm --icase --hex-string '{dns_name_hex(self.params.name)}'"
        if self.params.how == "timeout":
            return [f"-p udp {match} -j DROP", f"-p tcp {match} -j DROP"]
        return [
            f"-p udp {match} -j REJECT --reject-with icmp-port-unreachable",
            f"-p tcp {match} -j REJECT --reject-with tcp-reset",
        ]

    def inject(self) -> None:
        assert isinstance(self.params, DnsFailureParams)
        script = add_chain_script(self.chain, self.rules(), self.hooks)
        if self.params.reset:
            # Pooled connections were resolved long ago: close them so the name matters now.
            port = SERVICE_PORTS.get(self.params.name, DEFAULT_PORT)
            script += f" && ss -K -tn dst {self.state['peer_ip']} dport = :{port} >/dev/null"
        run_in_target(self.ctx, self.target, script)
