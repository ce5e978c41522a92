"""Long runs of scripted resident sessions (`kiosk soak`, the `soak` bench group)."""
