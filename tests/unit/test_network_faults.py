"""Network and time faults' logic: parameter bounds, the scripts they run, the delaying proxy."""

from __future__ import annotations

import asyncio
import importlib.util
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from lab.errors import LabError
from lab.faults import get_fault
from lab.faults.assets import ASSETS
from lab.faults.base import FaultContext, Target
from lab.faults.engine import parse_params
from lab.faults.network_ops import add_chain_script, dns_name_hex, parse_rate, remove_chain_script, tc_handle
from lab.faults.types.time import skew_seconds
from lab.settings import Settings


def _fault(name: str, params: dict[str, str], state: dict[str, Any], fault_id: str) -> Any:
    cls = get_fault(name)
    settings = Settings(project="p", root=Path("."), state_dir=Path("."), cache_dir=Path("."))
    ctx = FaultContext(settings=settings, fault_id=fault_id, base_image="base:tag")
    return cls(ctx, Target("catalog", "cid", "p-catalog-1"), parse_params(cls, params), state)


@pytest.mark.parametrize(
    ("text", "bits"), [("256kbit", 256_000), ("1mbit", 1_000_000), ("100kbps", 800_000), ("8kbit", 8_000)]
)
def test_rates(text: str, bits: int) -> None:
    assert parse_rate(text) == bits


@pytest.mark.parametrize(
    ("fault", "params", "needle"),
    [
        ("bandwidth", {"rate": "10tbit"}, "'rate'.*not a rate"),
        ("bandwidth", {"rate": "100gbit"}, "'rate'.*out of bounds"),
        ("bandwidth", {"rate": "1bit"}, "'rate'.*out of bounds"),
        ("packet-loss", {"percent": "0"}, "'percent'"),
        ("packet-loss", {"percent": "101"}, "'percent'"),
        ("packet-loss", {"percent": "ten"}, "'percent'"),
        ("partition", {}, "'peer'"),
        ("partition", {"peer": "Catalog; rm -rf /"}, "'peer'"),
        ("latency", {"peer": "postgres", "ms": "-5"}, "'ms'"),
        ("latency", {"peer": "postgres", "ms": "100", "jitter_ms": "200"}, "jitter_ms"),
        ("latency", {"peer": "postgres", "ms": "100", "mode": "magic"}, "'mode'"),
        ("dns-failure", {"name": "postgres", "how": "maybe"}, "'how'"),
        ("clock-skew", {"offset": "2h"}, "'offset'.*not an offset"),
        ("clock-skew", {"offset": "+400d"}, "'offset'.*out of bounds"),
        ("clock-skew", {"offset": "+0h"}, "'offset'.*out of bounds"),
    ],
)
def test_bad_params_are_refused_naming_the_parameter(fault: str, params: dict[str, str], needle: str) -> None:
    with pytest.raises(LabError, match=needle):
        parse_params(get_fault(fault), params)


def test_chain_scripts_touch_only_the_labs_chain() -> None:
    add = add_chain_script("LAB-x", ["-d 10.0.0.2 -j DROP"], ("INPUT", "OUTPUT"))
    assert add == (
        "iptables -w -t filter -N LAB-x && iptables -w -t filter -A LAB-x -d 10.0.0.2 -j DROP && "
        "iptables -w -t filter -I INPUT 1 -j LAB-x && iptables -w -t filter -I OUTPUT 1 -j LAB-x"
    )
    remove = remove_chain_script("LAB-x", ("OUTPUT",), table="nat")
    assert "-D OUTPUT -j LAB-x" in remove and "-X LAB-x" in remove and remove.endswith("true")
    assert "-F OUTPUT" not in remove and "-X " not in remove.replace("-X LAB-x", "")


def test_tc_handles_and_dns_names() -> None:
    assert tc_handle("bandwidth-a1b2c3") == "b2c3:"
    assert tc_handle("bandwidth-000000") == "1ab:"  # never 0:, which tc refuses
    assert dns_name_hex("postgres") == "|08706f737467726573|"
    assert dns_name_hex("payment-provider").startswith("|10")


