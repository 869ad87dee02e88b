"""State machines for every lifecycle, and the engine that applies triggers to them."""
