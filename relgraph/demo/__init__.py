"""The demo tenant: the real Maven CRM data set plus generated people, org charts and a year of
interactions around its deals (deterministic seed), so every feature has something true to show."""
