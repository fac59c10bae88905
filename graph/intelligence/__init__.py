"""Relationship intelligence services: they read the graph through ``GraphStore``, run the pure
algorithms of ``graph.analytics`` and shape answers with their evidence for the API.

People are keyed ``"Contact:<id>"`` / ``"Rep:<id>"`` inside these computations.
"""
