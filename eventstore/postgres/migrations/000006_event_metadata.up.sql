-- Who asked for each event (actor, role, request id), as the service
-- encodes it. NULL for events stored before there was any.
ALTER TABLE events ADD COLUMN metadata json;
