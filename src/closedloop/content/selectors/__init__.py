"""Content and persona reads; one module per job."""
