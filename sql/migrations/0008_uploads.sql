-- Uploads of static files through the API (pcf.usecases.uploads). An upload is created
-- awaiting its file; when the file lands it is validated and becomes either accepted
-- (loaded as dataset_version_id, in the same transaction) or rejected (the file moved to
-- quarantine, its errors in upload_error). The file's object key comes from the upload
-- id; file_name is the user's name for it, metadata only.

CREATE TABLE upload (
    id                 uuid        PRIMARY KEY,
    kind               text        NOT NULL CHECK (kind IN (
                           'items', 'bom', 'emission_factors', 'factor_mapping',
                           'supplier_footprints', 'technology_factors', 'grid_mixes', 'sites',
                           'machines', 'meters', 'production_counts')),
    file_name          text        NOT NULL,
    file_type          text        NOT NULL CHECK (file_type IN ('csv', 'xlsx')),
    size_bytes         bigint      NOT NULL CHECK (size_bytes > 0),
    sha256             char(64)    NOT NULL,
    object_key         text        NOT NULL UNIQUE,
    status             text        NOT NULL DEFAULT 'awaiting_file'
                           CHECK (status IN ('awaiting_file', 'accepted', 'rejected')),
    created_by         text        NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz,
    dataset_version_id bigint      UNIQUE REFERENCES dataset_version (id),
    CHECK ((status = 'accepted') = (dataset_version_id IS NOT NULL)),
    CHECK ((status = 'awaiting_file') = (finished_at IS NULL))
);

-- Why a rejected file was rejected, in the order the validator reported it. row is the
-- spreadsheet row (header = 1); row_number and column_name are NULL for file-wide problems.
CREATE TABLE upload_error (
    upload_id   uuid    NOT NULL REFERENCES upload (id),
    position    integer NOT NULL CHECK (position >= 1),
    file        text    NOT NULL,
    row_number  bigint,
    column_name text,
    value       text,
    reason      text    NOT NULL,
    PRIMARY KEY (upload_id, position)
);
