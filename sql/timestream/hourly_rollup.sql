-- Timestream for LiveAnalytics scheduled query: raw telemetry windows -> hourly per meter.
-- Placeholders {database}, {source_table} and {lookback_hours} are filled in by
-- pcf.adapters.timestream.rollup.hourly_rollup_query; @scheduled_runtime is bound by
-- Timestream at each run. Every run recomputes the last {lookback_hours} complete hours, so
-- a window arriving (or revised) up to that late is rolled up again; the rewritten hourly
-- records replace the earlier ones. Later corrections need a manual run
-- (execute_scheduled_query with that InvocationTime).
-- Identity of an hourly record: every dimension below plus the hour, so a meter whose
-- machine, quantity, item or unit changed within an hour gets one record per combination,
-- as PostgreSQL's meter_period_totals gives one total per combination.
SELECT
    site_id,
    meter_id,
    machine_id,
    quantity,
    item_id,
    unit,
    bin(time, 1h) AS hour,
    sum(value) AS value,
    count(*) AS windows_received,
    sum(window_ms) AS window_ms,
    sum(window_ms) / 1000.0 AS seconds_covered,
    max(revision) AS max_revision,
    sum(samples_received) AS samples_received,
    sum(samples_dropped) AS samples_dropped
FROM "{database}"."{source_table}"
WHERE measure_name = 'window'
    AND time >= bin(@scheduled_runtime, 1h) - {lookback_hours}h
    AND time < bin(@scheduled_runtime, 1h)
GROUP BY site_id, meter_id, machine_id, quantity, item_id, unit, bin(time, 1h)
