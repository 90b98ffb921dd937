package store

// dialect holds what differs between the SQL databases the store runs on.
type dialect struct {
	name string
	// migrations are the schema versions 1…n, in order; never edit one
	// that has shipped, append a new one.
	migrations []string
	// skipLocked ends a claim's SELECT so that nodes skip rows another
	// node is claiming.
	skipLocked string
	// forUpdate ends a SELECT that must serialise writers on a row.
	forUpdate string
	// ingestLock runs first in every ingest transaction, so that sequence
	// order is commit order and dedup checks see every node's inserts.
	ingestLock string
	// migrateLock runs first in the migration transaction.
	migrateLock string
	// exclusive: one process owns the database, so ingest may keep its
	// dedup index in memory instead of in the table.
	exclusive bool
}

var sqliteDialect = dialect{
	name:       "sqlite",
	migrations: []string{sqliteV1, sqliteV2, onceV, deliveriesV},
	exclusive:  true,
}

var postgresDialect = dialect{
	name:        "postgres",
	migrations:  []string{postgresV1, onceV, deliveriesV},
	skipLocked:  " FOR UPDATE SKIP LOCKED",
	forUpdate:   " FOR UPDATE",
	ingestLock:  "SELECT pg_advisory_xact_lock(7244110001)",
	migrateLock: "SELECT pg_advisory_xact_lock(7244110000)",
}

// onceV adds once keys (SQLite's v3, Postgres's v2): the unique index lets
// one pending or delivered delivery hold a key, also between nodes.
const onceV = `
ALTER TABLE deliveries ADD COLUMN once_key TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX deliveries_once ON deliveries (once_key) WHERE once_key <> '' AND status IN ('pending', 'delivered');
`

// deliveriesV (SQLite's v4, Postgres's v3) records where each delivery
// goes, so that a claim can pass over destinations whose share of the
// delivery slots is taken, and counts the claims of each delivery, so that
// only the latest claim may record an attempt.
const deliveriesV = `
ALTER TABLE deliveries ADD COLUMN destination TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN claims BIGINT NOT NULL DEFAULT 0;
`

// sqliteV2 replaces the dedup index, written at a random page per event,
// with one on receipt time, written at its end: ingest keeps the dedup
// keys in memory and only loads a window's worth from the table.
const sqliteV2 = `
DROP INDEX events_dedup;
CREATE INDEX events_received ON events (received_at);
`

const sqliteV1 = `
CREATE TABLE events (
	seq           INTEGER PRIMARY KEY,
	id            TEXT    NOT NULL UNIQUE,
	source        TEXT    NOT NULL,
	event_type    TEXT    NOT NULL,
	obj_key       TEXT    NOT NULL,
	body          BLOB    NOT NULL,
	dedup_key     TEXT    NOT NULL,
	received_at   INTEGER NOT NULL,
	last_seen_at  INTEGER NOT NULL,
	not_before    INTEGER NOT NULL,
	attempts      INTEGER NOT NULL DEFAULT 0,
	status        TEXT    NOT NULL,
	reason        TEXT    NOT NULL DEFAULT '',
	lease_owner   TEXT    NOT NULL DEFAULT '',
	lease_until   INTEGER NOT NULL DEFAULT 0,
	rules_version TEXT    NOT NULL DEFAULT '',
	trace         BLOB    NOT NULL DEFAULT x'',
	processed_at  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_dedup ON events (dedup_key, received_at);
CREATE INDEX events_open ON events (seq) WHERE status IN ('pending', 'waiting_for_api');
CREATE INDEX events_key_open ON events (obj_key, seq) WHERE status IN ('pending', 'waiting_for_api') AND obj_key <> '';

CREATE TABLE deliveries (
	seq            INTEGER PRIMARY KEY,
	id             TEXT    NOT NULL UNIQUE,
	event_id       TEXT    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
	rule           TEXT    NOT NULL,
	action_index   INTEGER NOT NULL,
	kind           TEXT    NOT NULL,
	payload        BLOB    NOT NULL,
	status         TEXT    NOT NULL,
	attempts       INTEGER NOT NULL DEFAULT 0,
	max_attempts   INTEGER NOT NULL DEFAULT 0,
	backoff_ns     INTEGER NOT NULL DEFAULT 0,
	max_backoff_ns INTEGER NOT NULL DEFAULT 0,
	next_at        INTEGER NOT NULL,
	last_error     TEXT    NOT NULL DEFAULT '',
	lease_owner    TEXT    NOT NULL DEFAULT '',
	lease_until    INTEGER NOT NULL DEFAULT 0,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_at) WHERE status = 'pending';
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_status ON deliveries (status, seq);

CREATE TABLE attempts (
	seq         INTEGER PRIMARY KEY,
	delivery_id TEXT    NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
	n           INTEGER NOT NULL,
	at          INTEGER NOT NULL,
	duration_ns INTEGER NOT NULL,
	ok          INTEGER NOT NULL,
	detail      TEXT    NOT NULL
);
CREATE INDEX attempts_delivery ON attempts (delivery_id, seq);

CREATE TABLE snapshots (
	object     TEXT    NOT NULL,
	id         TEXT    NOT NULL,
	data       BLOB    NOT NULL,
	fetched_at INTEGER NOT NULL,
	prior      BLOB    NOT NULL DEFAULT x'',
	prior_at   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (object, id)
);

CREATE TABLE api_methods (
	method       TEXT    PRIMARY KEY,
	paused_until INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE api_calls (
	method TEXT    NOT NULL,
	at     INTEGER NOT NULL
);
CREATE INDEX api_calls_method ON api_calls (method, at);
`

