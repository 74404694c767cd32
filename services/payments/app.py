"""payments: charges through the external provider, one payments row per order_ref.

The row is upserted on order_ref, so a retried charge updates it instead of
creating a second payment; an order_ref that already succeeded is answered
from the table without calling the provider again.
Responses: 200 succeeded, 402 declined, 502 provider error (provider
timeout / unreachable: 504 / 502 from labsvc.http).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

from aiohttp import web
from labsvc import validate
from labsvc.client import Downstream, RetryPolicy
from labsvc.config import Settings, env_float, env_int
from labsvc.http import DB_KEY, create_app, json_response, read_json, run, with_postgres
from labsvc.logging import get_logger

log = get_logger("payments")


@dataclass(frozen=True)
class PaymentsConfig:
    provider_timeout_s: float
    provider_retries: int

    @classmethod
    def from_env(cls) -> PaymentsConfig:
        return cls(
            provider_timeout_s=env_float(os.environ, "PAYMENTS_PROVIDER_TIMEOUT_S", 2.0, minimum=0.1),
            provider_retries=env_int(os.environ, "PAYMENTS_PROVIDER_RETRIES", 0, maximum=5),
        )


PROVIDER_KEY = web.AppKey("provider", Downstream)

UPSERT_PAYMENT = """
INSERT INTO payments (order_ref, amount_cents, status, provider_charge_id)
VALUES ($1, $2, $3, $4)
ON CONFLICT (order_ref) DO UPDATE
SET amount_cents = EXCLUDED.amount_cents, status = EXCLUDED.status,
    provider_charge_id = EXCLUDED.provider_charge_id, updated_at = now()
RETURNING id
"""


async def _record(request: web.Request, order_ref: uuid.UUID, amount: int, status: str, charge_id: str | None) -> int:
    payment_id: int = await request.app[DB_KEY].fetchval(
        "upsert_payment", UPSERT_PAYMENT, order_ref, amount, status, charge_id
    )
    return payment_id


async def charge(request: web.Request) -> web.Response:
    body = await read_json(request)
    order_ref = validate.order_ref(body)
    amount = validate.positive_int(body, "amount_cents")
    db = request.app[DB_KEY]
    previous = await db.fetchrow("get_payment", "SELECT id, status FROM payments WHERE order_ref = $1", order_ref)
    if previous is not None and previous["status"] == "succeeded":
        return json_response({"payment_id": previous["id"], "status": "succeeded", "repeated": True})

    response = await request.app[PROVIDER_KEY].request(
        "POST",
        "/v1/charges",
        json_body={"amount_cents": amount, "reference": str(order_ref)},
        # Lets a real provider deduplicate our retries.
        headers={"Idempotency-Key": str(order_ref)},
    )
    if response.status == 201:
        charge_id = response.json().get("id")
        payment_id = await _record(request, order_ref, amount, "succeeded", charge_id)
        return json_response({"payment_id": payment_id, "status": "succeeded", "provider_charge_id": charge_id})
    if response.status == 402:
        payment_id = await _record(request, order_ref, amount, "declined", None)
        return json_response({"payment_id": payment_id, "status": "declined"}, status=402)
    payment_id = await _record(request, order_ref, amount, "failed", None)
    log.warning("provider_error", order_ref=order_ref, provider_status=response.status)
    return json_response(
        {
            "payment_id": payment_id,
            "status": "failed",
            "error": "provider_error",
            "provider_status": response.status,
        },
        status=502,
    )


def build_app(settings: Settings) -> web.Application:
    config = PaymentsConfig.from_env()
    app = create_app(settings)
    app[PROVIDER_KEY] = Downstream(
        "payment-provider",
        settings.provider_url,
        timeout_s=config.provider_timeout_s,
        # A POST, but safe to retry: every call carries the order_ref as Idempotency-Key.
        policy=RetryPolicy(retries=config.provider_retries, retry_non_idempotent=True),
    )
    with_postgres(app)
    app.router.add_post("/charge", charge)
    return app


if __name__ == "__main__":
    run(build_app)
