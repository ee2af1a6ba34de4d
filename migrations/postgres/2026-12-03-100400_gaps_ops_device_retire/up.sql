-- A device can be retired (taken off the market): the day and why. Edits and retirement are
-- audited; a retired device keeps its history and incidents.
ALTER TABLE devices ADD COLUMN retired_on TEXT;
ALTER TABLE devices ADD COLUMN retire_reason TEXT;
