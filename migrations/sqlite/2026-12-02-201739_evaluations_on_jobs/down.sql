-- Back to the evaluation-specific table: evaluation jobs move out of the queue again.
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
INSERT INTO evaluations (id, model_name, trigger_kind, requested_by, requested_at, as_of,
    status, runner, lease_until, started_at, finished_at, summary, error)
SELECT id, subject,
    json_extract(payload, '$.trigger'), requested_by, created_at, json_extract(payload, '$.as_of'),
    CASE state WHEN 'succeeded' THEN 'done' WHEN 'cancelled' THEN 'failed' ELSE state END,
    lease_owner, lease_until, started_at, finished_at, result, error
FROM jobs WHERE kind = 'evaluation';

CREATE TABLE findings_old (
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
INSERT INTO findings_old SELECT * FROM findings;
DROP TABLE findings;
ALTER TABLE findings_old RENAME TO findings;
CREATE INDEX findings_stream ON findings (model_id, rule, stratum, window_end);

DELETE FROM jobs WHERE kind = 'evaluation';
