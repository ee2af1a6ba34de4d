INSERT INTO daily_rollups (model_id, day, site_id, measure, value, n, total, total_sq)
SELECT model_id, occurred_day, site_id, 'events', '', COUNT(*),
       CAST(0 AS DOUBLE PRECISION), CAST(0 AS DOUBLE PRECISION)
FROM events WHERE occurred_day BETWEEN $1 AND $2
GROUP BY model_id, occurred_day, site_id
UNION ALL
SELECT model_id, occurred_day, site_id, 'studies', '', COUNT(DISTINCT case_ref),
       CAST(0 AS DOUBLE PRECISION), CAST(0 AS DOUBLE PRECISION)
FROM events WHERE occurred_day BETWEEN $1 AND $2
GROUP BY model_id, occurred_day, site_id
UNION ALL
SELECT model_id, occurred_day, site_id, 'age_band', COALESCE(age_band, 'unknown'), COUNT(*),
       CAST(0 AS DOUBLE PRECISION), CAST(0 AS DOUBLE PRECISION)
FROM events WHERE occurred_day BETWEEN $1 AND $2
GROUP BY model_id, occurred_day, site_id, COALESCE(age_band, 'unknown')
UNION ALL
SELECT model_id, occurred_day, site_id, 'sex', COALESCE(sex, 'unknown'), COUNT(*),
       CAST(0 AS DOUBLE PRECISION), CAST(0 AS DOUBLE PRECISION)
FROM events WHERE occurred_day BETWEEN $1 AND $2
GROUP BY model_id, occurred_day, site_id, COALESCE(sex, 'unknown')
UNION ALL
SELECT model_id, occurred_day, site_id, 'output_status', output_status, COUNT(*),
       CAST(0 AS DOUBLE PRECISION), CAST(0 AS DOUBLE PRECISION)
FROM events WHERE occurred_day BETWEEN $1 AND $2
GROUP BY model_id, occurred_day, site_id, output_status
UNION ALL
SELECT model_id, occurred_day, site_id, 'latency_ms', '', COUNT(*),
       SUM(latency_ms), SUM(latency_ms * latency_ms)
FROM events WHERE occurred_day BETWEEN $1 AND $2
GROUP BY model_id, occurred_day, site_id
UNION ALL
SELECT model_id, reviewed_day, site_id, 'reviews', '', COUNT(*),
       CAST(0 AS DOUBLE PRECISION), CAST(0 AS DOUBLE PRECISION)
FROM reviews WHERE reviewed_day BETWEEN $1 AND $2
GROUP BY model_id, reviewed_day, site_id
UNION ALL
SELECT model_id, reviewed_day, site_id, 'review_outcome', outcome, COUNT(*),
       CAST(0 AS DOUBLE PRECISION), CAST(0 AS DOUBLE PRECISION)
FROM reviews WHERE reviewed_day BETWEEN $1 AND $2
GROUP BY model_id, reviewed_day, site_id, outcome
UNION ALL
SELECT model_id, reviewed_day, site_id, 'review_severity', severity, COUNT(*),
       CAST(0 AS DOUBLE PRECISION), CAST(0 AS DOUBLE PRECISION)
FROM reviews WHERE reviewed_day BETWEEN $1 AND $2
GROUP BY model_id, reviewed_day, site_id, severity
UNION ALL
SELECT r.model_id, r.reviewed_day, r.site_id, 'metric:' || k.key, l.key, COUNT(*),
       SUM(CAST(k.value #>> '{}' AS DOUBLE PRECISION)),
       SUM(CAST(k.value #>> '{}' AS DOUBLE PRECISION) * CAST(k.value #>> '{}' AS DOUBLE PRECISION))
FROM reviews r
CROSS JOIN LATERAL jsonb_each(CAST(r.metrics AS JSONB)) AS l
CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(l.value) = 'object' THEN l.value ELSE '{}'::jsonb END) AS k
WHERE r.reviewed_day BETWEEN $1 AND $2 AND r.metrics IS NOT NULL
  AND jsonb_typeof(k.value) = 'number'
GROUP BY r.model_id, r.reviewed_day, r.site_id, k.key, l.key;
