"""payment-provider: a simulated external card processor.

Latency ~ normal(PROVIDER_LATENCY_MS, PROVIDER_JITTER_MS), clipped at 0; a
fraction PROVIDER_ERROR_RATE of calls fail with 503 and PROVIDER_DECLINE_RATE
are declined with 402. Like a real provider it honours Idempotency-Key: a
repeated key gets the first answer back (kept for the last few thousand keys).
No database, no Redis: this service stands for a third party.
"""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from labsvc import validate
from labsvc.config import Settings, env_float
from labsvc.http import ApiError, create_app, json_response, read_json, run

IDEMPOTENCY_CACHE_SIZE = 5000


@dataclass(frozen=True)
class ProviderConfig:
    latency_ms: float
    jitter_ms: float
    error_rate: float
    decline_rate: float

    @classmethod
    def from_env(cls) -> ProviderConfig:
        return cls(
            latency_ms=env_float(os.environ, "PROVIDER_LATENCY_MS", 80.0, maximum=60_000),
            jitter_ms=env_float(os.environ, "PROVIDER_JITTER_MS", 30.0, maximum=60_000),
            error_rate=env_float(os.environ, "PROVIDER_ERROR_RATE", 0.01, maximum=1.0),
            decline_rate=env_float(os.environ, "PROVIDER_DECLINE_RATE", 0.02, maximum=1.0),
        )

    def sample_latency_s(self, rng: random.Random) -> float:
        return max(0.0, rng.gauss(self.latency_ms, self.jitter_ms)) / 1000


class Provider:
    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.rng = random.Random()
        self.answers: OrderedDict[str, tuple[int, dict[str, Any]]] = OrderedDict()

    async def create_charge(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        amount = validate.positive_int(body, "amount_cents")
        reference = body.get("reference")
        if not isinstance(reference, str) or not reference:
            raise ApiError(400, "bad_request", detail="'reference' must be a non-empty string")
        key = request.headers.get("Idempotency-Key")
        await asyncio.sleep(self.config.sample_latency_s(self.rng))
        if key is not None and key in self.answers:
            status, answer = self.answers[key]
            return json_response(answer, status=status)
        roll = self.rng.random()
        if roll < self.config.error_rate:
            # Not remembered: a processing error must not stick to the key.
            return json_response({"error": "processor_unavailable"}, status=503)
        if roll < self.config.error_rate + self.config.decline_rate:
            status, answer = 402, {"status": "declined", "reason": "card_declined", "reference": reference}
        else:
            status = 201
            answer = {
                "id": f"ch_{uuid.uuid4().hex[:24]}",
                "status": "succeeded",
                "amount_cents": amount,
                "reference": reference,
            }
        if key is not None:
            self.answers[key] = (status, answer)
            if len(self.answers) > IDEMPOTENCY_CACHE_SIZE:
                self.answers.popitem(last=False)
        return json_response(answer, status=status)


def build_app(settings: Settings) -> web.Application:
    provider = Provider(ProviderConfig.from_env())
    app = create_app(settings)
    app.router.add_post("/v1/charges", provider.create_charge)
    return app


if __name__ == "__main__":
    run(build_app)
