"""Latency and jitter between the target and one peer.

With netem (where the kernel has it): an htb qdisc on the target's eth devices sends packets
for the peer through a netem class. Without netem (this kernel): a real delaying TCP proxy
(assets/delay_proxy.py) in a helper container joined to the target's namespace, and a REDIRECT
rule there that sends the target's connections to peer_ip:port through the proxy. Either way
the actual traffic is delayed; nothing is simulated in the service.
"""

from __future__ import annotations

import time
from typing import Any, Literal

import docker.errors
from pydantic import BaseModel, ConfigDict, Field, model_validator

from lab import labels
from lab.docker import engine
from lab.doctor import kernel_feature
from lab.errors import LabError
from lab.faults.assets import asset_text
from lab.faults.base import Fault
from lab.faults.network_ops import (
    DEFAULT_PORT,
    ETH_DEVICES,
    SERVICE_PORTS,
    add_chain_script,
    netns_alive,
    peer_address,
    remove_chain_script,
    remove_root_qdisc_script,
    run_in_target,
    tc_handle,
)
from lab.faults.registry import register
from lab.faults.types.network import SERVICE_NAME

FAULT_LABEL = "io.incident-lab.fault"
PROXY_READY_SECONDS = 15
PROXY_MARK = "0x1ab"  # the proxy's own upstream connections carry it and skip the redirect
PROXY_PORT_BASE = 15000  # the proxy listens on 127.0.0.1 in the target's namespace, below the ephemeral range


class LatencyParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    peer: str = Field(pattern=SERVICE_NAME, description="the service whose traffic from the target is delayed")
    ms: int = Field(ge=1, le=10_000, description="added delay per round trip, milliseconds")
    jitter_ms: int = Field(default=0, ge=0, le=10_000, description="random variation, +/- milliseconds")
    port: int | None = Field(default=None, ge=1, le=65535, description="the peer's port (default: its service port)")
    mode: Literal["auto", "netem", "proxy"] = "auto"

    @model_validator(mode="after")
    def _jitter_within_delay(self) -> LatencyParams:
        if self.jitter_ms > self.ms:
            raise ValueError(f"jitter_ms ({self.jitter_ms}) must not exceed ms ({self.ms})")
        return self


