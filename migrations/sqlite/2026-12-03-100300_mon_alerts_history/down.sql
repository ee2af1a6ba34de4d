DROP TABLE alert_history;
