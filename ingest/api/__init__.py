"""The mobile check-in API (/api/v1): routes and their small shared helpers."""
