package postgres

// writerLockClass is the first key of the advisory lock that marks the
// writers of the log (migration 000004); the second is the events table's
// oid. 0x45564c57, "EVLW": apart from lockClass, whose exclusive
// per-stream locks must never meet it.
const writerLockClass = "1163283543"

// horizon is the transaction id below which every row of the log is
// settled for the statement's snapshot S (ADR 0013): the smallest id S
// sees as running, less those of transactions that pg_locks shows running
// without the writer lock; else S's xmax. A writer holds that lock from
// before it has an id until after its id's lock is gone, and pg_locks is
// read after S is taken, in one consistent look at the lock table, so a
// writer running in S is never dropped: a long transaction elsewhere
// (another schema, another database) holds back no reader.
//
// pg_locks appears once, so that both locks of a transaction come from
// the same look (hence the window function), and they are grouped by pid:
// a committing backend clears its virtualtransaction before it releases
// its locks, so one look could show the two under different ones.
const horizon = `(SELECT coalesce(min(x), pg_snapshot_xmax(pg_current_snapshot()))
	FROM pg_snapshot_xip(pg_current_snapshot()) AS x
	WHERE x::xid NOT IN (
		SELECT l.transactionid FROM (
			SELECT locktype, mode, granted, transactionid,
				bool_or(locktype = 'advisory'
					AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
					AND classid = ` + writerLockClass + ` AND objid = 'events'::regclass AND objsubid = 2)
					OVER (PARTITION BY pid) AS writes
			FROM pg_locks) AS l
		WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted AND NOT l.writes))`
