"""``MultiheadAttention``: PyTorch's layer (parameter names, masks, initialization), batch-first
by default, with dropout on the attention weights driven by an explicit key."""

from __future__ import annotations

import math
from typing import Any

from .. import numpy as fnp
from ..numpy._promote import promote_dtypes
from ._checks import as_input, param_dtype, positive_int, split_key
from .activations import softmax
from .dropout import Dropout
from .init import glorot_uniform
from .linear import Linear
from .module import Module

__all__ = ["MultiheadAttention"]


def _project(x: Any, w: Any, b: Any) -> Any:
    y = fnp.matmul(x, w.T)
    return y if b is None else y + b


class MultiheadAttention(Module):
    """Multi-head scaled dot-product attention (as ``torch.nn.MultiheadAttention``).

    ``out = out_proj(concat_h(softmax(q_h k_h^T / sqrt(head_dim) + mask) v_h))`` with
    ``q, k, v`` the projections of ``query``, ``key_``, ``value`` split into ``num_heads``
    heads of ``head_dim = embed_dim // num_heads``.

    Parameters, with PyTorch's names and init: ``in_proj_weight`` ``(3E, E)`` (Xavier
    uniform) and ``in_proj_bias`` ``(3E,)`` (zeros) when ``kdim == vdim == embed_dim``,
    else separate ``q_proj_weight`` ``(E, E)``, ``k_proj_weight`` ``(E, kdim)``,
    ``v_proj_weight`` ``(E, vdim)``; ``out_proj`` a :class:`Linear` ``(E, E)`` whose bias
    starts at zero.

    **Layout**: as in PyTorch, ``batch_first=False`` is the default: batched inputs are
    ``(L, N, E)`` — sequence, batch, features — and unbatched ones ``(L, E)``. Pass
    ``batch_first=True`` for ``(N, L, E)``.

    Args:
        embed_dim: the model width ``E`` (of ``query`` and the output).
        num_heads: the number of heads; must divide ``embed_dim``.
        dropout: the dropout probability on the attention weights (training only).
        bias: learn the input and output projection biases.
        kdim: the width of ``key_`` (default ``embed_dim``).
        vdim: the width of ``value`` (default ``embed_dim``).
        batch_first: whether the batch axis comes first (default False, as PyTorch).
        key: the PRNG key for initialization (keyword-only).
        dtype: the parameters' float dtype.

    Raises:
        ValueError: if ``num_heads`` does not divide ``embed_dim``; when called, for
            inputs or masks of the wrong shape.

    Examples:
        >>> import funcdiff as fd
        >>> mha = fd.nn.MultiheadAttention(8, 2, batch_first=True, key=fd.random.key(0))
        >>> x = fd.numpy.ones((3, 5, 8))                      # (batch, sequence, features)
        >>> out, weights = mha(x, x, x)                       # self-attention
        >>> out.shape, weights.shape
        ((3, 5, 8), (3, 5, 5))
        >>> mask = fd.numpy.triu(fd.numpy.ones((5, 5), bool), k=1)   # True: may not attend
        >>> out, _ = mha(x, x, x, attn_mask=mask, need_weights=False)
        >>> drop = fd.nn.MultiheadAttention(8, 2, dropout=0.1, batch_first=True,
        ...                                   key=fd.random.key(1))
        >>> out, _ = drop(x, x, x, key=fd.random.key(2))      # training: dropout needs a key
        >>> out, _ = drop(x, x, x, inference=True)            # evaluation: no dropout
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 kdim: int | None = None, vdim: int | None = None, batch_first: bool = False, *,
                 key: Any, dtype: Any = None) -> None:
        name = "MultiheadAttention"
        self.embed_dim = positive_int(name, "embed_dim", embed_dim)
        self.num_heads = positive_int(name, "num_heads", num_heads)
        if self.embed_dim % self.num_heads:
            raise ValueError(
                f"{name}: embed_dim ({self.embed_dim}) must be divisible by num_heads "
                f"({self.num_heads})"
            )
        self.head_dim = self.embed_dim // self.num_heads
        self.kdim = self.embed_dim if kdim is None else positive_int(name, "kdim", kdim)
        self.vdim = self.embed_dim if vdim is None else positive_int(name, "vdim", vdim)
        self.dropout = Dropout(dropout).p
        self.batch_first = bool(batch_first)
        dt = param_dtype(dtype, name)
        k_in, k_q, k_k, k_v, k_out = split_key(name, key, 5)
        e = self.embed_dim
        xavier = glorot_uniform(in_axis=-1, out_axis=-2)  # PyTorch's (out, in) layout
        separate = self.kdim != e or self.vdim != e
        self.in_proj_weight = None if separate else xavier(k_in, (3 * e, e), dt)
        self.q_proj_weight = xavier(k_q, (e, e), dt) if separate else None
        self.k_proj_weight = xavier(k_k, (e, self.kdim), dt) if separate else None
        self.v_proj_weight = xavier(k_v, (e, self.vdim), dt) if separate else None
        self.in_proj_bias = fnp.zeros(3 * e, dt) if bias else None
        out_proj = Linear(e, e, bias=bias, key=k_out, dtype=dt)
        self.out_proj = out_proj.replace(bias=fnp.zeros(e, dt)) if bias else out_proj

    def _describe(self) -> str:
        return f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"

    def _weights(self) -> tuple[Any, ...]:
        e = self.embed_dim
        if self.in_proj_weight is not None:
            w = self.in_proj_weight
            wq, wk, wv = w[:e], w[e:2 * e], w[2 * e:]
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        b = self.in_proj_bias
        bq, bk, bv = (None,) * 3 if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        return wq, wk, wv, bq, bk, bv

    def _check_inputs(self, q: Any, k: Any, v: Any) -> None:
        dims = (self.embed_dim, self.kdim, self.vdim)
        ok = q.ndim in (2, 3) and q.ndim == k.ndim == v.ndim
        ok = ok and all(x.shape[-1] == d for x, d in zip((q, k, v), dims))
        ok = ok and k.shape[:-1] == v.shape[:-1] and q.shape[:-2] == k.shape[:-2]
        if not ok:
            layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
            raise ValueError(
                f"{self._describe()} expected query {layout} or (L, E) with E={dims[0]}, key_ "
                f"and value of the same batch and length with {dims[1]} and {dims[2]} "
                f"features; got query {tuple(q.shape)}, key_ {tuple(k.shape)}, value "
                f"{tuple(v.shape)}"
            )

    def _mask(self, attn_mask: Any, key_padding_mask: Any, is_causal: bool, n: int, lq: int,
              s: int, dtype: Any) -> Any:
        """One additive mask broadcastable to ``(N, H, L, S)`` (or None)."""

        def additive(m: Any) -> Any:
            m = as_input(m)
            if m.dtype == fnp.bool_:
                return fnp.where(m, fnp.array(-fnp.inf, dtype), fnp.array(0, dtype))
            return m.astype(dtype)

        total = None
        if attn_mask is None and is_causal:
            attn_mask = fnp.triu(fnp.ones((lq, s), bool), k=1)
        if attn_mask is not None:
            m = additive(attn_mask)
            if m.shape == (lq, s):
                pass
            elif m.shape == (n * self.num_heads, lq, s):
                m = m.reshape(n, self.num_heads, lq, s)
            else:
                raise ValueError(
                    f"{self._describe()}: attn_mask must have shape (L, S) = {(lq, s)} or "
                    f"(N * num_heads, L, S) = {(n * self.num_heads, lq, s)}, got "
                    f"{tuple(m.shape)}"
                )
            total = m
        if key_padding_mask is not None:
            m = additive(key_padding_mask)
            if m.shape != (n, s):
                raise ValueError(
                    f"{self._describe()}: key_padding_mask must have shape (N, S) = {(n, s)} "
                    f"(or (S,) unbatched), got {tuple(m.shape)}"
                )
            m = m.reshape(n, 1, 1, s)
            total = m if total is None else total + m
        return total

    def __call__(self, query: Any, key_: Any, value: Any, key_padding_mask: Any = None,
                 need_weights: bool = True, attn_mask: Any = None,
                 average_attn_weights: bool = True, is_causal: bool = False, *,
                 key: Any = None, inference: bool = False) -> tuple[Any, Any]:
        """Attend from ``query`` to ``key_``/``value``.

        Args:
            query: ``(L, N, E)`` or ``(L, E)`` (``(N, L, E)`` with ``batch_first=True``).
            key_: ``(N, S, kdim)`` or ``(S, kdim)``; named ``key_`` since ``key`` is the
                PRNG key here (PyTorch calls this argument ``key``).
            value: ``(N, S, vdim)`` or ``(S, vdim)``.
            key_padding_mask: ``(N, S)`` (or ``(S,)``): True (or ``-inf``) marks key
                positions to ignore, e.g. padding; a float mask is added to the scores.
            need_weights: also return the attention weights.
            attn_mask: ``(L, S)`` or ``(N * num_heads, L, S)``: True marks pairs that may
                not attend; a float mask is added to the scores.
            average_attn_weights: average the returned weights over heads.
            is_causal: without ``attn_mask``, apply the causal mask (position ``i`` attends
                to ``j <= i``).
            key: the PRNG key for dropout on the attention weights (training with
                ``dropout > 0``).
            inference: evaluation mode: no dropout.

        Returns:
            ``(out, weights)``: ``out`` like ``query`` with ``embed_dim`` features;
            ``weights`` ``(N, L, S)`` (or ``(N, num_heads, L, S)`` without averaging, no
            ``N`` when unbatched) or None without ``need_weights``. Rows whose every key is
            masked give NaN, as in PyTorch.
        """
        q, k, v = as_input(query), as_input(key_), as_input(value)
        self._check_inputs(q, k, v)
        batched = q.ndim == 3
        if not batched:
            q, k, v = q[None], k[None], v[None]
            if key_padding_mask is not None:
                key_padding_mask = as_input(key_padding_mask)[None]
        elif not self.batch_first:
            q, k, v = (fnp.swapaxes(t, 0, 1) for t in (q, k, v))
        wq, wk, wv, bq, bk, bv = self._weights()
        q, k, v, wq, wk, wv = promote_dtypes(q, k, v, wq, wk, wv, op="MultiheadAttention")
        n, lq, s, h, d = q.shape[0], q.shape[1], k.shape[1], self.num_heads, self.head_dim

        def heads(x: Any, length: int) -> Any:  # (N, len, E) -> (N, H, len, head_dim)
            return fnp.swapaxes(x.reshape(n, length, h, d), 1, 2)

        qh = heads(_project(q, wq, bq), lq)
        kh = heads(_project(k, wk, bk), s)
        vh = heads(_project(v, wv, bv), s)
        scores = fnp.matmul(qh * (1.0 / math.sqrt(d)), fnp.swapaxes(kh, -1, -2))
        mask = self._mask(attn_mask, key_padding_mask, is_causal, n, lq, s, scores.dtype)
        if mask is not None:
            scores = scores + mask
        weights = softmax(scores, axis=-1)
        if self.dropout > 0.0 and not inference:
            if key is None:
                raise ValueError(
                    f"{self._describe()} has dropout={self.dropout} and needs a PRNG key in "
                    f"training mode: call it with key=key, or pass inference=True to evaluate."
                )
            weights = Dropout(self.dropout)(weights, key=key)
        out = fnp.swapaxes(fnp.matmul(weights, vh), 1, 2).reshape(n, lq, self.embed_dim)
        out = self.out_proj(out)
        if need_weights:
            weights = fnp.mean(weights, axis=1) if average_attn_weights else weights
        else:
            weights = None
        if not batched:
            return out[0], None if weights is None else weights[0]
        if not self.batch_first:
            out = fnp.swapaxes(out, 0, 1)
        return out, weights
