-- A fan-out writes one NotificationSent per user, a million at a time; they
-- are the bulk of the log and of its writes. Each index costs every one of
-- those inserts, and a replay of NotificationSent reads nearly every row
-- anyway, so the type index leaves them out. Reads by any other type keep
-- it: the store adds the predicate "type <> 'NotificationSent'" to them.
DROP INDEX events_type_log_order;
CREATE INDEX events_type_log_order ON events (type, transaction_id, position)
    WHERE type <> 'NotificationSent';
