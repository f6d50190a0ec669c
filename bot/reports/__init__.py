"""Figures for organisers and for the meeting report: the dashboard and the participation
snapshot."""
