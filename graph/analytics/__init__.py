"""In-process graph analytics: pure functions over plain Python / numpy inputs, no database access.

- ``csr``: CSR graphs from edge arrays, id <-> index maps (the fast path's data structure)
- ``strength``: relationship strength between people from interactions (incremental)
- ``titles``: job title -> seniority level and department
- ``influence``: weighted PageRank blended with seniority, with explanations
- ``orgchart``: org chart from explicit and inferred reporting lines
- ``paths``: k best warm-introduction paths and account entry points
- ``hierarchy``: account hierarchy roll-ups and cycle checks
"""
