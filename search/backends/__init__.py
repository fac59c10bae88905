"""Search backends: ``tantivy`` (embedded, the default) and ``elasticsearch`` (production).

Import the one you use; importing this package imports neither engine's client.
"""
