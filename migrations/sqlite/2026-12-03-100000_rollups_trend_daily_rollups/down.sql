DROP TABLE daily_rollups;
