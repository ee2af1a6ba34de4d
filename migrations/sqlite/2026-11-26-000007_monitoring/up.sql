-- Monitoring: frozen baselines per model version, evaluation jobs (a queue with a lease, so
-- one evaluator runs at a time across replicas), their findings, and the monitor's carried
-- state (charts and last window verdicts) per model version.
CREATE TABLE baselines (
    id TEXT PRIMARY KEY,
    model_id TEXT NOT NULL REFERENCES models (id),
    source TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    body TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX baselines_model ON baselines (model_id, created_at);

CREATE TABLE evaluations (
    id TEXT PRIMARY KEY,
    model_name TEXT NOT NULL,
    trigger_kind TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    as_of TEXT NOT NULL,
    status TEXT NOT NULL,
    runner TEXT,
    lease_until TIMESTAMP,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    summary TEXT,
    error TEXT
);
CREATE INDEX evaluations_status ON evaluations (status, requested_at);

CREATE TABLE findings (
    evaluation_id TEXT NOT NULL REFERENCES evaluations (id),
    seq BIGINT NOT NULL,
    model_id TEXT NOT NULL,
    plan_version BIGINT NOT NULL,
    baseline_id TEXT NOT NULL,
    stratum TEXT NOT NULL,
    window_kind TEXT NOT NULL,
    window_start TEXT NOT NULL,
    window_end TEXT NOT NULL,
    rule TEXT NOT NULL,
    method TEXT NOT NULL,
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    statistic DOUBLE PRECISION,
    p_value DOUBLE PRECISION,
    q_value DOUBLE PRECISION,
    estimate DOUBLE PRECISION,
    ci_low DOUBLE PRECISION,
    ci_high DOUBLE PRECISION,
    limit_value DOUBLE PRECISION,
    fingerprint TEXT NOT NULL,
    note TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (evaluation_id, seq)
);
CREATE INDEX findings_stream ON findings (model_id, rule, stratum, window_end);

CREATE TABLE monitor_state (
    model_id TEXT PRIMARY KEY REFERENCES models (id),
    through_day TEXT NOT NULL,
    baseline_id TEXT NOT NULL,
    plan_version BIGINT NOT NULL,
    state TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE INDEX reviews_model_time ON reviews (model_id, reviewed_at);
