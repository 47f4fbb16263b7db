-- PostgreSQL's form of migrations/0003_albums.sql: a player may hide their own
-- drawings from a finished game's album (each row hides every drawing of one
-- player in one game). A host's deletion of an album removes the game's rows
-- themselves, so it needs no column.

CREATE TABLE album_hidden (
    game_id BIGINT NOT NULL REFERENCES games(id) ON DELETE CASCADE,
    player_public_id TEXT COLLATE "C" NOT NULL,
    hidden_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (game_id, player_public_id)
);
CREATE INDEX idx_games_room_finished ON games(room_id, finished_at);
