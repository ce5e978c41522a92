"""The central platform: request signing, the typed client, and the reference server.

The terminal talks to the platform only through `kiosk.platform.client.PlatformClient`;
`kiosk.platform.embedded.EmbeddedPlatform` runs the reference server in-process for the
built-in mode and the tests. The API is described by openapi.yaml next to this file.
"""
