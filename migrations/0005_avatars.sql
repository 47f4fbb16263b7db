-- Players' drawn avatars as a game's album shows them: one row per player who
-- had an avatar during the game (written at its start and whenever it changed),
-- so the album page shows the faces after the room is gone. An avatar is the
-- compact JSON of its strokes (at most 512 bytes, see docs/PROTOCOL.md); a
-- player whose avatar the host hid has no row.

CREATE TABLE game_avatars (
    game_id INTEGER NOT NULL REFERENCES games(id) ON DELETE CASCADE,
    player_public_id TEXT NOT NULL,
    avatar TEXT NOT NULL,
    PRIMARY KEY (game_id, player_public_id)
);
