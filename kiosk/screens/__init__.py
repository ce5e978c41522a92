"""Textual screens, one per step of a resident's journey, plus the staff and technician ones."""
