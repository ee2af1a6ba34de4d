-- Vigilance: the device register, the model versions each device ran, serious-incident cases,
-- their clock history and their immutable reports (MIR XML with its SHA-256).

CREATE TABLE devices (
    basic_udi_di TEXT PRIMARY KEY,
    udi_dis TEXT NOT NULL,
    trade_name TEXT NOT NULL,
    mdr_class TEXT NOT NULL,
    emdn_code TEXT NOT NULL,
    intended_purpose TEXT NOT NULL,
    notified_body TEXT,
    certificate TEXT,
    first_available TEXT NOT NULL,
    manufacturer TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE device_software (
    model_id TEXT PRIMARY KEY REFERENCES models (id),
    basic_udi_di TEXT NOT NULL REFERENCES devices (basic_udi_di),
    from_day TEXT NOT NULL,
    until_day TEXT
);
CREATE INDEX device_software_device ON device_software (basic_udi_di);

CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    alert_id TEXT,
    model_id TEXT NOT NULL REFERENCES models (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    awareness_day TEXT NOT NULL,
    site_ids TEXT NOT NULL,
    countries TEXT NOT NULL,
    reporting_country TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX incidents_alert ON incidents (alert_id);

CREATE TABLE incident_clock_events (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    seq BIGINT NOT NULL,
    at TIMESTAMP NOT NULL,
    kind TEXT NOT NULL,
    seriousness TEXT,
    awareness_day TEXT NOT NULL,
    due_day TEXT,
    reason TEXT NOT NULL,
    by_actor TEXT NOT NULL,
    PRIMARY KEY (incident_id, seq)
);

CREATE TABLE incident_reports (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    seq BIGINT NOT NULL,
    stage TEXT NOT NULL,
    imdrf_release TEXT NOT NULL,
    fields TEXT NOT NULL,
    xml TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    submission TEXT,
    PRIMARY KEY (incident_id, seq)
);
