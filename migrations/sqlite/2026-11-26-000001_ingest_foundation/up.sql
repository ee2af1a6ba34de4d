-- Ingest foundation: sites, users, models, inference events, reviews and the audit chain.
-- Portable subset: ids as TEXT, timestamps as UTC TIMESTAMP, JSON as TEXT.
CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    country TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    key_rotated_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE models (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    feature_schema TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (name, version)
);

CREATE TABLE events (
    event_id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites (id),
    model_id TEXT NOT NULL REFERENCES models (id),
    occurred_at TIMESTAMP NOT NULL,
    occurred_day TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    case_ref TEXT NOT NULL,
    modality TEXT NOT NULL,
    scanner_manufacturer TEXT NOT NULL,
    scanner_model TEXT NOT NULL,
    slice_thickness_mm DOUBLE PRECISION NOT NULL,
    pixel_spacing_mm DOUBLE PRECISION NOT NULL,
    kvp DOUBLE PRECISION,
    field_strength_t DOUBLE PRECISION,
    contrast BOOLEAN,
    age_band TEXT,
    sex TEXT,
    input_features TEXT NOT NULL,
    output_status TEXT NOT NULL,
    latency_ms DOUBLE PRECISION NOT NULL,
    output_features TEXT NOT NULL,
    content_hash TEXT NOT NULL
);
CREATE INDEX events_site_model_day ON events (site_id, model_id, occurred_day);
CREATE INDEX events_model_time ON events (model_id, occurred_at);
CREATE INDEX events_case_ref ON events (case_ref);

CREATE TABLE reviews (
    review_id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events (event_id),
    site_id TEXT NOT NULL REFERENCES sites (id),
    model_id TEXT NOT NULL REFERENCES models (id),
    reviewed_at TIMESTAMP NOT NULL,
    reviewed_day TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    outcome TEXT NOT NULL,
    severity TEXT NOT NULL,
    metrics TEXT,
    content_hash TEXT NOT NULL
);
CREATE INDEX reviews_event ON reviews (event_id);
CREATE INDEX reviews_site_model_day ON reviews (site_id, model_id, reviewed_day);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
