-- Findings say which days of their window actually hold data (a rolling window at the start
-- of monitoring covers fewer days than its nominal length); rows written before stay NULL.
-- Indexes for the keyset paging of the read API (findings, alerts, jobs).
ALTER TABLE findings ADD COLUMN window_from TEXT;
ALTER TABLE findings ADD COLUMN window_to TEXT;
ALTER TABLE findings ADD COLUMN days_with_data BIGINT;
CREATE INDEX findings_page ON findings (window_end, evaluation_id, seq);
CREATE INDEX alerts_page ON alerts (opened_at, id);
CREATE INDEX jobs_page ON jobs (created_at, id);
