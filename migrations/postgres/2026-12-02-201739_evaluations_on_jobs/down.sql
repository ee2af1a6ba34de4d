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
    payload::JSON ->> 'trigger', requested_by, created_at, payload::JSON ->> 'as_of',
    CASE state WHEN 'succeeded' THEN 'done' WHEN 'cancelled' THEN 'failed' ELSE state END,
    lease_owner, lease_until, started_at, finished_at, result, error
FROM jobs WHERE kind = 'evaluation';

ALTER TABLE findings DROP CONSTRAINT findings_evaluation_id_fkey;
ALTER TABLE findings ADD CONSTRAINT findings_evaluation_id_fkey
    FOREIGN KEY (evaluation_id) REFERENCES evaluations (id);

DELETE FROM jobs WHERE kind = 'evaluation';
