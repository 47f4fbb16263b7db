-- PostgreSQL's form of migrations/0005_avatars.sql: players' drawn avatars as a
-- game's album shows them, one row per player who had one during the game.

CREATE TABLE game_avatars (
    game_id BIGINT NOT NULL REFERENCES games(id) ON DELETE CASCADE,
    player_public_id TEXT COLLATE "C" NOT NULL,
    avatar TEXT NOT NULL,
    PRIMARY KEY (game_id, player_public_id)
);
