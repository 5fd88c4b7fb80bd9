ALTER TABLE events DROP COLUMN metadata;
