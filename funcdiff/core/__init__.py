"""The core: abstract values, dtypes, the IR, primitives, interpreters and tracing."""
