"""Validation of netsim against published results."""
