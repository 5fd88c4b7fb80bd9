DROP INDEX events_type_log_order;
CREATE INDEX events_type_log_order ON events (type, transaction_id, position);
