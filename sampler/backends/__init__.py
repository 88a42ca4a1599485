"""Generation backends behind one Protocol (base.py)."""
