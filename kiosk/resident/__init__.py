"""The resident's journey, headless: who the resident is, which steps a service takes, where
they are, and every action a step takes. Screens are thin views over this package; nothing
here imports Textual (tests/test_import_boundary.py and the import-linter contracts prove it).
"""
