-- Hourly and daily rollups of telemetry windows (UTC hours and days), for dashboards and
-- the benchmarks across machines and sites. Writes only mark the (meter, hour) pairs they
-- touched as pending, which keeps ingest cheap; pcf_refresh_telemetry_rollups()
-- recomputes exactly those hours, and the days they fall in, from the raw windows, so a
-- rollup always equals the sum of the latest revisions (exact numeric sums).

CREATE TABLE telemetry_rollup_pending (
    meter_id   text        NOT NULL,
    hour_start timestamptz NOT NULL,
    PRIMARY KEY (meter_id, hour_start)
);

CREATE TABLE telemetry_hourly (
    meter_id         text        NOT NULL,
    hour_start       timestamptz NOT NULL,
    site_id          text        NOT NULL,
    machine_id       text,
    quantity         text        NOT NULL,
    item_id          text,
    unit             text        NOT NULL,
    value            numeric     NOT NULL,
    windows          integer     NOT NULL,
    seconds_covered  bigint      NOT NULL,
    samples_received bigint      NOT NULL,
    samples_dropped  bigint      NOT NULL,
    PRIMARY KEY (meter_id, hour_start)
);
CREATE INDEX telemetry_hourly_site_hour ON telemetry_hourly (site_id, hour_start);

CREATE TABLE telemetry_daily (
    meter_id         text        NOT NULL,
    day_start        timestamptz NOT NULL,
    site_id          text        NOT NULL,
    machine_id       text,
    quantity         text        NOT NULL,
    item_id          text,
    unit             text        NOT NULL,
    value            numeric     NOT NULL,
    windows          integer     NOT NULL,
    seconds_covered  bigint      NOT NULL,
    samples_received bigint      NOT NULL,
    samples_dropped  bigint      NOT NULL,
    PRIMARY KEY (meter_id, day_start)
);
CREATE INDEX telemetry_daily_site_day ON telemetry_daily (site_id, day_start);

-- A meter's site, machine, quantity, item and unit are taken as the largest value seen in
-- the hour: they do not change within an hour in practice.
CREATE FUNCTION pcf_refresh_telemetry_rollups() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    refreshed integer;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('pcf_telemetry_rollups'));
    CREATE TEMPORARY TABLE rollup_hours ON COMMIT DROP AS
        WITH taken AS (DELETE FROM telemetry_rollup_pending RETURNING meter_id, hour_start)
        SELECT meter_id, hour_start FROM taken;
    GET DIAGNOSTICS refreshed = ROW_COUNT;

    DELETE FROM telemetry_hourly AS h USING rollup_hours AS r
    WHERE h.meter_id = r.meter_id AND h.hour_start = r.hour_start;
    INSERT INTO telemetry_hourly
    SELECT r.meter_id, r.hour_start, max(w.site_id), max(w.machine_id), max(w.quantity),
           max(w.item_id), max(w.unit), sum(w.value), count(*),
           round(sum(extract(epoch FROM w.window_end - w.window_start)))::bigint,
           sum(w.samples_received), sum(w.samples_dropped)
    FROM rollup_hours AS r
    JOIN telemetry_window AS w
      ON w.meter_id = r.meter_id
     AND w.window_start >= r.hour_start AND w.window_start < r.hour_start + interval '1 hour'
    GROUP BY r.meter_id, r.hour_start;

    CREATE TEMPORARY TABLE rollup_days ON COMMIT DROP AS
        SELECT DISTINCT meter_id,
               date_trunc('day', hour_start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day_start
        FROM rollup_hours;
    DELETE FROM telemetry_daily AS d USING rollup_days AS r
    WHERE d.meter_id = r.meter_id AND d.day_start = r.day_start;
    INSERT INTO telemetry_daily
    SELECT r.meter_id, r.day_start, max(h.site_id), max(h.machine_id), max(h.quantity),
           max(h.item_id), max(h.unit), sum(h.value), sum(h.windows), sum(h.seconds_covered),
           sum(h.samples_received), sum(h.samples_dropped)
    FROM rollup_days AS r
    JOIN telemetry_hourly AS h
      ON h.meter_id = r.meter_id
     AND h.hour_start >= r.day_start AND h.hour_start < r.day_start + interval '1 day'
    GROUP BY r.meter_id, r.day_start;

    DROP TABLE rollup_hours;
    DROP TABLE rollup_days;
    RETURN refreshed;
END
$$;
