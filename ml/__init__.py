"""Graph ML on the tenant graph: deal-win prediction with reasons, and who-knows-whom link prediction.

- ``snapshot``: the tenant graph read into DataFrames (paged through ``GraphStore.read`` by uid)
- ``timeutil``: dates and timestamps as float days since 1970-01-01 (one clock for every table)
- ``features``: point-in-time deal features for many deals from a snapshot (the batch path)
- ``local``: the same features for a few deals from targeted queries (the API path)
- ``hetero``: the snapshot as a PyG ``HeteroData`` for the GNN
- ``links``: the person graph, temporal hold-out, hard negatives and baselines for link prediction
- ``models/``: one model per file (``deal_win_gbdt``, ``deal_win_gnn``, ``link_pred``)
- ``metrics``: AUC, PR-AUC, ECE, Hits@K and the probability calibrators (no scikit-learn here)
- ``reasons``: per-deal reasons in plain words from LightGBM contributions
- ``registry``: versioned models on disk (``<data_dir>/models/<tenant>/<kind>/<version>``)
- ``train``, ``scoring``, ``suggest``, ``evaluate``: the services behind the CLI and the API
- ``seniority``: title -> seniority level (``graph.analytics.titles`` when available)

See ``ml/README.md`` for the choices made and the measured figures.
"""
