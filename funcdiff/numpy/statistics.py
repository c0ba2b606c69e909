"""Statistics of ``funcdiff.numpy``: ``quantile``/``percentile``/``median`` (and NaN-ignoring
twins) by sorting, ``average``, ``cov``, ``corrcoef``, ``histogram``, ``bincount``,
``digitize``, and differences (``diff``, ``ediff1d``, ``trapezoid``).

All are composed of lax operations, so they trace, differentiate and batch.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .. import lax
from ..core import dtypes
from ..core.tracing import ConcretizationTypeError, get_aval, to_host
from ._promote import asarray_op, axis1, promote_dtypes, promote_inexact, type_error, value_error
from ._promote import axes as _axes
from .reductions import any as _any
from .reductions import sum as _sum

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(name: str, a: Any, q: Any, axis: Any, method: str, keepdims: bool,
              ignore_nan: bool) -> Any:
    from .indexing import take_along_axis
    from .shapes import moveaxis
    from .ufuncs import isnan

    if method not in _METHODS:
        raise value_error(f"{name}: method must be one of {_METHODS}, got {method!r}")
    a, q = promote_inexact(a, q, op=name)
    shape = get_aval(a).shape
    axes = _axes(name, axis, len(shape), shape)
    rest = tuple(d for i, d in enumerate(shape) if i not in axes)
    n = int(np.prod([shape[i] for i in axes]))
    # The reduced axes go last and merge into one of length n.
    x = lax.reshape(moveaxis(a, axes, tuple(range(-len(axes), 0))) if axes else a, rest + (n,))
    if n == 0:
        raise value_error(f"{name}: cannot take a quantile of an empty array (shape {shape})")
    s = lax.sort(x, len(rest))  # NaNs sort last
    qs = get_aval(q).shape
    dt = get_aval(s).dtype
    nan_mask = isnan(x)
    if ignore_nan:
        count = _sum(lax.bitwise_not(nan_mask), axis=-1, keepdims=True)
        count = lax.convert_element_type(count, dt)
    else:
        count = lax.full(rest + (1,), n, dt)
    qb = lax.reshape(q, qs + (1,) * (len(rest) + 1))
    pos = lax.mul(qb, lax.sub(count, lax.full_like(count, 1)))  # shape qs + rest + (1,)
    pos = lax.max(pos, lax.full_like(pos, 0))
    full_shape = qs + rest + (n,)
    s_b = lax.broadcast_to(s, full_shape)

    def at(p: Any) -> Any:
        i = lax.convert_element_type(lax.min(p, lax.full_like(p, n - 1)), dtypes.int32)
        return take_along_axis(s_b, i, axis=-1, mode="clip")

    lo, hi = lax.floor(pos), lax.ceil(pos)
    if method == "lower":
        r = at(lo)
    elif method == "higher":
        r = at(hi)
    elif method == "nearest":
        r = at(lax.round(pos, lax.RoundingMethod.TO_NEAREST_EVEN))
    elif method == "midpoint":
        r = lax.mul(lax.add(at(lo), at(hi)), 0.5)
    else:
        vlo, vhi = at(lo), at(hi)
        r = lax.add(vlo, lax.mul(lax.sub(vhi, vlo), lax.sub(pos, lo)))
    r = lax.reshape(r, qs + rest)
    if not ignore_nan:
        bad = lax.broadcast_to(_any(nan_mask, axis=-1), qs + rest)
        r = lax.select(bad, lax.full(qs + rest, np.nan, dt), r)
    if keepdims:
        r = lax.reshape(r, qs + tuple(1 if i in axes else d for i, d in enumerate(shape)))
    return r


def quantile(a: Any, q: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
             method: str = "linear", keepdims: bool = False) -> Any:
    """The ``q``-th quantiles (``q`` in [0, 1], a scalar or an array) over ``axis``.

    The result has ``q``'s shape followed by the remaining axes; ``method`` is
    ``linear`` (default), ``lower``, ``higher``, ``midpoint`` or ``nearest``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.quantile(fnp.arange(5.0), 0.25)
        Array(1., dtype=float32)
        >>> fnp.quantile(fnp.array([[1.0, 2.0, 3.0]]), fnp.array([0.0, 0.5]), axis=1)
        Array([[1.],
               [2.]], dtype=float32)
    """
    return _quantile("quantile", a, q, axis, method, keepdims, ignore_nan=False)


def nanquantile(a: Any, q: Any, axis: Any = None, out: Any = None,
                overwrite_input: bool = False, method: str = "linear",
                keepdims: bool = False) -> Any:
    """Like :func:`quantile`, ignoring NaNs.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.nanquantile(fnp.array([1.0, fnp.nan, 3.0]), 0.5)
        Array(2., dtype=float32)
    """
    return _quantile("nanquantile", a, q, axis, method, keepdims, ignore_nan=True)


def percentile(a: Any, q: Any, axis: Any = None, out: Any = None,
               overwrite_input: bool = False, method: str = "linear",
               keepdims: bool = False) -> Any:
    """The ``q``-th percentiles (``q`` in [0, 100]) over ``axis``.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.percentile(fnp.arange(5.0), 50)
        Array(2., dtype=float32)
    """
    a, q = promote_inexact(a, q, op="percentile")
    return _quantile("percentile", a, lax.div(q, 100), axis, method, keepdims, False)


def nanpercentile(a: Any, q: Any, axis: Any = None, out: Any = None,
                  overwrite_input: bool = False, method: str = "linear",
                  keepdims: bool = False) -> Any:
    """Like :func:`percentile`, ignoring NaNs.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.nanpercentile(fnp.array([1.0, fnp.nan, 3.0]), 100)
        Array(3., dtype=float32)
    """
    a, q = promote_inexact(a, q, op="nanpercentile")
    return _quantile("nanpercentile", a, lax.div(q, 100), axis, method, keepdims, True)


def median(a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
           keepdims: bool = False) -> Any:
    """The median over ``axis`` (the mean of the two middle values for even counts).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.median(fnp.array([3.0, 1.0, 2.0, 10.0]))
        Array(2.5, dtype=float32)
    """
    return _quantile("median", a, 0.5, axis, "linear", keepdims, ignore_nan=False)


def nanmedian(a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
              keepdims: bool = False) -> Any:
    """The median over ``axis``, ignoring NaNs.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.nanmedian(fnp.array([3.0, fnp.nan, 1.0]))
        Array(2., dtype=float32)
    """
    return _quantile("nanmedian", a, 0.5, axis, "linear", keepdims, ignore_nan=True)


def average(a: Any, axis: Any = None, weights: Any = None, returned: bool = False,
            keepdims: bool = False) -> Any:
    """The (weighted) mean over ``axis``; ``returned=True`` also gives the sum of weights.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.average(fnp.array([1.0, 2.0, 4.0]), weights=fnp.array([1.0, 1.0, 2.0]))
        Array(2.75, dtype=float32)
    """
    from .reductions import mean

    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        shape = get_aval(asarray_op(a)).shape
        axes = _axes("average", axis, len(shape), shape)
        wsum = lax.full(get_aval(avg).shape, int(np.prod([shape[i] for i in axes])),
                        get_aval(avg).dtype)
    else:
        a, w = promote_inexact(a, weights, op="average")
        shape, wshape = get_aval(a).shape, get_aval(w).shape
        if wshape != shape:
            if axis is None:
                raise value_error(f"average: weights of shape {wshape} differ from the "
                                  f"array's shape {shape}; pass axis= for 1-D weights")
            ax = axis1("average", axis, len(shape), shape)
            if wshape != (shape[ax],):
                raise value_error(f"average: 1-D weights must have the length of axis {ax} "
                                  f"({shape[ax]}), got shape {wshape}")
            w = lax.reshape(w, tuple(shape[ax] if i == ax else 1 for i in range(len(shape))))
            w = lax.broadcast_to(w, shape)
        wsum = _sum(w, axis=axis, keepdims=keepdims)
        avg = lax.div(_sum(lax.mul(a, w), axis=axis, keepdims=keepdims), wsum)
    return (avg, wsum) if returned else avg


def cov(m: Any, y: Any = None, rowvar: bool = True, bias: bool = False, ddof: int | None = None,
        fweights: Any = None, aweights: Any = None) -> Any:
    """The covariance matrix of the variables in the rows of ``m`` (columns if not ``rowvar``).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.cov(fnp.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
        Array([[ 1., -1.],
               [-1.,  1.]], dtype=float32)
    """
    from .products import dot
    from .shapes import atleast_2d, concatenate

    def rows(v: Any) -> Any:
        v = atleast_2d(v)
        return lax.transpose(v, (1, 0)) if not rowvar and get_aval(v).shape[0] != 1 else v

    (x,) = promote_inexact(rows(m), op="cov")
    if y is not None:
        x = concatenate([x, rows(y)], 0)
        (x,) = promote_inexact(x)
    if get_aval(x).ndim != 2:
        raise value_error(f"cov: m must have at most 2 dimensions, got {get_aval(x).ndim}")
    n = get_aval(x).shape[1]
    ddof = (0 if bias else 1) if ddof is None else ddof
    w = None
    for wt, name in ((fweights, "fweights"), (aweights, "aweights")):
        if wt is not None:
            wt = lax.convert_element_type(asarray_op(wt), get_aval(x).dtype)
            if get_aval(wt).shape != (n,):
                raise value_error(f"cov: {name} must have shape ({n},), got "
                                  f"{get_aval(wt).shape}")
            w = wt if w is None else lax.mul(w, wt)
    if w is None:
        avg = lax.div(_sum(x, axis=1), n)
        fact = n - ddof
    else:
        v1 = _sum(w)
        avg = lax.div(_sum(lax.mul(x, w), axis=1), v1)
        if aweights is None:
            fact = lax.sub(v1, ddof)
        else:
            aw = lax.convert_element_type(asarray_op(aweights), get_aval(x).dtype)
            fact = lax.sub(v1, lax.div(lax.mul(ddof, _sum(lax.mul(w, aw))), v1))
    xc = lax.sub(x, lax.reshape(avg, (-1, 1)))
    xw = xc if w is None else lax.mul(xc, w)
    c = lax.div(dot(xw, lax.transpose(xc, (1, 0))), fact)
    return lax.reshape(c, ()) if get_aval(c).shape == (1, 1) else c


def corrcoef(x: Any, y: Any = None, rowvar: bool = True) -> Any:
    """Pearson correlation coefficients of the rows of ``x`` (columns if not ``rowvar``).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.corrcoef(fnp.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
        Array([[ 1., -1.],
               [-1.,  1.]], dtype=float32)
    """
    c = cov(x, y, rowvar)
    if get_aval(c).ndim == 0:
        return lax.div(c, c)
    d = lax.sqrt(lax.reshape(lax.index_take(c, [np.arange(get_aval(c).shape[0], dtype=np.int32),
                                                np.arange(get_aval(c).shape[0], dtype=np.int32)],
                                            (0, 1)), (-1,)))
    c = lax.div(lax.div(c, lax.reshape(d, (-1, 1))), lax.reshape(d, (1, -1)))
    return lax.max(lax.min(c, lax.full_like(c, 1)), lax.full_like(c, -1))


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> Any:
    """The ``n``-th discrete difference along ``axis`` (``not_equal`` for booleans).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.diff(fnp.array([1, 4, 9, 16]))
        Array([3, 5, 7], dtype=int32)
    """
    from .shapes import concatenate

    a = asarray_op(a, "an argument of diff")
    n = operator.index(n)
    if n < 0:
        raise value_error(f"diff: order n must be non-negative, got {n}")
    shape = get_aval(a).shape
    if not shape:
        raise value_error("diff requires an input of at least one dimension, got a 0-d array")
    ax = axis1("diff", axis, len(shape), shape)

    def edge(v: Any) -> Any:
        v = asarray_op(v)
        if get_aval(v).ndim == 0:
            v = lax.broadcast_to(v, tuple(1 if i == ax else d for i, d in enumerate(shape)))
        return v

    parts = ([edge(prepend)] if prepend is not None else []) + [a] + (
        [edge(append)] if append is not None else [])
    if len(parts) > 1:
        a = concatenate(parts, ax)
    for _ in range(n):
        m = get_aval(a).shape[ax]
        hi, lo = lax.slice_in_dim(a, 1, m, axis=ax), lax.slice_in_dim(a, 0, max(m - 1, 0), axis=ax)
        a = lax.ne(hi, lo) if get_aval(a).dtype == dtypes.bool_ else lax.sub(hi, lo)
    return a


def ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None) -> Any:
    """Differences between consecutive elements of the flattened array, with optional ends.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.ediff1d(fnp.array([1, 4, 9]), to_begin=0)
        Array([0, 3, 5], dtype=int32)
    """
    from .shapes import concatenate

    d = diff(lax.reshape(asarray_op(ary, "an argument of ediff1d"), (-1,)))
    parts = [lax.reshape(asarray_op(v), (-1,)) for v in (to_begin,) if v is not None]
    parts += [d] + [lax.reshape(asarray_op(v), (-1,)) for v in (to_end,) if v is not None]
    return concatenate(parts) if len(parts) > 1 else d


def trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Any:
    """Integral of ``y`` along ``axis`` by the trapezoidal rule (at ``x``, or spacing ``dx``).

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.trapezoid(fnp.array([1.0, 2.0, 3.0]))
        Array(4., dtype=float32)
    """
    (y,) = promote_inexact(y, op="trapezoid")
    shape = get_aval(y).shape
    ax = axis1("trapezoid", axis, len(shape), shape)
    m = shape[ax]
    mids = lax.mul(lax.add(lax.slice_in_dim(y, 1, m, axis=ax),
                           lax.slice_in_dim(y, 0, max(m - 1, 0), axis=ax)), 0.5)
    if x is None:
        widths = asarray_op(dx)
    else:
        widths = diff(x, axis=-1 if get_aval(asarray_op(x)).ndim == 1 else ax)
        if get_aval(widths).ndim == 1:
            widths = lax.reshape(widths, tuple(-1 if i == ax else 1 for i in range(len(shape))))
    mids, widths = promote_dtypes(mids, widths)
    return _sum(lax.mul(mids, widths), axis=ax)


def _concrete_max(x: Any, what: str) -> int:
    try:
        return int(to_host(x).max()) if get_aval(x).size else -1
    except ConcretizationTypeError:
        raise ConcretizationTypeError(
            f"{what}: the output length depends on the values of the input, which are not "
            "known while tracing; pass a static `length=`"
        ) from None


def bincount(x: Any, weights: Any = None, minlength: int = 0, *, length: int | None = None
             ) -> Any:
    """Counts (or summed ``weights``) of each non-negative integer value in ``x``.

    ``length`` fixes the output size (needed under ``jit``); values beyond it are dropped
    and negative values count as 0, as in JAX.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.bincount(fnp.array([0, 1, 1, 3]))
        Array([1, 2, 0, 1], dtype=int32)
    """
    x = asarray_op(x, "an argument of bincount")
    if get_aval(x).dtype.kind not in "iub" or get_aval(x).ndim != 1:
        raise type_error(f"bincount needs a 1-D array of non-negative integers, got "
                         f"{get_aval(x).str_short()}")
    if length is None:
        length = max(_concrete_max(x, "bincount") + 1, operator.index(minlength))
    x = lax.convert_element_type(x, dtypes.int32)
    x = lax.max(x, lax.full_like(x, 0))
    if weights is None:
        vals = lax.full(get_aval(x).shape, 1, dtypes.default_int())
    else:
        (vals,) = promote_dtypes(weights)
        vals = lax.broadcast_to(vals, get_aval(x).shape)
    out = lax.full((length,), 0, get_aval(vals).dtype)
    return lax.index_update(out, [x], vals, (0,), "add")


def digitize(x: Any, bins: Any, right: bool = False) -> Any:
    """Indices of the ``bins`` (monotonic, 1-D) each value of ``x`` falls in.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> fnp.digitize(fnp.array([0.5, 1.5, 3.0]), fnp.array([1.0, 2.0]))
        Array([0, 1, 2], dtype=int32)
    """
    from .sorting import searchsorted

    x, bins = promote_dtypes(x, bins, op="digitize")
    if get_aval(bins).ndim != 1:
        raise value_error(f"digitize: bins must be 1-D, got shape {get_aval(bins).shape}")
    n = get_aval(bins).shape[0]
    side = "left" if right else "right"
    if n < 2:
        return searchsorted(bins, x, side=side)
    up = searchsorted(bins, x, side=side)
    rev = lax.rev(bins, (0,))
    down = lax.sub(lax.full_like(up, n), searchsorted(rev, x, side="right" if right else "left"))
    increasing = lax.ge(lax.slice_in_dim(bins, n - 1, n), lax.slice_in_dim(bins, 0, 1))
    return lax.select(lax.broadcast_to(lax.reshape(increasing, ()), get_aval(up).shape), up,
                      down)


def histogram(a: Any, bins: Any = 10, range: Any = None, weights: Any = None,
              density: bool | None = None) -> tuple[Any, Any]:
    """Counts of ``a`` (flattened) in ``bins`` (a count or the edges), and the edges.

    Examples:
        >>> import funcdiff.numpy as fnp
        >>> counts, edges = fnp.histogram(fnp.array([1.0, 2.0, 2.0, 4.0]), bins=3)
        >>> counts
        Array([1., 2., 1.], dtype=float32)
    """
    from .creation import linspace
    from .reductions import max as _max
    from .reductions import min as _min
    from .sorting import searchsorted

    (a,) = promote_inexact(lax.reshape(asarray_op(a, "an argument of histogram"), (-1,)))
    if isinstance(bins, (int, np.integer)):
        lo, hi = (_min(a), _max(a)) if range is None else range
        lo, hi = promote_dtypes(lo, hi)
        same = lax.eq(lo, hi)
        lo = lax.select(same, lax.sub(lo, 0.5), lo)
        hi = lax.select(same, lax.add(hi, 0.5), hi)
        edges = linspace(lo, hi, int(bins) + 1, dtype=get_aval(a).dtype)
    else:
        (edges,) = promote_inexact(bins)
    nb = get_aval(edges).shape[0] - 1
    idx = lax.sub(searchsorted(edges, a, side="right"), 1)
    # Values equal to the last edge fall in the last bin; those outside are dropped.
    last = lax.eq(a, lax.reshape(lax.slice_in_dim(edges, nb, nb + 1), ()))
    idx = lax.select(last, lax.full_like(idx, nb - 1), idx)
    idx = lax.select(lax.lt(idx, lax.full_like(idx, 0)), lax.full_like(idx, nb), idx)
    w = lax.full(get_aval(a).shape, 1, get_aval(a).dtype) if weights is None else (
        lax.reshape(promote_dtypes(weights, a)[0], (-1,)))
    counts = lax.index_update(lax.full((nb,), 0, get_aval(w).dtype), [idx], w, (0,), "add")
    if density:
        widths = diff(edges)
        counts = lax.div(lax.div(counts, _sum(counts)), widths)
    return counts, edges
