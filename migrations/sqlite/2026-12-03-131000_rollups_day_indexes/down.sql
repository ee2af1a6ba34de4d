DROP INDEX daily_rollups_day;
DROP INDEX reviews_reviewed_day;
DROP INDEX events_occurred_day;
