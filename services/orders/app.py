"""orders: checkout (reserve stock, charge, record, publish) and order lookup.

Checkout order of operations, and why:
  1. price the items from Postgres (clients never send prices);
  2. inventory POST /reserve under a fresh order_ref (409 passes through);
  3. payments POST /charge; on any failure release the reservation, then
     402 if declined, else the upstream error;
  4. one transaction inserts the order ('paid') and its items;
  5. XADD {"type": "order_paid", "order_id"} to `orders.events` for the worker.
A failed XADD is logged, not returned: the customer has paid and the order
exists; the order simply stays 'paid' (visible as a fulfilment backlog).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from labsvc import validate
from labsvc.client import Downstream, UpstreamError
from labsvc.config import Settings, env_float, env_int
from labsvc.http import (
    DB_KEY,
    REDIS_KEY,
    ApiError,
    create_app,
    json_response,
    read_json,
    run,
    with_postgres,
    with_redis,
)
from labsvc.logging import get_logger
from redis.exceptions import RedisError

STREAM = "orders.events"
log = get_logger("orders")


@dataclass(frozen=True)
class OrdersConfig:
    inventory_timeout_s: float
    payments_timeout_s: float
    stream_maxlen: int

    @classmethod
    def from_env(cls) -> OrdersConfig:
        return cls(
            inventory_timeout_s=env_float(os.environ, "ORDERS_INVENTORY_TIMEOUT_S", 2.0, minimum=0.1),
            payments_timeout_s=env_float(os.environ, "ORDERS_PAYMENTS_TIMEOUT_S", 3.0, minimum=0.1),
            stream_maxlen=env_int(os.environ, "ORDERS_STREAM_MAXLEN", 100_000, minimum=1000),
        )


CONFIG_KEY = web.AppKey("orders_config", OrdersConfig)
INVENTORY_KEY = web.AppKey("inventory", Downstream)
PAYMENTS_KEY = web.AppKey("payments", Downstream)


async def _release(app: web.Application, order_ref: uuid.UUID) -> None:
    try:
        response = await app[INVENTORY_KEY].request("POST", "/release", json_body={"order_ref": str(order_ref)})
        if response.status != 200:
            log.error("release_failed", order_ref=order_ref, status=response.status)
    except UpstreamError as exc:
        # The reservation stays held: stock leaks, as it would in production.
        log.error("release_failed", order_ref=order_ref, detail=str(exc))


async def _price(app: web.Application, user_id: int, items: dict[int, int]) -> dict[int, int]:
    db = app[DB_KEY]
    if await db.fetchrow("get_user", "SELECT 1 FROM users WHERE id = $1", user_id) is None:
        raise ApiError(400, "unknown_user", user_id=user_id)
    rows = await db.fetch("price_items", "SELECT id, price_cents FROM products WHERE id = ANY($1::int[])", list(items))
    prices = {row["id"]: row["price_cents"] for row in rows}
    unknown = sorted(set(items) - set(prices))
    if unknown:
        raise ApiError(400, "unknown_products", product_ids=unknown)
    return prices


async def _charge(app: web.Application, order_ref: uuid.UUID, amount_cents: int) -> dict[str, Any]:
    try:
        response = await app[PAYMENTS_KEY].request(
            "POST", "/charge", json_body={"amount_cents": amount_cents, "order_ref": str(order_ref)}
        )
    except UpstreamError:
        await _release(app, order_ref)
        raise
    if response.status == 200:
        result: dict[str, Any] = response.json()
        return result
    await _release(app, order_ref)
    if response.status == 402:
        raise ApiError(402, "payment_declined", order_ref=str(order_ref))
    raise ApiError(502, "payment_failed", upstream_status=response.status)


async def checkout(request: web.Request) -> web.Response:
    app = request.app
    body = await read_json(request)
    user_id = validate.positive_int(body, "user_id")
    items = validate.items(body)
    prices = await _price(app, user_id, items)
    total = sum(prices[pid] * qty for pid, qty in items.items())
    order_ref = uuid.uuid4()

    reserve = await app[INVENTORY_KEY].request(
        "POST",
        "/reserve",
        json_body={
            "order_ref": str(order_ref),
            "items": [{"product_id": p, "quantity": q} for p, q in items.items()],
        },
    )
    if reserve.status == 409:
        return json_response(reserve.json(), status=409)
    if reserve.status != 200:
        raise ApiError(502, "reservation_failed", upstream_status=reserve.status)

    payment = await _charge(app, order_ref, total)

    async with app[DB_KEY].transaction("insert_order") as conn:
        order_id = await conn.fetchval(
            "INSERT INTO orders (ref, user_id, status, total_cents) VALUES ($1, $2, 'paid', $3) RETURNING id",
            order_ref,
            user_id,
            total,
        )
        await conn.executemany(
            "INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) VALUES ($1, $2, $3, $4)",
            [(order_id, pid, qty, prices[pid]) for pid, qty in items.items()],
        )
    try:
        await app[REDIS_KEY].xadd(
            STREAM,
            {"type": "order_paid", "order_id": str(order_id)},
            maxlen=app[CONFIG_KEY].stream_maxlen,
            approximate=True,
        )
    except RedisError as exc:
        log.error("event_publish_failed", order_id=order_id, error=str(exc))
    log.info("order_paid", order_id=order_id, order_ref=order_ref, total_cents=total)
    return json_response(
        {
            "order_id": order_id,
            "order_ref": str(order_ref),
            "status": "paid",
            "total_cents": total,
            "payment_id": payment.get("payment_id"),
        },
        status=201,
    )


async def get_order(request: web.Request) -> web.Response:
    raw_id = request.match_info["id"]
    if not raw_id.isdigit():
        raise ApiError(400, "bad_request", detail="order id must be a positive integer")
    db = request.app[DB_KEY]
    order = await db.fetchrow(
        "get_order",
        "SELECT id, ref, user_id, status, total_cents, created_at, fulfilled_at FROM orders WHERE id = $1",
        int(raw_id),
    )
    if order is None:
        raise ApiError(404, "not_found", order_id=int(raw_id))
    items = await db.fetch(
        "get_order_items",
        "SELECT product_id, quantity, unit_price_cents FROM order_items WHERE order_id = $1 ORDER BY product_id",
        order["id"],
    )
    return json_response({**dict(order), "items": [dict(item) for item in items]})


def build_app(settings: Settings) -> web.Application:
    config = OrdersConfig.from_env()
    app = create_app(settings)
    app[CONFIG_KEY] = config
    app[INVENTORY_KEY] = Downstream("inventory", settings.inventory_url, timeout_s=config.inventory_timeout_s)
    app[PAYMENTS_KEY] = Downstream("payments", settings.payments_url, timeout_s=config.payments_timeout_s)
    with_postgres(app)
    with_redis(app)
    app.router.add_post("/orders/checkout", checkout)
    app.router.add_get("/orders/{id}", get_order)
    return app


if __name__ == "__main__":
    run(build_app)
