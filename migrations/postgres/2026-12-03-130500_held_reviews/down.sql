DROP TABLE held_review_drops;
DROP TABLE held_reviews;
