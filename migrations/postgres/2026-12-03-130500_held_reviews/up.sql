-- Reviews that arrived before their event (same site): held until the event arrives, then
-- joined as ordinary reviews in the event's transaction; expired after held_review_ttl_hours.
-- Same content as a review (nothing patient-identifying), without a model (the event names it).
CREATE TABLE held_reviews (
    review_id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    site_id TEXT NOT NULL REFERENCES sites (id),
    reviewed_at TIMESTAMP NOT NULL,
    held_at TIMESTAMP NOT NULL,
    outcome TEXT NOT NULL,
    severity TEXT NOT NULL,
    metrics TEXT,
    content_hash TEXT NOT NULL
);
CREATE INDEX held_reviews_event ON held_reviews (event_id);
CREATE INDEX held_reviews_held_at ON held_reviews (held_at);
CREATE INDEX held_reviews_site ON held_reviews (site_id);

-- Held reviews that never became reviews (expired, or refused when their event arrived),
-- kept for a while so the site can list them (GET /api/v1/ingest/held).
CREATE TABLE held_review_drops (
    review_id TEXT NOT NULL,
    held_at TIMESTAMP NOT NULL,
    event_id TEXT NOT NULL,
    site_id TEXT NOT NULL REFERENCES sites (id),
    dropped_at TIMESTAMP NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (review_id, held_at)
);
CREATE INDEX held_review_drops_site ON held_review_drops (site_id, dropped_at);
