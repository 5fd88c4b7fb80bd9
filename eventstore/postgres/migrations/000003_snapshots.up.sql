-- Snapshots of read models: each model's state as of a cursor of the log,
-- so a start loads it and reads only the events after it. The bytes are
-- the model's own encoding (format says which), in parts of a few MiB: no
-- value near bytea's 1 GB limit, and a load streams them part by part.
CREATE TABLE snapshots (
    name           text PRIMARY KEY,
    format         integer NOT NULL,
    transaction_id xid8 NOT NULL,
    position       bigint NOT NULL,
    size           bigint NOT NULL,
    saved_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE snapshot_parts (
    name text NOT NULL REFERENCES snapshots (name) ON DELETE CASCADE,
    part integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (name, part)
);
-- Mostly random bytes (ids): not worth compressing.
ALTER TABLE snapshot_parts ALTER COLUMN data SET STORAGE EXTERNAL;