@register
class Latency(Fault):
    name = "latency"
    family = "network"
    summary = "Delay the target's traffic to one peer by ms +/- jitter_ms (netem, or a delaying proxy)."
    effect = "every round trip from the target to the peer takes ms longer: requests through it slow down"
    needs = ("kernel: iptables nat",)
    Params = LatencyParams

    @property
    def p(self) -> LatencyParams:
        assert isinstance(self.params, LatencyParams)
        return self.params

    def prepare(self) -> None:
        settings = self.ctx.settings
        self.state["peer_ip"] = peer_address(settings, self.target, self.p.peer)
        self.state["peer_port"] = self.p.port or SERVICE_PORTS.get(self.p.peer, DEFAULT_PORT)
        netem = self.p.mode != "proxy" and kernel_feature(settings, "netem")
        if self.p.mode == "netem" and not netem:
            raise LabError("fault latency: this kernel has no netem (sch_netem): use mode=proxy or mode=auto")
        self.state["mode"] = "netem" if netem else "proxy"
        self.state["proxy"] = f"{settings.project}-{self.ctx.fault_id}"
        self.state["proxy_port"] = PROXY_PORT_BASE + int(tc_handle(self.ctx.fault_id)[:-1], 16) % 5000

    def describe(self) -> str:
        how = "netem" if self.state["mode"] == "netem" else "a delaying proxy"
        jitter = f" +/- {self.p.jitter_ms}ms" if self.p.jitter_ms else ""
        return f"delay {self.target.service} -> {self.p.peer} by {self.p.ms}ms{jitter} ({how})"

    # -- netem ------------------------------------------------------------------------------

    def netem_script(self) -> str:
        """An htb root with two classes: :2 (netem) for packets to the peer, :1 for the rest."""
        major = tc_handle(self.ctx.fault_id)
        leaf = f"{(int(major[:-1], 16) % 0xFFFF) + 1:x}:"
        jitter = f" {self.p.jitter_ms}ms" if self.p.jitter_ms else ""
        classes = " && ".join(
            f'tc class add dev "$dev" parent {major} classid {major}{n} htb rate 10gbit quantum 60000' for n in (1, 2)
        )
        return (
            f"for dev in {ETH_DEVICES}; do "
            f'tc qdisc add dev "$dev" root handle {major} htb default 1 && {classes} && '
            f'tc qdisc add dev "$dev" parent {major}2 handle {leaf} netem delay {self.p.ms}ms{jitter} && '
            f'tc filter add dev "$dev" parent {major} protocol ip prio 1 u32 '
            f"match ip dst {self.state['peer_ip']}/32 flowid {major}2 || exit 1; done"
        )

    # -- proxy ------------------------------------------------------------------------------

    def proxy_rules(self) -> tuple[list[str], list[str]]:
        """(nat: new connections to the peer go to the proxy; filter: reset ones opened before)."""
        dst = f"-p tcp -d {self.state['peer_ip']} --dport {self.state['peer_port']} -m mark ! --mark {PROXY_MARK}"
        return (
            [f"{dst} -j REDIRECT --to-ports {self.state['proxy_port']}"],
            [f"{dst} -j REJECT --reject-with tcp-reset"],  # a redirected one no longer has this address
        )

    def proxy_script(self) -> str:
        """The helper's whole life: add the redirect, close pooled connections, then proxy."""
        nat, reset = self.proxy_rules()
        peer = f"{self.state['peer_ip']}:{self.state['peer_port']}"
        args = f"{self.state['proxy_port']} {peer} {self.p.ms} {self.p.jitter_ms} {PROXY_MARK}"
        return " && ".join(
            [
                add_chain_script(self.chain, nat, ("OUTPUT",), table="nat"),
                add_chain_script(self.chain, reset, ("OUTPUT",)),
                # Pooled connections opened before the redirect would skip the proxy: close them.
                f"{{ {self.close_peer_connections()} || true; }}",
                f'exec python3 -c "$LAB_PROXY" {args}',
            ]
        )

    def close_peer_connections(self) -> str:
        return f"ss -K -tn dst {self.state['peer_ip']} dport = :{self.state['peer_port']} >/dev/null"

    def cleanup_script(self) -> str:
        steps = [remove_chain_script(self.chain, ("OUTPUT",), table=t) for t in ("nat", "filter")]
        # Connections through the proxy die with it: close them so the service reconnects at once.
        return "; ".join([*steps, f"{self.close_peer_connections()}; true"])

    def start_proxy(self) -> None:
        proxy = engine().containers.run(
            self.ctx.base_image, ["-c", self.proxy_script()], entrypoint=["sh"],
            environment={"LAB_PROXY": asset_text("delay_proxy.py")}, name=self.state["proxy"],
            detach=True, network_mode=f"container:{self.target.container_id}", cap_add=["NET_ADMIN"],
            mem_limit="64m",
            labels={labels.MANAGED: "true", labels.ROLE: "fault-helper", FAULT_LABEL: self.ctx.fault_id},
        )  # fmt: skip
        deadline = time.monotonic() + PROXY_READY_SECONDS
        while b"ready" not in proxy.logs():
            proxy.reload()
            if proxy.status == "exited" or time.monotonic() > deadline:
                raise LabError(f"the latency proxy did not start: {proxy.logs().decode().strip()[-300:]}")
            time.sleep(0.05)

    def inject(self) -> None:
        if self.state["mode"] == "netem":
            run_in_target(self.ctx, self.target, self.netem_script())
        elif netns_alive(self.target):
            self.start_proxy()

    def revert(self) -> None:
        if self.state["mode"] == "netem":
            run_in_target(self.ctx, self.target, remove_root_qdisc_script(tc_handle(self.ctx.fault_id)))
            return
        proxy = self._proxy()
        # An exec in the running helper (in the target's namespace) is quicker than a new helper.
        cleaned = False
        if proxy is not None and proxy.status == "running":
            cleaned = proxy.exec_run(["sh", "-c", self.cleanup_script()]).exit_code == 0
        if not cleaned:
            run_in_target(self.ctx, self.target, self.cleanup_script())
        if proxy is not None:
            proxy.remove(force=True)

    def _proxy(self) -> Any | None:
        """This fault's proxy container, if it exists and is the lab's helper for this fault."""
        try:
            proxy = engine().containers.get(self.state["proxy"])
        except docker.errors.NotFound:
            return None
        ours = proxy.labels.get(FAULT_LABEL) == self.ctx.fault_id and proxy.labels.get(labels.MANAGED) == "true"
        return proxy if ours else None
