"""Device adapters and their protocol-level emulators. Never imports Textual."""
