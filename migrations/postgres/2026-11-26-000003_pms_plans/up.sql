-- PMS plans: one row per version, never updated in place; the newest version is in force.
CREATE TABLE pms_plans (
    model_name TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (model_name, version)
);
