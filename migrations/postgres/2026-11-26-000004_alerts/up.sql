-- Alerts: at most one active (open, acknowledged or escalated) per model, rule and stratum.
CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    model_name TEXT NOT NULL,
    rule TEXT NOT NULL,
    stratum TEXT NOT NULL,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    opened_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_signal_at TIMESTAMP NOT NULL,
    clear_streak BIGINT NOT NULL,
    closed_at TIMESTAMP,
    handled_by TEXT,
    note TEXT,
    awareness_at TIMESTAMP
);
CREATE INDEX alerts_key ON alerts (model_name, rule, stratum, state);
CREATE INDEX alerts_state ON alerts (state, opened_at);
