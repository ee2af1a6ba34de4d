DROP TABLE pms_plans;
