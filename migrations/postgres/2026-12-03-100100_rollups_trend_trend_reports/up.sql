-- Art. 88 trend reports drafted by the trend evaluation: one per model, event class and last
-- day of the observation period; the JSON report and the EUDAMED mtrType XML are blobs.
CREATE TABLE trend_reports (
    id TEXT PRIMARY KEY,
    model_name TEXT NOT NULL,
    class_name TEXT NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    plan_version BIGINT NOT NULL,
    alert_id TEXT,
    json_sha256 TEXT NOT NULL,
    xml_sha256 TEXT NOT NULL,
    pdf_sha256 TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (model_name, class_name, period_to)
);
