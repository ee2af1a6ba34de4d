-- Retraining requests of the ML team: criteria, the resolved manifest of reviewed cases,
-- delivery to the training pipeline, and its status callbacks. Kept as provenance so a later
-- model version can name the cases it was trained on.
CREATE TABLE retraining_requests (
    id TEXT PRIMARY KEY,
    model_name TEXT NOT NULL,
    criteria TEXT NOT NULL,
    manifest TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    case_count BIGINT NOT NULL,
    status TEXT NOT NULL,
    status_detail TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX retraining_requests_model ON retraining_requests (model_name, created_at);
