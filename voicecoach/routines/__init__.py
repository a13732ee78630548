"""Routines as data: the model, validation of routine files, finding them by name."""
