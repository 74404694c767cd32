"""The fleet on real containers: health, a real checkout, caching, Prometheus, safety."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from lab.platforms import Platform
from lab.prometheus import query
from lab.settings import Settings
from lab.testing import container_of, psql, redis_cli, wait_for

pytestmark = pytest.mark.docker


def test_every_service_is_running_and_healthy(fleet: Platform) -> None:
    states = {c.service: c for c in fleet.containers()}
    assert set(states) == set(fleet.services())
    unhealthy = {s: f"{c.state}/{c.health}" for s, c in states.items() if not c.ok}
    assert not unhealthy


def test_a_checkout_writes_the_order_reserves_stock_and_is_fulfilled(fleet: Platform, settings: Settings) -> None:
    product = int(psql(settings, "SELECT product_id FROM stock WHERE quantity > 10 ORDER BY product_id LIMIT 1"))
    stock_before = int(psql(settings, f"SELECT quantity FROM stock WHERE product_id = {product}"))
    request_id = f"test-{uuid.uuid4()}"

    resp = requests.post(
        f"{settings.url('gateway')}/api/checkout",
        json={"user_id": 1, "items": [{"product_id": product, "quantity": 2}]},
        headers={"X-Request-ID": request_id},
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    order_id = int(resp.json()["order_id"])
    order_ref = resp.json()["order_ref"]

    assert psql(settings, f"SELECT user_id FROM orders WHERE id = {order_id}") == "1"
    stock_after = int(psql(settings, f"SELECT quantity FROM stock WHERE product_id = {product}"))
    assert stock_after == stock_before - 2
    reservation = psql(settings, f"SELECT quantity, status FROM reservations WHERE order_ref = '{order_ref}'")
    assert reservation == "2|reserved"

    # The worker consumes the order's event from the Redis stream, fulfils the order and
    # sends its email.
    wait_for(
        lambda: psql(settings, f"SELECT status FROM orders WHERE id = {order_id}") == "fulfilled",
        timeout=20,
        what=f"order {order_id} to be fulfilled by the worker",
    )
    assert psql(settings, f"SELECT count(*) FROM notifications WHERE order_id = {order_id}") == "1"
    status = requests.get(f"{settings.url('gateway')}/api/orders/{order_id}", timeout=10).json()
    assert status["status"] == "fulfilled"

    # The request id followed the checkout from the gateway into the orders service's logs.
    logs = container_of(settings, "orders").logs(tail=500).decode().splitlines()
    tagged = [json.loads(line) for line in logs if line.startswith("{") and request_id in line]
    assert any(entry.get("request_id") == request_id for entry in tagged)


def test_a_repeated_catalog_read_is_a_cache_hit(fleet: Platform, settings: Settings) -> None:
    product = 4242
    redis_cli(settings, "FLUSHDB")
    first = requests.get(f"{settings.url('gateway')}/api/products/{product}", timeout=10)
    second = requests.get(f"{settings.url('gateway')}/api/products/{product}", timeout=10)
    assert first.status_code == second.status_code == 200
    assert first.headers["X-Cache"] == "miss"
    assert second.headers["X-Cache"] == "hit"
    assert first.json() == second.json()


def test_prometheus_has_fresh_samples_from_every_service(fleet: Platform, settings: Settings) -> None:
    scraped = {"gateway", "catalog", "orders", "inventory", "payments", "payment-provider", "worker"}

    def all_up() -> bool:
        up = {s.labels["service"]: s.value for s in query(settings, 'up{job="services"}')}
        return set(up) >= scraped and all(up[s] == 1 for s in scraped)

    wait_for(all_up, timeout=60, what="every service to be scraped and up")
    ages = query(settings, 'time() - timestamp(up{job="services"})')
    stale = {s.labels["service"]: round(s.value, 1) for s in ages if s.value > 15}
    assert not stale, f"samples older than 15 s: {stale}"


def test_nothing_is_published_beyond_loopback(fleet: Platform, settings: Settings) -> None:
    published = []
    for state in fleet.containers():
        ports = container_of(settings, state.service).attrs["NetworkSettings"]["Ports"] or {}
        for bindings in ports.values():
            for binding in bindings or []:
                published.append((state.service, binding["HostIp"]))
    assert published, "the gateway should publish at least one port"
    assert all(ip == "127.0.0.1" for _, ip in published), published
