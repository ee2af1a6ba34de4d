DROP TABLE trend_reports;
