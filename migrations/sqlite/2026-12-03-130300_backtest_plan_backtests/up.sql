-- Plan backtests: who ran which proposed plan text (by SHA-256) over which days, and how
-- many alerts it would have raised against how many the plan in force raised; the audit
-- trail holds the same facts. Nothing else is written by a backtest.
CREATE TABLE plan_backtests (
    id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    plan_sha256 TEXT NOT NULL,
    from_day TEXT NOT NULL,
    to_day TEXT NOT NULL,
    would_alerts BIGINT NOT NULL,
    in_force_alerts BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX plan_backtests_model ON plan_backtests (model, plan_sha256);
