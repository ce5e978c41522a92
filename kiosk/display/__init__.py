"""The kiosk's physical display: terminal font size for 长辈模式 (no Textual here)."""
