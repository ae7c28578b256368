"""Benchmarks of flask-oauth2login; run ``python bench/run.py``."""
