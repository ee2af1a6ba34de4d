-- Readiness: /readyz writes this one row, so a read-only database or a full disk makes the
-- service not ready instead of failing every write with 500.
CREATE TABLE readiness_probe (
    id INTEGER PRIMARY KEY,
    probed_at TIMESTAMP NOT NULL
);
