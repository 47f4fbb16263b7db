"""Smoke tests for a running drawgame server (see smoke/run.py)."""
