"""Spec-driven code generator for the kisapi bindings (``python -m codegen``)."""
