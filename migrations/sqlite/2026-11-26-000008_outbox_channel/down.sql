ALTER TABLE outbox DROP COLUMN channel;
