DROP TABLE snapshot_parts;
DROP TABLE snapshots;
