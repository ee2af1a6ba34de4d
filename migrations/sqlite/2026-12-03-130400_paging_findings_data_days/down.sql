DROP INDEX jobs_page;
DROP INDEX alerts_page;
DROP INDEX findings_page;
ALTER TABLE findings DROP COLUMN days_with_data;
ALTER TABLE findings DROP COLUMN window_to;
ALTER TABLE findings DROP COLUMN window_from;
