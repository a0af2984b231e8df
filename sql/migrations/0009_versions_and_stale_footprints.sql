-- Issue 4, point 4: every accepted upload is a dataset version with a validity period,
-- and footprints of open periods that a newer version would change are listed as stale.

-- The validity an upload asked for, given to its dataset version when it is accepted.
-- Days, both inclusive; valid_to NULL = open-ended. Existing uploads keep NULL (always).
ALTER TABLE upload
    ADD COLUMN valid_from date,
    ADD COLUMN valid_to   date,
    ADD CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from);

-- Stale footprints: derived, never stored, so every way a version is loaded (upload API,
-- CLI, demo) is covered the moment it commits. For the latest succeeded run of each site
-- and period (every period is open: there is no closing yet), each kind's version in
-- force on the period's first day is found with the rule calculate uses
-- (pcf.adapters.postgres.datasets.current_versions: validity covers the day, the later
-- upload wins). A footprint is stale for a kind when that version is not the one its run
-- pinned and its file differs (a byte-identical file re-uploaded changes nothing).
CREATE VIEW stale_footprint AS
WITH latest_run AS (
    SELECT DISTINCT ON (site_id, period_label)
           id, site_id, period_label, dataset_versions,
           to_date(period_label, 'YYYY-MM') AS first_day  -- periods are calendar months
    FROM calculation_run
    WHERE status = 'succeeded'
    ORDER BY site_id, period_label, id DESC
),
superseded AS (
    SELECT r.id AS run_id, r.first_day, k.kind,
           pinned.id AS pinned_id, pinned.version AS pinned_version,
           now_in_force.id AS in_force_id, now_in_force.version AS in_force_version,
           now_in_force.valid_from AS in_force_valid_from,
           now_in_force.valid_to AS in_force_valid_to
    FROM latest_run r
    CROSS JOIN (SELECT DISTINCT kind FROM dataset_version) k
    CROSS JOIN LATERAL (
        SELECT v.id, v.version, v.sha256, v.valid_from, v.valid_to
        FROM dataset_version v
        WHERE v.kind = k.kind
          AND (v.valid_from IS NULL OR v.valid_from <= r.first_day)
          AND (v.valid_to IS NULL OR v.valid_to >= r.first_day)
        ORDER BY v.version DESC
        LIMIT 1
    ) now_in_force
    LEFT JOIN dataset_version pinned ON pinned.id = (r.dataset_versions ->> k.kind)::bigint
    WHERE pinned.id IS DISTINCT FROM now_in_force.id
      AND (pinned.sha256 IS NULL OR pinned.sha256 <> now_in_force.sha256)
)
SELECT f.id AS footprint_id, f.item_id, f.site_id, f.period_label, s.run_id, s.kind,
       s.pinned_id AS pinned_version_id, s.pinned_version,
       s.in_force_id AS superseding_version_id, s.in_force_version AS superseding_version,
       s.in_force_valid_from AS superseding_valid_from,
       s.in_force_valid_to AS superseding_valid_to,
       s.first_day AS as_of
FROM superseded s
JOIN footprint f ON f.run_id = s.run_id;
