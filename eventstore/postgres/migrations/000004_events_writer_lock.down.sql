DROP TRIGGER events_writer_lock ON events;
DROP FUNCTION events_writer_lock();
