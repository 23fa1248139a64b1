"""The JSON API for patient apps, doctor apps and integrations (``/api/v1/``), and outgoing webhooks.

An entry point like the web views: it parses requests, calls the same services, selectors and
access getters, and shapes the answers. See ``api`` for the wiring and README "JSON API".
"""
