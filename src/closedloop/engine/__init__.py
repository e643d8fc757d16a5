"""closedloop's analytics engine: funnels, attribution and KPIs over Arrow tables (no Django)."""
