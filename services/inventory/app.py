"""inventory: stock reservations with row locks.

/reserve locks the stock rows of all items (SELECT ... FOR UPDATE, in product
id order so two checkouts never deadlock), checks them, decrements and records
the reservation under the order_ref, all in one transaction. Reserve and
release are idempotent per order_ref, so a retried call is harmless.
"""

from __future__ import annotations

from aiohttp import web
from labsvc import validate
from labsvc.config import Settings
from labsvc.http import DB_KEY, ApiError, create_app, json_response, read_json, run, with_postgres


async def reserve(request: web.Request) -> web.Response:
    body = await read_json(request)
    order_ref = validate.order_ref(body)
    items = validate.items(body)
    async with request.app[DB_KEY].transaction("reserve") as conn:
        # A retried call finds its reservation; a concurrent duplicate fails on
        # the primary key below and rolls back, so stock is never taken twice.
        existing = await conn.fetchval("SELECT count(*) FROM reservations WHERE order_ref = $1", order_ref)
        if existing:
            return json_response({"order_ref": str(order_ref), "reserved": True, "repeated": True})
        rows = await conn.fetch(
            "SELECT product_id, quantity FROM stock WHERE product_id = ANY($1::int[]) ORDER BY product_id FOR UPDATE",
            sorted(items),
        )
        available = {row["product_id"]: row["quantity"] for row in rows}
        missing = sorted(set(items) - set(available))
        if missing:
            raise ApiError(400, "unknown_products", product_ids=missing)
        short = [
            {"product_id": pid, "requested": qty, "available": available[pid]}
            for pid, qty in sorted(items.items())
            if available[pid] < qty
        ]
        if short:
            raise ApiError(409, "insufficient_stock", items=short)
        await conn.executemany(
            "UPDATE stock SET quantity = quantity - $2, updated_at = now() WHERE product_id = $1",
            list(items.items()),
        )
        await conn.executemany(
            "INSERT INTO reservations (order_ref, product_id, quantity, status) VALUES ($1, $2, $3, 'reserved')",
            [(order_ref, pid, qty) for pid, qty in items.items()],
        )
    return json_response({"order_ref": str(order_ref), "reserved": True})


async def release(request: web.Request) -> web.Response:
    body = await read_json(request)
    order_ref = validate.order_ref(body)
    async with request.app[DB_KEY].transaction("release") as conn:
        released = await conn.fetch(
            "UPDATE reservations SET status = 'released', updated_at = now() "
            "WHERE order_ref = $1 AND status = 'reserved' RETURNING product_id, quantity",
            order_ref,
        )
        await conn.executemany(
            "UPDATE stock SET quantity = quantity + $2, updated_at = now() WHERE product_id = $1",
            sorted((row["product_id"], row["quantity"]) for row in released),
        )
    return json_response({"order_ref": str(order_ref), "released_items": len(released)})


async def get_stock(request: web.Request) -> web.Response:
    raw_id = request.match_info["product_id"]
    if not raw_id.isdigit():
        raise ApiError(400, "bad_request", detail="product_id must be a positive integer")
    row = await request.app[DB_KEY].fetchrow(
        "get_stock", "SELECT product_id, quantity, updated_at FROM stock WHERE product_id = $1", int(raw_id)
    )
    if row is None:
        raise ApiError(404, "not_found", product_id=int(raw_id))
    return json_response(dict(row))


def build_app(settings: Settings) -> web.Application:
    app = create_app(settings)
    with_postgres(app)
    app.router.add_post("/reserve", reserve)
    app.router.add_post("/release", release)
    app.router.add_get("/stock/{product_id}", get_stock)
    return app


if __name__ == "__main__":
    run(build_app)
