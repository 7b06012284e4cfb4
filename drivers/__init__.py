"""Everything that talks to a phone: USB discovery, Android, iOS and the emulated device lab.

This package never imports ``wipe_station`` or ``certificates``.
"""
