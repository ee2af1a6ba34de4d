ALTER TABLE devices DROP COLUMN retire_reason;
ALTER TABLE devices DROP COLUMN retired_on;
