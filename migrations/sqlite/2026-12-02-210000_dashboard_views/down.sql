DROP VIEW vigil_site_daily;
DROP VIEW vigil_alert_timeline;
DROP VIEW vigil_drift_cells;
DROP VIEW vigil_quality_series;
DROP INDEX events_site_received;
