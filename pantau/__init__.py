"""Pantau's shell, the top floor: the `pantau` command line, its commands and the demo."""
