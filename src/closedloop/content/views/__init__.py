"""Content pages, one module per area: library, sharing, personas, calendar, reports."""
