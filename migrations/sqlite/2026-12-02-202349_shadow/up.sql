-- Shadow evaluation: each model version's ONNX artefact (a blob) with its inference spec and
-- role, and the reviewed-case archive (de-identified volume and reference mask as blobs).
CREATE TABLE model_artifacts (
    model_id TEXT PRIMARY KEY,
    onnx_sha256 TEXT NOT NULL,
    spec TEXT NOT NULL,
    role TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TIMESTAMP NOT NULL,
    role_changed_at TIMESTAMP NOT NULL
);
CREATE TABLE archive_cases (
    case_ref TEXT PRIMARY KEY,
    stratum TEXT NOT NULL,
    metadata TEXT NOT NULL,
    image_sha256 TEXT NOT NULL,
    mask_sha256 TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX archive_cases_stratum ON archive_cases (stratum);