def test_packet_loss_never_touches_loopback() -> None:
    rules = _fault("packet-loss", {"percent": "25"}, {}, "packet-loss-abcdef").rules()
    assert rules == [
        "-o eth+ -m statistic --mode random --probability 0.25 -j DROP",
        "-i eth+ -m statistic --mode random --probability 0.25 -j DROP",
    ]
    peer = _fault("packet-loss", {"percent": "5", "peer": "redis"}, {"peer_ip": "10.0.0.5"}, "packet-loss-abcdef")
    assert peer.rules()[0].startswith("-d 10.0.0.5 ") and peer.rules()[1].startswith("-s 10.0.0.5 ")


def test_latency_proxy_redirects_only_the_targets_own_connections() -> None:
    state = {"peer_ip": "10.0.0.6", "peer_port": 5432, "proxy_port": 15123, "mode": "proxy", "proxy": "p-latency-1"}
    fault = _fault("latency", {"peer": "postgres", "ms": "200"}, state, "latency-abcdef")
    nat, reset = fault.proxy_rules()
    assert nat == ["-p tcp -d 10.0.0.6 --dport 5432 -m mark ! --mark 0x1ab -j REDIRECT --to-ports 15123"]
    assert reset[0].endswith("-j REJECT --reject-with tcp-reset")
    assert fault.proxy_script().endswith('exec python3 -c "$LAB_PROXY" 15123 10.0.0.6:5432 200 0 0x1ab')
    netem = _fault("latency", {"peer": "postgres", "ms": "200", "jitter_ms": "20"}, state, "latency-abcdef")
    assert "netem delay 200ms 20ms" in netem.netem_script() and "match ip dst 10.0.0.6/32" in netem.netem_script()


def test_clock_skew_offsets() -> None:
    assert [skew_seconds(t) for t in ("+2h", "-30m", "+90s", "-1d", "+45")] == [7200, -1800, 90, -86400, 45]
    fault = _fault("clock-skew", {"offset": "-1d"}, {}, "clock-skew-abcdef")
    env = fault.environment()
    assert env["FAKETIME"] == "-86400" and "faketime" in env["LD_PRELOAD"]


def _load_proxy() -> ModuleType:
    spec = importlib.util.spec_from_file_location("delay_proxy", ASSETS / "delay_proxy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _round_trips(delay_s: float, jitter_s: float, n: int) -> list[float]:
    """Round trips through the real proxy on 127.0.0.1 to an echo server, in seconds."""
    proxy = _load_proxy()

    async def scenario() -> list[float]:
        async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while data := await reader.read(1024):
                writer.write(data)
                await writer.drain()
            writer.close()

        upstream = await asyncio.start_server(echo, "127.0.0.1", 0)
        port = upstream.sockets[0].getsockname()[1]
        handler = proxy._handler(("127.0.0.1", port), delay_s, jitter_s, 0)
        front = await asyncio.start_server(handler, "127.0.0.1", 0)
        reader, writer = await asyncio.open_connection("127.0.0.1", front.sockets[0].getsockname()[1])
        rtts = []
        for i in range(n):
            started = time.perf_counter()
            writer.write(f"ping {i}\n".encode())
            assert await reader.readline() == f"ping {i}\n".encode()
            rtts.append(time.perf_counter() - started)
        writer.close()
        front.close()
        upstream.close()
        return rtts

    return asyncio.run(scenario())


def test_delay_proxy_delays_requests_by_the_configured_time() -> None:
    rtts = _round_trips(0.2, 0.0, 3)
    assert all(0.19 <= rtt < 0.4 for rtt in rtts), rtts


def test_delay_proxy_jitter_varies_the_delay_within_its_bounds() -> None:
    rtts = _round_trips(0.1, 0.08, 8)
    assert all(0.015 <= rtt < 0.3 for rtt in rtts), rtts
    assert max(rtts) - min(rtts) > 0.02, rtts  # not one fixed delay
