"""VCR contract tests: one recorded cassette per REST API, replayed through the generated SDK.

``recording`` holds what recording and replay share (paths, vcrpy config, call arguments),
``record`` records (``make record``), ``test_cassettes`` replays, ``test_secret_scan`` checks
that no secret reached a cassette.
"""
