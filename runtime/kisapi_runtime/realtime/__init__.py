"""Realtime (WebSocket) support: frame parsing, typed records, decryption, connection."""
