-- Console sign-in sessions. The cookie carries a random session id; only its SHA-256 is
-- stored, so a copy of the database cannot be replayed as a cookie. Each session has its own
-- CSRF token (every console form posts it back) and an absolute expiry; logging out deletes
-- the row.
CREATE TABLE console_sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
