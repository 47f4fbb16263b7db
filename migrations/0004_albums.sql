-- Albums people keep: a player may hide their own drawings from a finished
-- game's album (each row hides every drawing of one player in one game; the
-- album then answers those drawings as blank). A host's deletion of an album
-- removes the game's rows themselves, so it needs no column.

CREATE TABLE album_hidden (
    game_id INTEGER NOT NULL REFERENCES games(id) ON DELETE CASCADE,
    player_public_id TEXT NOT NULL,
    hidden_at TEXT NOT NULL,
    PRIMARY KEY (game_id, player_public_id)
);
CREATE INDEX idx_games_room_finished ON games(room_id, finished_at);
