-- The latest snapshot of each stream, bound to the hash link of the event it was taken at:
-- a load uses it only while that event is in the log with that link.
CREATE TABLE snapshots (
    stream        TEXT    PRIMARY KEY,
    version       BIGINT  NOT NULL,
    position      BIGINT  NOT NULL,
    hash          BYTEA   NOT NULL,
    state_version INTEGER NOT NULL,
    state         TEXT    NOT NULL,
    taken_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
