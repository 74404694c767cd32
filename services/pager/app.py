"""pager: the lab's on-call pager, an Alertmanager webhook receiver.

Alertmanager posts notifications (webhook payload version 4) to
/webhook/page for SLO burn alerts and /webhook/warning for cause alerts.
The pager keeps the last PAGER_HISTORY notifications in memory, each with the
time it arrived, and serves them on GET /notifications; GET /alerts is the
current state of every alert (its latest notification), which `lab alerts`
shows. No database: a pager that forgets on restart is fine for a lab.
"""

from __future__ import annotations

import os
import time
from collections import deque
from typing import Any

from aiohttp import web
from labsvc.config import Settings, env_int
from labsvc.http import ApiError, create_app, json_response, read_json, run
from labsvc.logging import get_logger

CHANNELS = ("page", "warning")
log = get_logger("pager")
NOTIFICATIONS_KEY = web.AppKey("notifications", deque)


def _alerts_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    alerts = body.get("alerts")
    if not isinstance(alerts, list) or not all(isinstance(a, dict) for a in alerts):
        raise ApiError(400, "bad_request", detail="'alerts' must be a list of objects (Alertmanager webhook v4)")
    return [
        {
            "status": str(a.get("status", "")),
            "labels": dict(a.get("labels") or {}),
            "annotations": dict(a.get("annotations") or {}),
            "startsAt": a.get("startsAt"),
            "endsAt": a.get("endsAt"),
            "fingerprint": str(a.get("fingerprint", "")),
        }
        for a in alerts
    ]


async def receive(request: web.Request) -> web.Response:
    channel = request.match_info["channel"]
    if channel not in CHANNELS:
        raise ApiError(404, "unknown_channel", channels=list(CHANNELS))
    body = await read_json(request)
    notification = {
        "received_at": time.time(),
        "channel": channel,
        "status": str(body.get("status", "")),
        "group_key": str(body.get("groupKey", "")),
        "alerts": _alerts_of(body),
    }
    request.app[NOTIFICATIONS_KEY].append(notification)
    for alert in notification["alerts"]:
        log.warning(
            "paged" if channel == "page" else "warned",
            status=alert["status"],
            alertname=alert["labels"].get("alertname"),
            labels=alert["labels"],
        )
    return json_response({"accepted": len(notification["alerts"])})


async def notifications(request: web.Request) -> web.Response:
    return json_response({"notifications": list(request.app[NOTIFICATIONS_KEY])})


async def alerts(request: web.Request) -> web.Response:
    """Every alert the pager heard of, as of its latest notification, newest first."""
    latest: dict[str, dict[str, Any]] = {}
    for notification in request.app[NOTIFICATIONS_KEY]:
        for alert in notification["alerts"]:
            key = alert["fingerprint"] or repr(sorted(alert["labels"].items()))
            first = latest.get(key, {}).get("first_received_at", notification["received_at"])
            if alert["status"] == "firing" and latest.get(key, {}).get("status") == "resolved":
                first = notification["received_at"]  # it fired again
            latest[key] = {
                **alert,
                "channel": notification["channel"],
                "received_at": notification["received_at"],
                "first_received_at": first,
            }
    ordered = sorted(latest.values(), key=lambda a: a["received_at"], reverse=True)
    return json_response({"alerts": ordered})


async def clear(request: web.Request) -> web.Response:
    request.app[NOTIFICATIONS_KEY].clear()
    return json_response({"cleared": True})


def build_app(settings: Settings) -> web.Application:
    app = create_app(settings)
    app[NOTIFICATIONS_KEY] = deque(maxlen=env_int(os.environ, "PAGER_HISTORY", 1000, minimum=10))
    app.router.add_post("/webhook/{channel}", receive)
    app.router.add_get("/notifications", notifications)
    app.router.add_get("/alerts", alerts)
    app.router.add_delete("/notifications", clear)
    return app


if __name__ == "__main__":
    run(build_app)
