-- Matchmaking, private rooms, moderation and the leaderboard (issue 4).
--
-- Rooms made by the matchmaker are pre-created in a per-mode pool (status 'pooled') so
-- that the Redis placement step can hand out a real room id atomically; a pooled room
-- becomes 'lobby' when its first owner writes a snapshot.

ALTER TABLE rooms
    ADD COLUMN private     boolean NOT NULL DEFAULT false,
    ADD COLUMN invite_code text UNIQUE,
    ADD COLUMN creator     uuid,
    ADD COLUMN matchmade   boolean NOT NULL DEFAULT false;

CREATE INDEX rooms_status ON rooms (status);

-- Players removed from a room by its creator; they may not join it again.
CREATE TABLE room_bans (
    room        bigint NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    player      uuid NOT NULL,
    banned_by   uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room, player)
);

-- Skill rating used by the matchmaker (1000 when a player has no row).
CREATE TABLE player_ratings (
    player      uuid PRIMARY KEY,
    rating      integer NOT NULL DEFAULT 1000,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX match_results_player ON match_results (player);

-- The truth behind the leaderboard: every finished match's results, summed per player.
-- The Redis sorted set (score = total score) is rebuilt from this view.
CREATE VIEW player_stats AS
    SELECT player,
           count(*)::bigint                             AS games,
           count(*) FILTER (WHERE rank = 1)::bigint     AS wins,
           coalesce(sum(kills), 0)::bigint              AS kills,
           coalesce(sum(score), 0)::bigint              AS score
    FROM match_results
    GROUP BY player;
