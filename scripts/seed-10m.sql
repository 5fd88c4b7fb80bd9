-- seed-10m.sql writes the 10,000,000-event log of BENCHMARKS.md section 4
-- straight into the events table of a migrated schema: 1,000,000
-- UserRegistered, 1,000,000 UserLocationUpdated and 8,000,000
-- NotificationSent (one a user a day over eight days, one promo a day).
-- Some 2 to 12 minutes on the project's machine (11.5 min while tests ran). Usage:
--
--   URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
--   psql "$URL" -c 'create schema seed10m'
--   FLASHPROMO_DATABASE_URL="$URL&search_path=seed10m" flashpromo migrate
--   psql "$URL" -v schema=seed10m -v ON_ERROR_STOP=1 -f scripts/seed-10m.sql
--
-- Each INSERT is one transaction, so the log order is the order written here.
-- The data are the JSON the service writes (API.md's data, and the
-- notification's id, title, body and sent_at).

SET search_path TO :"schema";

-- Users registered over the 29 days before 2026-11-20, spread over a metro
-- area of about 50×50 km around Mexico City.
INSERT INTO events (id, stream_id, version, type, occurred_at, data)
SELECT 'reg-' || i, 'user-user-' || lpad(i::text, 7, '0'), 1, 'UserRegistered', t,
       json_build_object('user_id', 'user-' || lpad(i::text, 7, '0'),
                         'registered_at', to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
FROM generate_series(1, 1000000) AS i,
     LATERAL (SELECT timestamptz '2026-10-22 00:00:00+00' + (i % 2505600) * interval '1 second' AS t) AS w;

INSERT INTO events (id, stream_id, version, type, occurred_at, data)
SELECT 'loc-' || i, 'user-user-' || lpad(i::text, 7, '0'), 2, 'UserLocationUpdated', timestamptz '2026-11-19 00:00:00+00',
       json_build_object('user_id', 'user-' || lpad(i::text, 7, '0'),
                         'location', json_build_object('lat', round((19.4326 + (random() * 2 - 1) * 0.2248)::numeric, 6),
                                                       'lng', round((-99.1332 + (random() * 2 - 1) * 0.2383)::numeric, 6)))
FROM generate_series(1, 1000000) AS i;

-- Eight days, one promo a day, every user notified once a day (ids are
-- uuids, as the service's are). One statement a day.
DO $$
DECLARE
    d int;
    day date;
BEGIN
    FOR d IN 0..7 LOOP
        day := date '2026-11-20' + d;
        INSERT INTO events (id, stream_id, version, type, occurred_at, data)
        SELECT n.id, 'notification-' || day || '-user-' || lpad(i::text, 7, '0'), 1, 'NotificationSent', n.sent_at,
               json_build_object('id', n.id, 'user_id', 'user-' || lpad(i::text, 7, '0'),
                                 'promo_id', 'promo-day-' || d, 'day', day::text,
                                 'title', 'Flash Promo: Audífonos XYZ at TechShop ' || d,
                                 'body', '499.00 MXN instead of 999.00 MXN, until 19:00',
                                 'sent_at', to_char(n.sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
        FROM generate_series(1, 1000000) AS i,
             LATERAL (SELECT gen_random_uuid()::text AS id,
                             (day + time '17:00' + (i % 60000) * interval '1 millisecond') AT TIME ZONE 'UTC' AS sent_at) AS n;
        COMMIT;
    END LOOP;
END $$;

-- Set the hint bits and the visibility map now, or the first reader pays for it.
VACUUM ANALYZE events;
