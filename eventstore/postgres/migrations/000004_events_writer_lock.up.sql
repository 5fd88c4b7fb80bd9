-- Readers take the events below a horizon that waits only for the open
-- transactions that write this log, not for every transaction of the
-- server (ADR 0013). A writer is known by a shared advisory lock of
-- transaction scope, key (class "EVLW", this table's oid), which it must
-- hold before it has a transaction id: this trigger takes it first thing in
-- every insert, and refuses an insert whose transaction got its id earlier
-- without it (it wrote elsewhere first), for a reader could not know it.
CREATE FUNCTION events_writer_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_current_xact_id_if_assigned() IS NOT NULL AND NOT EXISTS (
        SELECT FROM pg_locks
        WHERE pid = pg_backend_pid() AND locktype = 'advisory'
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid = 1163283543 AND objid = TG_RELID AND objsubid = 2
    ) THEN
        RAISE EXCEPTION 'an append to % must be the first write of its transaction (ADR 0013)', TG_TABLE_NAME
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    PERFORM pg_advisory_xact_lock_shared(1163283543, TG_RELID::integer);
    RETURN NULL;
END
$$;

CREATE TRIGGER events_writer_lock BEFORE INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_writer_lock();
