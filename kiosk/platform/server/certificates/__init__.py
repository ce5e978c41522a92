"""Certificates (证明) the platform issues: A4 PDFs with the authority's seal, a PAdES
signature by the platform's demo key, and a QR code pointing at the public verification page.

authority: the demo CA and signing key, made at platform init (never downloaded).
content:   what each certificate service certifies, from the demo data.
layout:    the A4 page (reportlab): header, table, seal, watermark, QR.
issuing:   content -> signed PDF + the stored record a verification looks up.
verifying: what the verification page and its JSON endpoint answer.
"""
