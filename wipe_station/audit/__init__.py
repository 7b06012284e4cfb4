"""The tamper-evident audit log: a hash chain per station with signed checkpoints."""
