"""labsvc: the small library every Incident Lab service is built from.

One module per concern (config, logging, http, metrics, db, cache, client,
faults). `db` and `cache` are imported only by services that use Postgres or
Redis, so a service such as payment-provider never loads asyncpg or redis.
"""
