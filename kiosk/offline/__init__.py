"""Durable encrypted outbox and its sync worker. Never imports Textual."""
