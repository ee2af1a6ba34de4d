ALTER TABLE reviews DROP COLUMN server_metrics;
