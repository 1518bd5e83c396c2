"""Evaluation figures computed from the event log in SQL (facts, figures), suppressed for
publication (suppression, published), one row per consultation for analysts (rows). No
sentence here: bot/reports/ renders them."""
