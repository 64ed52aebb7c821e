-- The event log. Payload and metadata are kept as the exact text that was hashed (json
-- or jsonb would reformat it); `payload::jsonb` makes them queryable.
CREATE TABLE events (
    position       BIGINT  PRIMARY KEY,
    stream         TEXT    NOT NULL,
    version        BIGINT  NOT NULL,
    event_id       UUID    NOT NULL UNIQUE,
    event_type     TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    payload        TEXT    NOT NULL,
    metadata       TEXT    NOT NULL,
    recorded_at    TEXT    NOT NULL,
    hash           BYTEA   NOT NULL,
    UNIQUE (stream, version)
);

-- Each stream's version and last hash-chain link.
CREATE TABLE streams (
    stream  TEXT   PRIMARY KEY,
    version BIGINT NOT NULL,
    hash    BYTEA  NOT NULL
);

-- Idempotency records: what the first append of a command id wrote.
CREATE TABLE commands (
    command_id     UUID   PRIMARY KEY,
    stream         TEXT   NOT NULL,
    first_version  BIGINT NOT NULL,
    last_version   BIGINT NOT NULL,
    first_position BIGINT NOT NULL,
    last_position  BIGINT NOT NULL
);

-- The newest position and commit time. Every append transaction takes this row's lock
-- (UPDATE) just before it inserts its events and holds it until it commits, so positions are
-- handed out in commit order and readers always see a gap-free prefix of the log.
CREATE TABLE es_head (
    id          BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    position    BIGINT  NOT NULL,
    recorded_at TEXT    NOT NULL
);
INSERT INTO es_head (id, position, recorded_at) VALUES (TRUE, 0, '');
