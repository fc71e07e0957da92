"""Backend adapters. ``registry`` chooses one by provider name; each module is one provider."""
