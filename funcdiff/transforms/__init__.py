"""Transforms that rewrite traced programs: autodiff, vmap, jit — and their rule tables."""
