-- Orrery's durable state. PostgreSQL is the source of truth for ownership epochs
-- (fencing tokens), durable snapshots, match events and results.

CREATE TABLE players (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rooms (
    id           bigserial PRIMARY KEY,
    mode         text NOT NULL,
    region       text NOT NULL DEFAULT 'any',
    status       text NOT NULL DEFAULT 'lobby',
    -- Fencing token: incremented at every claim; every owner write names it.
    epoch        bigint NOT NULL DEFAULT 0,
    owner        text,
    settings     jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    closed_at    timestamptz
);

-- The newest durable snapshot of each room (one row, replaced under the epoch fence).
CREATE TABLE room_snapshots (
    room        bigint PRIMARY KEY REFERENCES rooms(id) ON DELETE CASCADE,
    epoch       bigint NOT NULL,
    tick        bigint NOT NULL,
    state       bytea NOT NULL,
    written_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE match_events (
    room        bigint NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    seq         bigint NOT NULL,
    tick        bigint NOT NULL,
    epoch       bigint NOT NULL,
    kind        text NOT NULL,
    player      uuid,
    payload     jsonb NOT NULL,
    PRIMARY KEY (room, seq)
);

CREATE TABLE match_results (
    room        bigint NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    player      uuid NOT NULL,
    rank        integer NOT NULL,
    score       bigint NOT NULL,
    kills       integer NOT NULL,
    PRIMARY KEY (room, player)
);
