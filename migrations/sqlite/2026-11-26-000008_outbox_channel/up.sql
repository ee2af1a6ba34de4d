-- Outbox messages go by e-mail or to the alert webhook (a JSON POST signed with HMAC).
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'email';
