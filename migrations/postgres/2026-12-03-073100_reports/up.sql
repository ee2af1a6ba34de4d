-- MDR documents (PSUR, PMS report, trend report): one row per generated report with the
-- SHA-256 keys of its PDF and JSON blobs (immutable), its data fingerprint, key figures for
-- the next report's comparison, and the approval; and the narrative drafts people enter per
-- device, kind and period.

CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    basic_udi_di TEXT NOT NULL REFERENCES devices (basic_udi_di),
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    version BIGINT NOT NULL,
    reference TEXT NOT NULL,
    data_fingerprint TEXT NOT NULL,
    pdf_sha256 TEXT NOT NULL,
    json_sha256 TEXT NOT NULL,
    figures TEXT NOT NULL,
    missing_narratives TEXT NOT NULL,
    generated_by TEXT NOT NULL,
    generated_at TIMESTAMP NOT NULL,
    approved_by TEXT,
    approved_at TIMESTAMP,
    approved_pdf_sha256 TEXT,
    approved_json_sha256 TEXT
);
CREATE INDEX reports_device_kind ON reports (basic_udi_di, kind, period_from);

CREATE TABLE report_narratives (
    basic_udi_di TEXT NOT NULL REFERENCES devices (basic_udi_di),
    kind TEXT NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    field TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (basic_udi_di, kind, period_from, period_to, field)
);
