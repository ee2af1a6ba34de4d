-- What opened an alert and every later evaluation that touched it, appended in order and never
-- rewritten: the alert row keeps the opening title and summary, and each refresh, raised
-- severity and automatic resolution adds a row here with its own evidence (JSON object).
CREATE TABLE alert_history (
    alert_id TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    at TIMESTAMP NOT NULL,
    event TEXT NOT NULL,
    severity TEXT NOT NULL,
    summary TEXT NOT NULL,
    evidence TEXT,
    PRIMARY KEY (alert_id, seq)
);