const postgresV1 = `
CREATE TABLE events (
	seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id            TEXT   NOT NULL UNIQUE,
	source        TEXT   NOT NULL,
	event_type    TEXT   NOT NULL,
	obj_key       TEXT   NOT NULL,
	body          BYTEA  NOT NULL,
	dedup_key     TEXT   NOT NULL,
	received_at   BIGINT NOT NULL,
	last_seen_at  BIGINT NOT NULL,
	not_before    BIGINT NOT NULL,
	attempts      BIGINT NOT NULL DEFAULT 0,
	status        TEXT   NOT NULL,
	reason        TEXT   NOT NULL DEFAULT '',
	lease_owner   TEXT   NOT NULL DEFAULT '',
	lease_until   BIGINT NOT NULL DEFAULT 0,
	rules_version TEXT   NOT NULL DEFAULT '',
	trace         BYTEA  NOT NULL DEFAULT '',
	processed_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX events_dedup ON events (dedup_key, received_at);
CREATE INDEX events_open ON events (seq) WHERE status IN ('pending', 'waiting_for_api');
CREATE INDEX events_key_open ON events (obj_key, seq) WHERE status IN ('pending', 'waiting_for_api') AND obj_key <> '';

CREATE TABLE deliveries (
	seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id             TEXT   NOT NULL UNIQUE,
	event_id       TEXT   NOT NULL REFERENCES events (id) ON DELETE CASCADE,
	rule           TEXT   NOT NULL,
	action_index   BIGINT NOT NULL,
	kind           TEXT   NOT NULL,
	payload        BYTEA  NOT NULL,
	status         TEXT   NOT NULL,
	attempts       BIGINT NOT NULL DEFAULT 0,
	max_attempts   BIGINT NOT NULL DEFAULT 0,
	backoff_ns     BIGINT NOT NULL DEFAULT 0,
	max_backoff_ns BIGINT NOT NULL DEFAULT 0,
	next_at        BIGINT NOT NULL,
	last_error     TEXT   NOT NULL DEFAULT '',
	lease_owner    TEXT   NOT NULL DEFAULT '',
	lease_until    BIGINT NOT NULL DEFAULT 0,
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_at) WHERE status = 'pending';
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_status ON deliveries (status, seq);

CREATE TABLE attempts (
	seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	delivery_id TEXT   NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
	n           BIGINT NOT NULL,
	at          BIGINT NOT NULL,
	duration_ns BIGINT NOT NULL,
	ok          BIGINT NOT NULL,
	detail      TEXT   NOT NULL
);
CREATE INDEX attempts_delivery ON attempts (delivery_id, seq);

CREATE TABLE snapshots (
	object     TEXT   NOT NULL,
	id         TEXT   NOT NULL,
	data       BYTEA  NOT NULL,
	fetched_at BIGINT NOT NULL,
	prior      BYTEA  NOT NULL DEFAULT '',
	prior_at   BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (object, id)
);

CREATE TABLE api_methods (
	method       TEXT   PRIMARY KEY,
	paused_until BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE api_calls (
	method TEXT   NOT NULL,
	at     BIGINT NOT NULL
);
CREATE INDEX api_calls_method ON api_calls (method, at);
`
