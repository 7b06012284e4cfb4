"""Signed certificates of erasure: payload, signature, PDF, offline verification.

Never imports ``wipe_station`` or ``drivers``.
"""
