DROP TABLE report_narratives;
DROP TABLE reports;
