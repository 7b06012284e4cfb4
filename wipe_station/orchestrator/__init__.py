"""The engine under the station: one job per attached phone, every state change recorded first."""
