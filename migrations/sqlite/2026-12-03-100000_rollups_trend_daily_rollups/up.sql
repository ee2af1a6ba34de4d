-- Daily rollups per (model version, UTC day, site): one row per measure and value, kept up to
-- date in the ingest transaction (storage/diesel/rollups.rs), so counts, exposure and reports
-- never scan raw events. measure: events, studies (distinct case_ref), age_band, sex,
-- output_status, latency_ms (n, sum, sum of squares), reviews, review_outcome,
-- review_severity, metric:<name> (value = label; n, sum, sum of squares of the site's metric).
-- Events count on their occurred_day, reviews on their reviewed_day.
CREATE TABLE daily_rollups (
    model_id TEXT NOT NULL,
    day TEXT NOT NULL,
    site_id TEXT NOT NULL,
    measure TEXT NOT NULL,
    value TEXT NOT NULL,
    n BIGINT NOT NULL,
    total DOUBLE PRECISION NOT NULL,
    total_sq DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (model_id, day, site_id, measure, value)
);
CREATE INDEX daily_rollups_site_day ON daily_rollups (site_id, day);

-- Backfill from the stored events and reviews: the same statement as `vigil rollups rebuild`.
INSERT INTO daily_rollups (model_id, day, site_id, measure, value, n, total, total_sq)
SELECT model_id, occurred_day, site_id, 'events', '', COUNT(*),
       CAST(0 AS DOUBLE PRECISION), CAST(0 AS DOUBLE PRECISION)
FROM events GROUP BY model_id, occurred_day, site_id
UNION ALL
SELECT model_id, occurred_day, site_id, 'studies', '', COUNT(DISTINCT case_ref),
       CAST(0 AS DOUBLE PRECISION), CAST(0 AS DOUBLE PRECISION)
FROM events GROUP BY model_id, occurred_day, site_id
UNION ALL
SELECT model_id, occurred_day, site_id, 'age_band', COALESCE(age_band, 'unknown'), COUNT(*),
       CAST(0 AS DOUBLE PRECISION), CAST(0 AS DOUBLE PRECISION)
FROM events GROUP BY model_id, occurred_day, site_id, COALESCE(age_band, 'unknown')
UNION ALL
SELECT model_id, occurred_day, site_id, 'sex', COALESCE(sex, 'unknown'), COUNT(*),
       CAST(0 AS DOUBLE PRECISION), CAST(0 AS DOUBLE PRECISION)
FROM events GROUP BY model_id, occurred_day, site_id, COALESCE(sex, 'unknown')
UNION ALL
SELECT model_id, occurred_day, site_id, 'output_status', output_status, COUNT(*),
       CAST(0 AS DOUBLE PRECISION), CAST(0 AS DOUBLE PRECISION)
FROM events GROUP BY model_id, occurred_day, site_id, output_status
UNION ALL
SELECT model_id, occurred_day, site_id, 'latency_ms', '', COUNT(*),
       SUM(latency_ms), SUM(latency_ms * latency_ms)
FROM events GROUP BY model_id, occurred_day, site_id
UNION ALL
SELECT model_id, reviewed_day, site_id, 'reviews', '', COUNT(*),
       CAST(0 AS DOUBLE PRECISION), CAST(0 AS DOUBLE PRECISION)
FROM reviews GROUP BY model_id, reviewed_day, site_id
UNION ALL
SELECT model_id, reviewed_day, site_id, 'review_outcome', outcome, COUNT(*),
       CAST(0 AS DOUBLE PRECISION), CAST(0 AS DOUBLE PRECISION)
FROM reviews GROUP BY model_id, reviewed_day, site_id, outcome
UNION ALL
SELECT model_id, reviewed_day, site_id, 'review_severity', severity, COUNT(*),
       CAST(0 AS DOUBLE PRECISION), CAST(0 AS DOUBLE PRECISION)
FROM reviews GROUP BY model_id, reviewed_day, site_id, severity
UNION ALL
SELECT r.model_id, r.reviewed_day, r.site_id, 'metric:' || k.key, l.key, COUNT(*),
       SUM(k.value), SUM(k.value * k.value)
FROM reviews r, json_each(r.metrics) AS l, json_each(l.value) AS k
WHERE r.metrics IS NOT NULL AND l.type = 'object' AND k.type IN ('integer', 'real')
GROUP BY r.model_id, r.reviewed_day, r.site_id, k.key, l.key;
