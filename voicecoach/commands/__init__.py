"""What a person can ask for: command names, hassil intents, typed lines."""
