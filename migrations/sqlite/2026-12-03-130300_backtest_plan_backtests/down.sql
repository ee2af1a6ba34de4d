DROP TABLE plan_backtests;
