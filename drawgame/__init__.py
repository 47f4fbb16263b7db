"""drawgame: a self-hosted multiplayer drawing-and-guessing game."""

__version__ = "0.1.0"
