-- Metrics the server computed from uploaded masks (JSON array, one object per label).
ALTER TABLE reviews ADD COLUMN server_metrics TEXT;
