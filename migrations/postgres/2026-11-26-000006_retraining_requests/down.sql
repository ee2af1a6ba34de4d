DROP TABLE retraining_requests;
