-- The schema ARCO's miband-dc (peewee) creates, column for column (docs/compatibility.md §1.4).
-- Every statement is idempotent so an existing miband-dc database passes through unchanged.
CREATE TABLE IF NOT EXISTS mibandrecord (
    id SERIAL PRIMARY KEY,
    mac VARCHAR(255) NOT NULL,
    last_activity_ts TIMESTAMP WITH TIME ZONE,
    last_battery_ts TIMESTAMP WITH TIME ZONE,
    last_heart_rate_ts TIMESTAMP WITH TIME ZONE,
    last_steps_ts TIMESTAMP WITH TIME ZONE,
    last_time_check_ts TIMESTAMP WITH TIME ZONE,
    ts_drift INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS mibandrecord_mac ON mibandrecord (mac);

CREATE TABLE IF NOT EXISTS mibandstaticinfo (
    id SERIAL PRIMARY KEY,
    dev_id INTEGER NOT NULL REFERENCES mibandrecord (id),
    name VARCHAR(255),
    sw_version VARCHAR(255),
    hw_version VARCHAR(255),
    serial_number VARCHAR(255),
    appearance VARCHAR(255),
    system_id VARCHAR(255),
    pnp_id VARCHAR(255),
    pcon_params VARCHAR(255)
);
CREATE INDEX IF NOT EXISTS mibandstaticinfo_dev_id ON mibandstaticinfo (dev_id);

CREATE TABLE IF NOT EXISTS activityrecord (
    id SERIAL PRIMARY KEY,
    dev_id INTEGER NOT NULL REFERENCES mibandrecord (id),
    ts TIMESTAMP WITH TIME ZONE NOT NULL,
    category SMALLINT NOT NULL,
    intensity SMALLINT NOT NULL,
    steps SMALLINT NOT NULL,
    heart_rate SMALLINT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS activityrecord_dev_id_ts ON activityrecord (dev_id, ts);

CREATE TABLE IF NOT EXISTS batteryinforecord (
    id SERIAL PRIMARY KEY,
    dev_id INTEGER NOT NULL REFERENCES mibandrecord (id),
    ts TIMESTAMP WITH TIME ZONE NOT NULL,
    level SMALLINT NOT NULL,
    status SMALLINT NOT NULL
);
CREATE INDEX IF NOT EXISTS batteryinforecord_dev_id ON batteryinforecord (dev_id);

CREATE TABLE IF NOT EXISTS steprecord (
    id SERIAL PRIMARY KEY,
    dev_id INTEGER NOT NULL REFERENCES mibandrecord (id),
    ts TIMESTAMP WITH TIME ZONE NOT NULL,
    steps INTEGER NOT NULL,
    meters INTEGER NOT NULL,
    calories INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS steprecord_dev_id ON steprecord (dev_id);

CREATE TABLE IF NOT EXISTS heartraterecord (
    id SERIAL PRIMARY KEY,
    dev_id INTEGER NOT NULL REFERENCES mibandrecord (id),
    ts TIMESTAMP WITH TIME ZONE NOT NULL,
    bpm SMALLINT NOT NULL
);
CREATE INDEX IF NOT EXISTS heartraterecord_dev_id ON heartraterecord (dev_id);
