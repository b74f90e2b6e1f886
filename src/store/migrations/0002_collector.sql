-- What this collector adds to miband-dc's schema. Only new nullable columns, defaults and
-- indexes: miband-dc (and dashboards written for it) keep reading and writing as before.

-- Mi Band 5 stores 8 bytes a minute; bytes 4..8 (meaning unverified, docs/protocol.md §4.2) are
-- kept raw. NULL for 4-byte samples and for every row miband-dc wrote.
ALTER TABLE activityrecord ADD COLUMN IF NOT EXISTS extra BYTEA;

-- A display name chosen by the user for the band (NULL: show "User <id>").
ALTER TABLE mibandrecord ADD COLUMN IF NOT EXISTS name VARCHAR(255);

-- miband-dc's peewee default for ts_drift was client-side only, so its DDL has none.
ALTER TABLE mibandrecord ALTER COLUMN ts_drift SET DEFAULT 0;

-- Readings are stored only if no row with the same band and timestamp exists, so a journal
-- replay after a crash between commit and checkpoint adds nothing twice. Not unique indexes:
-- an existing miband-dc database may already hold such duplicates, and they stay readable.
CREATE INDEX IF NOT EXISTS batteryinforecord_dev_id_ts ON batteryinforecord (dev_id, ts);
CREATE INDEX IF NOT EXISTS steprecord_dev_id_ts ON steprecord (dev_id, ts);
CREATE INDEX IF NOT EXISTS heartraterecord_dev_id_ts ON heartraterecord (dev_id, ts);
