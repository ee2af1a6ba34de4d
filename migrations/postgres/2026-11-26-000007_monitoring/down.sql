DROP INDEX reviews_model_time;
DROP TABLE monitor_state;
DROP TABLE findings;
DROP TABLE evaluations;
DROP TABLE baselines;
