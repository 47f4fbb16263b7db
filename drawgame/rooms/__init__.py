"""Rooms: one trio task tree per room, and the registry that owns them all."""
