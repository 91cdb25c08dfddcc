"""Point-of-sale transactions sent by a store's POS system (feeds the conversion rate)."""
