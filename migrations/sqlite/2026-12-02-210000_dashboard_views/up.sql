-- Views the Grafana dashboards read (documented in README's Operations section), and the
-- index behind the per-site last-contact metric. Portable SQL: the same text on SQLite.
CREATE INDEX events_site_received ON events (site_id, received_at);

-- Mean Dice per model version, label, stratum and window, with its 95% interval.
CREATE VIEW vigil_quality_series AS
SELECT m.name AS model, m.version AS version, substr(f.rule, 11) AS label,
       f.stratum AS stratum, f.window_kind AS window_kind, f.window_start AS window_start,
       f.window_end AS window_end, f.n AS n, f.estimate AS estimate, f.ci_low AS ci_low,
       f.ci_high AS ci_high, f.limit_value AS limit_value, f.status AS status,
       f.plan_version AS plan_version
FROM findings f JOIN models m ON m.id = f.model_id
WHERE f.rule LIKE 'mean_dice:%';

-- Drift tests per model version, feature, stratum and window (the heat-map's cells).
CREATE VIEW vigil_drift_cells AS
SELECT m.name AS model, m.version AS version, substr(f.rule, 7) AS feature,
       f.stratum AS stratum, f.window_kind AS window_kind, f.window_start AS window_start,
       f.window_end AS window_end, f.n AS n, f.method AS method, f.statistic AS statistic,
       f.p_value AS p_value, f.q_value AS q_value, f.status AS status
FROM findings f JOIN models m ON m.id = f.model_id
WHERE f.rule LIKE 'drift:%';

-- Alerts with their lifecycle times (no free text beyond the generated title).
CREATE VIEW vigil_alert_timeline AS
SELECT id, model_name AS model, rule, stratum, severity, state, title, opened_at,
       updated_at, closed_at, awareness_at
FROM alerts;

-- Events and reviews per site, model version and UTC day.
CREATE VIEW vigil_site_daily AS
SELECT e.site_id AS site, m.name AS model, m.version AS version, e.occurred_day AS day,
       COUNT(*) AS events,
       SUM(CASE WHEN e.output_status = 'ok' THEN 0 ELSE 1 END) AS failed_inferences
FROM events e JOIN models m ON m.id = e.model_id
GROUP BY e.site_id, m.name, m.version, e.occurred_day;
