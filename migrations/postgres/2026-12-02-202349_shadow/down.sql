DROP TABLE archive_cases;
DROP TABLE model_artifacts;
