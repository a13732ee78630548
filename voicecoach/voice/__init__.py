"""The coach's voice: the Speaker interface, pyttsx3 speech, espeak-ng rendering."""
