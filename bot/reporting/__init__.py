"""Reports for the inspectorate: periods, metrics, the official forms, exports and charts."""
