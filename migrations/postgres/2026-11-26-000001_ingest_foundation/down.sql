-- Reverse of up.sql, children before parents.
DROP TABLE audit_log;
DROP TABLE reviews;
DROP TABLE events;
DROP TABLE models;
DROP TABLE users;
DROP TABLE sites;
