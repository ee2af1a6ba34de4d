-- Day indexes for `vigil rollups rebuild --from/--to/--days-per-step`: each step deletes the
-- rollup rows of its days and recomputes them from the events and reviews of those days only,
-- so every statement reads a range of one of these indexes instead of a whole table (on
-- PostgreSQL a whole-table rebuild over 73 M events spilled its sorts until the disk was full).
CREATE INDEX events_occurred_day ON events (occurred_day);
CREATE INDEX reviews_reviewed_day ON reviews (reviewed_day);
CREATE INDEX daily_rollups_day ON daily_rollups (day);
