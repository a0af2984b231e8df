-- Telemetry windows partitioned by month of window_start (UTC months), so a month's
-- windows are read, archived or detached together and old months leave no bloat behind.
-- Partitions are created on demand by pcf_ensure_telemetry_partition(), which the
-- telemetry store calls for the months of each write before inserting.

ALTER TABLE telemetry_window RENAME TO telemetry_window_unpartitioned;
ALTER TABLE telemetry_window_unpartitioned
    RENAME CONSTRAINT telemetry_window_pkey TO telemetry_window_unpartitioned_pkey;
ALTER INDEX telemetry_window_site_start RENAME TO telemetry_window_unpartitioned_site_start;

CREATE TABLE telemetry_window (
    site_id          text        NOT NULL,
    machine_id       text,
    meter_id         text        NOT NULL,
    quantity         text        NOT NULL
                     CHECK (quantity IN ('electricity', 'natural_gas', 'production_count')),
    item_id          text,
    window_start     timestamptz NOT NULL,
    window_end       timestamptz NOT NULL,
    -- Exact decimal: period totals are exact sums of these.
    value            numeric     NOT NULL CHECK (value >= 0),
    unit             text        NOT NULL CHECK (unit IN ('kWh', 'm3', 'piece', 'kg', 'm2', 'm')),
    revision         integer     NOT NULL CHECK (revision >= 0),
    samples_received integer     NOT NULL CHECK (samples_received >= 0),
    samples_dropped  integer     NOT NULL CHECK (samples_dropped >= 0),
    ingested_at      timestamptz NOT NULL DEFAULT now(),
    -- the partition key is part of the key, as PostgreSQL requires
    PRIMARY KEY (meter_id, window_start),
    CHECK (window_end > window_start),
    CHECK (samples_dropped <= samples_received)
) PARTITION BY RANGE (window_start);

CREATE INDEX telemetry_window_site_start ON telemetry_window (site_id, window_start);

-- The partition holding the UTC month of `instant`, created if missing. Two sessions may
-- race to create the same partition: the loser waits for the winner's commit, gets
-- duplicate_table, and uses the winner's partition.
CREATE FUNCTION pcf_ensure_telemetry_partition(instant timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    month_start timestamptz := date_trunc('month', instant AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    partition_name text := 'telemetry_window_'
        || to_char(month_start AT TIME ZONE 'UTC', 'YYYY"m"MM');
BEGIN
    IF to_regclass(partition_name) IS NULL THEN
        BEGIN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF telemetry_window FOR VALUES FROM (%L) TO (%L)',
                partition_name, month_start, month_start + interval '1 month'
            );
        EXCEPTION WHEN duplicate_table THEN
            NULL;
        END;
    END IF;
    RETURN partition_name;
END
$$;

-- move what the unpartitioned table held
SELECT pcf_ensure_telemetry_partition(month)
FROM (SELECT DISTINCT date_trunc('month', window_start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
      AS month FROM telemetry_window_unpartitioned) AS months;
INSERT INTO telemetry_window SELECT * FROM telemetry_window_unpartitioned;
DROP TABLE telemetry_window_unpartitioned;
