"""The reference platform server (Starlette on uvicorn, SQLite or PostgreSQL)."""
