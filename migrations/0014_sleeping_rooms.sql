-- Sleeping rooms and the match timeline (issue 16).

-- Who may read an event: NULL is everybody, otherwise only these players (an event about
-- one player's hidden information). The log endpoint filters by it.
ALTER TABLE match_events ADD COLUMN audience uuid[];

-- Everybody who held a seat in a match, written with the durable snapshots of a sleeping
-- room: who may read a finished match's log.
CREATE TABLE match_players (
    room    bigint NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    player  uuid NOT NULL,
    PRIMARY KEY (room, player)
);
CREATE INDEX match_players_player ON match_players (player);

-- Whose decision each live sleeping match waits on now ("which of my matches are waiting
-- on me"), replaced in the same transaction as the durable snapshot that decides it.
CREATE TABLE match_waiting (
    room    bigint NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    player  uuid NOT NULL,
    since   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room, player)
);
CREATE INDEX match_waiting_player ON match_waiting (player);
