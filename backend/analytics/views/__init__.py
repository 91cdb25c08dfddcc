"""One module per owner analytics view; each computes its answer from a resolved `StoreContext`."""
