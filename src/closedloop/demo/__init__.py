"""The demo company: a deterministic, realistic B2B SaaS history that `closedloop demo` writes
into an empty database so every page has something true-looking to show (DESIGN §5)."""
