-- Evaluations move onto the generic job queue: each evaluation becomes a job of kind
-- 'evaluation' (payload: model, as_of, trigger; result: the summary), findings point at the
-- job, and the evaluation-specific table goes. SQLite cannot alter a foreign key, so the
-- findings table is rebuilt.
INSERT INTO jobs (id, kind, subject, payload, state, progress_done, progress_total,
    progress_message, requested_by, created_at, started_at, finished_at, attempts, max_attempts,
    next_attempt_at, lease_owner, lease_until, checkpoint, result, result_blob, error,
    cancel_requested)
SELECT id, 'evaluation', model_name,
    json_object('model', model_name, 'as_of', as_of, 'trigger', trigger_kind),
    CASE status WHEN 'done' THEN 'succeeded' ELSE status END, 0, 0, NULL, requested_by,
    requested_at, started_at, finished_at, CASE status WHEN 'queued' THEN 0 ELSE 1 END, 1,
    requested_at, runner, lease_until, NULL, summary, NULL, error, FALSE
FROM evaluations;

CREATE TABLE findings_new (
    evaluation_id TEXT NOT NULL REFERENCES jobs (id),
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
INSERT INTO findings_new SELECT * FROM findings;
DROP TABLE findings;
ALTER TABLE findings_new RENAME TO findings;
CREATE INDEX findings_stream ON findings (model_id, rule, stratum, window_end);

DROP TABLE evaluations;
