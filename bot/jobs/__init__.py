"""Timed passes: each runs use cases of flows/ on a timer of bot/scheduler.py."""
