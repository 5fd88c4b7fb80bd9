-- The event log. position is taken at insert but seen at commit, so readers
-- follow (transaction_id, position) below the oldest open transaction.
-- data is json, not jsonb: the store keeps the bytes it was given.
CREATE TABLE events (
    position       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    id             text NOT NULL,
    stream_id      text NOT NULL,
    version        bigint NOT NULL,
    type           text NOT NULL,
    occurred_at    timestamptz NOT NULL,
    data           json NOT NULL,
    CONSTRAINT events_id_unique UNIQUE (id),
    CONSTRAINT events_stream_version_unique UNIQUE (stream_id, version)
);

-- Log order, for subscribers and replays.
CREATE INDEX events_log_order ON events (transaction_id, position);
-- Replays of one event type, in log order.
CREATE INDEX events_type_log_order ON events (type, transaction_id, position);

CREATE TABLE checkpoints (
    name           text PRIMARY KEY,
    transaction_id xid8 NOT NULL,
    position       bigint NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
