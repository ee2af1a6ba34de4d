-- The durable job queue shared by every kind of long work (evaluations, shadow runs,
-- reports): claimed under a lease, retried with back-off up to max_attempts, resumable from
-- the handler's checkpoint after a takeover.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    progress_done BIGINT NOT NULL,
    progress_total BIGINT NOT NULL,
    progress_message TEXT,
    requested_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    attempts BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    checkpoint TEXT,
    result TEXT,
    result_blob TEXT,
    error TEXT,
    cancel_requested BOOLEAN NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, next_attempt_at, created_at);
CREATE INDEX jobs_kind_subject ON jobs (kind, subject, created_at);
