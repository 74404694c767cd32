"""Data faults on the real Postgres: a noisy client taking every connection, a transaction
holding hot rows, a dropped index under a hot query.

Clients run in helper containers on the backend network (real connections, as a rogue job
would open them), named by ``application_name=lab-fault-<id>`` so revert can also end their
server sessions: a backend asleep in ``pg_sleep`` does not notice its client has gone.
"""

from __future__ import annotations

import time

from pydantic import BaseModel, ConfigDict, Field

from lab.errors import LabError
from lab.faults import datastore
from lab.faults.base import Fault
from lab.faults.docker_ops import container
from lab.faults.registry import register
from lab.images import image_specs

_HOLD_S = 6 * 3600
# Opens connections (ten at a time) until Postgres refuses, then keeps retrying one at a time:
# a slot a service frees is taken again at once, while the superuser's reserved slots stay free
# for revert (each attempt holds a server process for a moment). Connections sit idle, as a
# leaked pool's would.
_NOISY_POOL = """import asyncio, os, asyncpg
async def main():
    want, held, batch = int(os.environ["WANT"]), [], 10
    while True:
        held = [c for c in held if not c.is_closed()]
        room = batch if not want else min(batch, want - len(held))
        if room <= 0:
            await asyncio.sleep(0.5)
            continue
        tries = [asyncpg.connect(os.environ["DSN"], timeout=5) for _ in range(room)]
        got = [c for c in await asyncio.gather(*tries, return_exceptions=True) if not isinstance(c, BaseException)]
        held += got
        if len(got) < room:
            batch = 1
            await asyncio.sleep(0.2)
asyncio.run(main())
"""


# The noisy client's sessions, and every client session but this query's own (a superuser's).
_HELD = (
    "SELECT count(*) FILTER (WHERE a.application_name = '{app}'), count(*) FILTER (WHERE NOT r.rolsuper) "
    "FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid WHERE a.backend_type = 'client backend'"
)
_DROPPABLE = (
    "SELECT string_agg(indexname, ', ' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public' "
    "AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'"
)


def _app_name(fault_id: str) -> str:
    return f"lab-fault-{fault_id}"


def _sessions(fault: Fault, extra: str = "") -> int:
    sql = f"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{_app_name(fault.ctx.fault_id)}' {extra}"
    return int(datastore.psql(fault.target, sql) or 0)


def _end_sessions(fault: Fault) -> None:
    """Remove the helper, then end its server sessions. A gone or stopped Postgres is done."""
    datastore.remove_clients(fault.ctx)
    c = container(fault.target)
    if c is not None and c.status == "running":
        app = _app_name(fault.ctx.fault_id)
        sql = f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{app}'"
        datastore.psql(fault.target, sql)


def _dsn(fault: Fault) -> str:
    app = _app_name(fault.ctx.fault_id)
    password = datastore.db_password(fault.target)
    return f"postgresql://lab:{password}@{fault.target.service}:5432/shop?application_name={app}"


class ConnectionExhaustionParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    connections: int = Field(0, ge=0, le=10_000, description="connections to hold; 0 takes every free slot")
    terminate_idle: bool = Field(True, description="end the services' idle connections once, so they must reconnect")


@register
class PgConnectionExhaustion(Fault):
    name = "pg-connection-exhaustion"
    family = "data"
    summary = "A noisy client on the backend network opens and holds Postgres connections until none are left."
    effect = "new connections are refused ('too many clients'); services that must reconnect fail (checkout)"
    Params = ConnectionExhaustionParams

    def prepare(self) -> None:
        datastore.require(self.target, self.name, "postgres")
        row = datastore.psql(
            self.target, "SELECT current_setting('max_connections'), current_setting('superuser_reserved_connections')"
        )
        self.state["max_connections"], self.state["reserved"] = (int(v) for v in row.split("|"))

    def describe(self) -> str:
        assert isinstance(self.params, ConnectionExhaustionParams)
        n = self.params.connections or "every free"
        return f"hold {n} of postgres's {self.state.get('max_connections', '?')} connections from a noisy client"

    def inject(self) -> None:
        assert isinstance(self.params, ConnectionExhaustionParams)
        image = image_specs(self.ctx.settings.root)["python"].ref
        env = {"DSN": _dsn(self), "WANT": str(self.params.connections)}
        datastore.start_client(self.ctx, self.target, image, ["/opt/venv/bin/python", "-c", _NOISY_POOL], env)
        self._wait_until_full(timeout=20)
        if self.params.terminate_idle:
            mine = _app_name(self.ctx.fault_id)
            datastore.psql(
                self.target,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                f"AND state = 'idle' AND usename = 'lab' AND application_name <> '{mine}'",
            )
            self._wait_until_full(timeout=5)

    def _wait_until_full(self, *, timeout: float) -> None:
        """Until the noisy client holds what it was asked to, or every ordinary slot is taken."""
        assert isinstance(self.params, ConnectionExhaustionParams)
        slots = int(self.state["max_connections"]) - int(self.state["reserved"])
        app = _app_name(self.ctx.fault_id)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = datastore.psql(self.target, _HELD.format(app=app))
            held, clients = (int(v) for v in row.split("|"))
            if held >= (self.params.connections or slots) or (not self.params.connections and clients >= slots):
                return
            time.sleep(0.2)

    def revert(self) -> None:
        _end_sessions(self)


class LockContentionParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    products: int = Field(100, ge=1, le=5000, description="lock the stock rows of products 1..N (the hot ones)")


@register
class PgLockContention(Fault):
    name = "pg-lock-contention"
    family = "data"
    summary = "A long transaction holds the stock rows of the hot products FOR UPDATE; reservations queue behind it."
    effect = "checkouts of those products wait on the row locks and time out (5xx, slow); pg_locks shows the waiters"
    Params = LockContentionParams

    def prepare(self) -> None:
        datastore.require(self.target, self.name, "postgres")

    def describe(self) -> str:
        assert isinstance(self.params, LockContentionParams)
        return f"hold the stock rows of products 1..{self.params.products} FOR UPDATE in a long transaction"

    def inject(self) -> None:
        assert isinstance(self.params, LockContentionParams)
        sql = (
            "BEGIN; SELECT count(*) FROM (SELECT 1 FROM stock WHERE product_id <= "
            f"{self.params.products} ORDER BY product_id FOR UPDATE) locked; SELECT pg_sleep({_HOLD_S});"
        )
        argv = ["psql", _dsn(self), "-v", "ON_ERROR_STOP=1", "-c", sql]
        datastore.start_client(self.ctx, self.target, self.ctx.base_image, argv, {})
        deadline = time.monotonic() + 20
        while _sessions(self, "AND wait_event = 'PgSleep'") == 0:  # asleep = the locks are held
            if time.monotonic() > deadline:
                raise LabError("the lock-holding transaction did not start within 20s")
            time.sleep(0.2)

    def revert(self) -> None:
        _end_sessions(self)


def recreate_sql(indexdef: str) -> str:
    """pg_indexes.indexdef made idempotent: 'CREATE [UNIQUE] INDEX name ON ...' -> '... IF NOT EXISTS ...'."""
    for head in ("CREATE UNIQUE INDEX ", "CREATE INDEX "):
        if indexdef.startswith(head) and not indexdef.startswith(f"{head}IF NOT EXISTS "):
            return f"{head}IF NOT EXISTS {indexdef[len(head) :]}"
    if "IF NOT EXISTS" in indexdef:
        return indexdef
    raise LabError(f"unexpected index definition: {indexdef!r}")


class DropIndexParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    index: str = Field(
        "products_search_idx",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="the index to drop (default: the one product search needs)",
    )


@register
class PgDropIndex(Fault):
    name = "pg-drop-index"
    family = "data"
    summary = "Drop the index a hot query needs (its exact DDL is recorded first); revert recreates it."
    effect = "the hot query's plan turns to a Seq Scan (EXPLAIN), pg_stat_user_tables.seq_scan climbs, it slows down"
    Params = DropIndexParams

    def prepare(self) -> None:
        assert isinstance(self.params, DropIndexParams)
        datastore.require(self.target, self.name, "postgres")
        name = self.params.index
        row = datastore.psql(
            self.target,
            "SELECT i.indexdef, i.tablename, EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = "
            "format('%I.%I', i.schemaname, i.indexname)::regclass AND c.contype IN ('p', 'u', 'x')) "
            f"FROM pg_indexes i WHERE i.schemaname = 'public' AND i.indexname = '{name}'",
        )
        if not row:
            known = datastore.psql(self.target, _DROPPABLE)
            raise LabError(f"fault pg-drop-index: param 'index': no index {name!r} (indexes: {known})")
        indexdef, table, constraint = row.split("|")
        if constraint == "t":
            raise LabError(f"fault pg-drop-index: param 'index': {name} backs a constraint (key or unique); refusing")
        self.state |= {"indexdef": indexdef, "table": table}

    def describe(self) -> str:
        assert isinstance(self.params, DropIndexParams)
        table, ddl = self.state.get("table", "?"), self.state.get("indexdef")
        return f"drop index {self.params.index} on {table} (revert: {ddl})"

    def inject(self) -> None:
        assert isinstance(self.params, DropIndexParams)
        datastore.psql(self.target, f"SET lock_timeout = '10s'; DROP INDEX IF EXISTS public.{self.params.index}")

    def revert(self) -> None:
        c = container(self.target)
        if c is None:
            return  # Postgres's container is gone; its data volume keeps no half-state to fix
        c.reload()
        if c.status != "running":
            raise LabError("postgres is not running: the index will be recreated when it is (retry revert)")
        datastore.psql(self.target, recreate_sql(self.state["indexdef"]))
