"""Samplers: ``uniform``, ``normal``, ``truncated_normal``, ``bernoulli``, ``randint``,
``exponential``, ``gumbel``, ``categorical``, ``permutation``, ``choice``.

Each is a pure function of a key, built on :func:`funcdiff.random.keys.random_bits` and lax
operations, with JAX's algorithms and argument conventions, so the same key gives JAX's
numbers: exactly for bits, integers, permutations and uniform floats, and to a few units in
the last place for normals (the inverse error function is evaluated with the same polynomial
as XLA's, but the logarithm underneath may round differently).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import lax
from .. import numpy as fnp
from ..core import dtypes
from ..core.array import Array
from ..core.convert import as_operand
from ..core.tracing import get_aval
from .keys import canonical_shape, check_key, random_bits, split

# --- argument helpers ---------------------------------------------------------------------


def _float_dtype(name: str, dtype: Any) -> np.dtype:
    dt = dtypes.default_float() if dtype is None else dtypes.canonicalize(dtype, explicit=True)
    if dt.kind != "f":
        raise ValueError(f"dtype argument to fd.random.{name} must be a float dtype, got {dt}")
    return dt


def _param(x: Any, dt: np.dtype) -> Any:
    """A distribution parameter (scalar or array) as an array of dtype ``dt``."""
    if isinstance(x, Array):
        return lax.convert_element_type(x, dt)
    return as_operand(np.asarray(x).astype(dt), what="a distribution parameter")


def _check_shape(name: str, shape: tuple[int, ...], *param_shapes: tuple[int, ...]) -> None:
    try:
        joined = np.broadcast_shapes(shape, *param_shapes)
    except ValueError:
        joined = None
    if joined != shape:
        raise ValueError(
            f"fd.random.{name}: parameter shapes {', '.join(map(str, param_shapes))} must "
            f"broadcast to the requested shape {shape} (and not beyond it)"
        )


def _nextafter(x: Any, up: bool) -> Any:
    """The next float after ``x`` toward +inf (``up``) or -inf, for finite normal ``x``.

    ``|x| * (2**-(p+1) + 2**-(2p+1))`` lies strictly between half an ulp and 1.5 ulps of
    ``x`` (p mantissa bits), so adding it rounds to the neighbour; zero and infinities are
    special cases. Done in float operations because lax has no bit casts.
    """
    dt = get_aval(x).dtype
    nmant = np.finfo(dt).nmant
    step = lax.mul(lax.abs(x), np.array(2.0 ** -(nmant + 1) + 2.0 ** -(2 * nmant + 1), dt)[()])
    moved = lax.add(x, step) if up else lax.sub(x, step)
    tiny = np.nextafter(np.array(0, dt), np.array(1 if up else -1, dt))
    moved = lax.select(lax.eq(x, lax.full_like(x, 0)), lax.full_like(x, tiny), moved)
    return lax.select(lax.is_finite(x), moved, x)


# Giles' single-precision erfinv polynomials ("Approximating the erfinv function", GPU
# Computing Gems, 2011), highest degree first, for w = -log(1 - x^2) below and above 5.
_ERFINV_SMALL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_ERFINV_LARGE = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _erf_inv(x: Any) -> Any:
    """erfinv: XLA's float32 polynomial for float16/32 (so normals match JAX's), else lax's."""
    dt = get_aval(x).dtype
    if dt.itemsize > 4:
        return lax.erf_inv(x)
    x32 = lax.convert_element_type(x, np.float32)
    w = lax.neg(lax.log1p(lax.neg(lax.mul(x32, x32))))
    small = lax.lt(w, np.float32(5))
    # Each branch sees only inputs in its own range, so gradients stay finite in both.
    ws = lax.sub(lax.select(small, w, lax.full_like(w, 2.5)), np.float32(2.5))
    wl = lax.sub(lax.sqrt(lax.select(small, lax.full_like(w, 5), w)), np.float32(3))
    p = lax.select(small, lax.full_like(w, _ERFINV_SMALL[0]), lax.full_like(w, _ERFINV_LARGE[0]))
    t = lax.select(small, ws, wl)
    for cs, cl in zip(_ERFINV_SMALL[1:], _ERFINV_LARGE[1:], strict=True):
        p = lax.add(lax.select(small, lax.full_like(w, cs), lax.full_like(w, cl)), lax.mul(p, t))
    out = lax.mul(p, x32)
    # erfinv(+-1) = +-inf; made from constants, not x * inf, so its gradient is not NaN.
    inf = lax.select(lax.gt(x32, lax.full_like(x32, 0)), lax.full_like(x32, np.inf),
                     lax.full_like(x32, -np.inf))
    out = lax.select(lax.eq(lax.abs(x32), lax.full_like(x32, 1)), inf, out)
    return lax.convert_element_type(out, dt)


# --- continuous distributions -----------------------------------------------------------------


def _uniform(key: Any, shape: tuple[int, ...], dt: np.dtype, minval: Any, maxval: Any) -> Any:
    nbits, nmant = dt.itemsize * 8, np.finfo(dt).nmant
    raw = random_bits(key, nbits, shape)
    # The top nmant bits as a fraction in [0, 1): exactly the float JAX builds by putting
    # them in the mantissa of a number in [1, 2) and subtracting 1.
    mant = lax.shift_right_logical(raw, np.dtype(f"uint{nbits}").type(nbits - nmant))
    floats = lax.mul(lax.convert_element_type(mant, dt), dt.type(2.0 ** -nmant))
    out = lax.add(lax.mul(floats, lax.sub(maxval, minval)), minval)
    return lax.max(lax.broadcast_to(minval, shape), out)


def uniform(key: Any, shape: Any = (), dtype: Any = None, minval: Any = 0.0,
            maxval: Any = 1.0) -> Any:
    """Uniform random floats in ``[minval, maxval)``.

    Args:
        key: a PRNG key.
        shape: the result's shape (``minval``/``maxval`` broadcast to it).
        dtype: a float dtype (default float32; float64 with x64).
        minval: inclusive lower bound, a scalar or an array.
        maxval: exclusive upper bound, a scalar or an array.

    Returns:
        An array of ``shape`` and ``dtype``.

    Raises:
        ValueError: for a non-float ``dtype`` or bounds that do not broadcast to ``shape``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.random.uniform(fd.random.key(0), (3,))
        Array([0.947667  , 0.9785799 , 0.33229148], dtype=float32)
    """
    key = check_key("uniform", key)
    dt = _float_dtype("uniform", dtype)
    shape = canonical_shape("uniform", shape)
    minval, maxval = _param(minval, dt), _param(maxval, dt)
    _check_shape("uniform", shape, get_aval(minval).shape, get_aval(maxval).shape)
    return _uniform(key, shape, dt, minval, maxval)


def normal(key: Any, shape: Any = (), dtype: Any = None) -> Any:
    """Standard normal random floats, by inverting the CDF of a uniform sample (as JAX).

    Args:
        key: a PRNG key.
        shape: the result's shape.
        dtype: a float dtype (default float32; float64 with x64).

    Returns:
        An array of ``shape`` and ``dtype``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.random.normal(fd.random.key(0), (3,))
        Array([ 1.6226422 ,  2.0252647 , -0.43359444], dtype=float32)
    """
    key = check_key("normal", key)
    dt = _float_dtype("normal", dtype)
    shape = canonical_shape("normal", shape)
    lo = np.nextafter(np.array(-1.0, dt), np.array(0.0, dt))
    u = _uniform(key, shape, dt, _param(lo, dt), _param(1.0, dt))
    return lax.mul(dt.type(math.sqrt(2)), _erf_inv(u))


def truncated_normal(key: Any, lower: Any, upper: Any, shape: Any = None,
                     dtype: Any = None) -> Any:
    """Standard normal floats conditioned on ``lower < x < upper``.

    Args:
        key: a PRNG key.
        lower: the lower bound (scalar or array; may be ``-inf``).
        upper: the upper bound (scalar or array; may be ``inf``).
        shape: the result's shape; default: ``lower`` and ``upper`` broadcast together.
        dtype: a float dtype (default float32; float64 with x64).

    Returns:
        An array in the open interval ``(lower, upper)``.

    Examples:
        >>> import funcdiff as fd
        >>> x = fd.random.truncated_normal(fd.random.key(0), -2.0, 2.0, (1000,))
        >>> bool((x > -2).all() and (x < 2).all())
        True
    """
    key = check_key("truncated_normal", key)
    dt = _float_dtype("truncated_normal", dtype)
    lower, upper = _param(lower, dt), _param(upper, dt)
    lo_shape, hi_shape = get_aval(lower).shape, get_aval(upper).shape
    if shape is None:
        try:
            shape = np.broadcast_shapes(lo_shape, hi_shape)
        except ValueError:
            raise ValueError(f"fd.random.truncated_normal: lower {lo_shape} and upper "
                             f"{hi_shape} do not broadcast together") from None
    else:
        shape = canonical_shape("truncated_normal", shape)
        _check_shape("truncated_normal", shape, lo_shape, hi_shape)
    sqrt2 = dt.type(math.sqrt(2))
    a, b = lax.erf(lax.div(lower, sqrt2)), lax.erf(lax.div(upper, sqrt2))
    out = lax.mul(sqrt2, _erf_inv(_uniform(key, shape, dt, a, b)))
    # Rounding may land on a bound (or past it): clamp into the open interval.
    lo = _nextafter(lax.stop_gradient(lower), up=True)
    hi = _nextafter(lax.stop_gradient(upper), up=False)
    return lax.min(lax.max(out, lax.broadcast_to(lo, shape)), lax.broadcast_to(hi, shape))


def exponential(key: Any, shape: Any = (), dtype: Any = None) -> Any:
    """Exponential random floats with rate 1 (density ``exp(-x)`` on ``x >= 0``).

    Examples:
        >>> import funcdiff as fd
        >>> fd.random.exponential(fd.random.key(0), (2,))
        Array([2.950128 , 3.8434246], dtype=float32)
    """
    key = check_key("exponential", key)
    dt = _float_dtype("exponential", dtype)
    shape = canonical_shape("exponential", shape)
    u = _uniform(key, shape, dt, _param(0.0, dt), _param(1.0, dt))
    return lax.neg(lax.log1p(lax.neg(u)))


def gumbel(key: Any, shape: Any = (), dtype: Any = None, mode: str | None = None) -> Any:
    """Standard Gumbel random floats (density ``exp(-(x + exp(-x)))``).

    Args:
        key: a PRNG key.
        shape: the result's shape.
        dtype: a float dtype.
        mode: ``"low"`` (default) or ``"high"``, which spends twice the bits to reach
            further into the right tail.

    Examples:
        >>> import funcdiff as fd
        >>> fd.random.gumbel(fd.random.key(0), (2,)).shape
        (2,)
    """
    key = check_key("gumbel", key)
    dt = _float_dtype("gumbel", dtype)
    shape = canonical_shape("gumbel", shape)
    return _gumbel(key, shape, dt, mode or "low")


def _gumbel(key: Any, shape: tuple[int, ...], dt: np.dtype, mode: str) -> Any:
    info = np.finfo(dt)
    if mode == "high":
        both = _uniform(key, (2, *shape), dt, _param(0.0, dt), _param(1.0, dt))
        high = lax.reshape(lax.slice_in_dim(both, 0, 1), shape)
        low = lax.reshape(lax.slice_in_dim(both, 1, 2), shape)
        finer = lax.add(lax.add(high, lax.mul(dt.type(2.0 ** -info.nmant), low)),
                        dt.type(info.tiny))
        x = lax.select(lax.ge(high, dt.type(0.5)), high, finer)
        return lax.neg(lax.log(lax.neg(lax.log1p(lax.neg(x)))))
    if mode != "low":
        raise ValueError(f"fd.random.gumbel: mode must be 'low' or 'high', got {mode!r}")
    u = _uniform(key, shape, dt, _param(info.tiny, dt), _param(1.0, dt))
    return lax.neg(lax.log(lax.neg(lax.log(u))))


# --- discrete distributions -------------------------------------------------------------------


def bernoulli(key: Any, p: Any = 0.5, shape: Any = None, mode: str = "low") -> Any:
    """Random booleans that are ``True`` with probability ``p``.

    Args:
        key: a PRNG key.
        p: the probability, a float or a float array.
        shape: the result's shape; default ``p``'s shape.
        mode: ``"low"`` or ``"high"`` (twice the bits: correct for ``p`` below ~1e-7).

    Returns:
        A boolean array.

    Raises:
        TypeError: if ``p`` is not floating.

    Examples:
        >>> import funcdiff as fd
        >>> fd.random.bernoulli(fd.random.key(0), 0.5, (4,))
        Array([False, False,  True,  True], dtype=bool)
    """
    key = check_key("bernoulli", key)
    if mode not in ("low", "high"):
        raise ValueError(f"fd.random.bernoulli: mode must be 'low' or 'high', got {mode!r}")
    if isinstance(p, (int, float)) and not isinstance(p, bool):
        p = _param(float(p), dtypes.default_float())
    elif not isinstance(p, Array):
        p = as_operand(p, what="bernoulli's p")
    dt = get_aval(p).dtype
    if dt.kind != "f":
        raise TypeError(f"fd.random.bernoulli: the probability p must be floating, got {dt}")
    shape = get_aval(p).shape if shape is None else canonical_shape("bernoulli", shape)
    _check_shape("bernoulli", shape, get_aval(p).shape)
    zero, one = _param(0.0, dt), _param(1.0, dt)
    if mode == "high":
        both = _uniform(key, (2, *shape), dt, zero, one)
        u1 = lax.reshape(lax.slice_in_dim(both, 0, 1), shape)
        u2 = lax.mul(lax.reshape(lax.slice_in_dim(both, 1, 2), shape),
                     dt.type(2.0 ** -np.finfo(dt).nmant))
        return lax.lt(u2, lax.broadcast_to(lax.sub(p, u1), shape))
    return lax.lt(_uniform(key, shape, dt, zero, one), lax.broadcast_to(p, shape))


def _int_param(name: str, x: Any) -> Any:
    if isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)):
        dt = dtypes.default_int()
        info = np.iinfo(dt)
        if not info.min <= int(x) <= info.max:
            raise OverflowError(
                f"fd.random.randint: {name}={int(x)} does not fit in {dt}; enable 64-bit "
                "types with fd.config.update('enable_x64', True)"
            )
        return as_operand(np.array(int(x), dt))
    x = fnp.asarray(x)
    if get_aval(x).dtype.kind not in "iu":
        x = lax.convert_element_type(x, dtypes.default_int())
    return x


def _clip_to(x: Any, dt: np.dtype) -> Any:
    """Integer ``x`` converted to integer ``dt``, clipped to its range instead of wrapped."""
    src = np.iinfo(get_aval(x).dtype)
    dst = np.iinfo(dt)
    lo, hi = max(src.min, dst.min), min(src.max, dst.max)
    xdt = get_aval(x).dtype
    x = lax.min(lax.max(x, xdt.type(lo)), xdt.type(hi))
    return lax.convert_element_type(x, dt)


def _urem(a: Any, span: Any) -> Any:
    # Unsigned remainder with XLA's convention a % 0 == a (a zero span means "all 2**n").
    zero = lax.eq(span, lax.full_like(span, 0))
    safe = lax.select(zero, lax.full_like(span, 1), span)
    return lax.select(zero, lax.broadcast_to(a, get_aval(lax.rem(a, safe)).shape),
                      lax.rem(a, safe))


def randint(key: Any, shape: Any, minval: Any, maxval: Any, dtype: Any = None) -> Any:
    """Uniform random integers in ``[minval, maxval)``.

    Draws twice the bits of the type per value and reduces them modulo the range (JAX's
    algorithm): the bias is about ``range**2 / 2**64`` for 32-bit types.

    Args:
        key: a PRNG key.
        shape: the result's shape.
        minval: inclusive lower bound (int or integer array broadcasting to ``shape``).
        maxval: exclusive upper bound; where ``maxval <= minval`` the result is ``minval``.
        dtype: an integer dtype (default int32; int64 with x64).

    Returns:
        An integer array of ``shape``.

    Raises:
        TypeError: for a non-integer ``dtype``.

    Examples:
        >>> import funcdiff as fd
        >>> fd.random.randint(fd.random.key(0), (5,), 0, 10)
        Array([9, 0, 2, 3, 1], dtype=int32)
    """
    key = check_key("randint", key)
    shape = canonical_shape("randint", shape)
    dt = dtypes.default_int() if dtype is None else dtypes.canonicalize(dtype, explicit=True)
    if dt.kind not in "iu":
        raise TypeError(f"fd.random.randint needs an integer dtype, got {dt}")
    minval, maxval = _int_param("minval", minval), _int_param("maxval", maxval)
    _check_shape("randint", shape, get_aval(minval).shape, get_aval(maxval).shape)
    sample_dt = dt
    if dt.itemsize < 4:
        # Sample small types in 32 bits (less bias), then convert, as JAX does.
        sample_dt, info = dtypes.int32, np.iinfo(dt)
        minval = lax.min(lax.max(_clip_to(minval, sample_dt), np.int32(info.min)),
                         np.int32(info.max))
        maxval = lax.min(lax.max(_clip_to(maxval, sample_dt), np.int32(info.min)),
                         np.int32(info.max + 1))
    out = _randint(key, shape, minval, maxval, sample_dt)
    return lax.convert_element_type(out, dt)


def _randint(key: Any, shape: tuple, minval: Any, maxval: Any, dt: np.dtype) -> Any:
    nbits = dt.itemsize * 8
    udt = np.dtype(f"uint{nbits}")
    mdt = get_aval(maxval).dtype
    top = mdt.type(min(np.iinfo(dt).max, np.iinfo(mdt).max))
    out_of_range = lax.gt(maxval, top)  # e.g. maxval 256 for uint8: one more than fits
    minval, maxval = _clip_to(minval, dt), _clip_to(maxval, dt)
    k1, k2 = (lax.reshape(lax.slice_in_dim(split(key), i, i + 1), (2,)) for i in (0, 1))
    higher, lower = random_bits(k1, nbits, shape), random_bits(k2, nbits, shape)
    span = lax.convert_element_type(lax.sub(maxval, minval), udt)
    empty = lax.le(maxval, minval)
    span = lax.select(empty, lax.full_like(span, 1), span)
    span = lax.select(lax.bitwise_and(out_of_range, lax.bitwise_not(empty)),
                      lax.add(span, udt.type(1)), span)
    # (hi * 2**n + lo) mod span, without overflow: 2**n mod span is (2**(n/2) mod span)**2.
    mult = _urem(lax.full_like(span, 2 ** (nbits // 2)), span)
    mult = _urem(lax.mul(mult, mult), span)
    offset = lax.add(lax.mul(_urem(higher, span), mult), _urem(lower, span))
    offset = _urem(offset, span)
    return lax.add(minval, lax.convert_element_type(offset, dt))


def categorical(key: Any, logits: Any, axis: int = -1, shape: Any = None,
                replace: bool = True) -> Any:
    """Sample category indices from unnormalized log-probabilities (the Gumbel-max trick).

    Args:
        key: a PRNG key.
        logits: log-probabilities up to a constant, categories along ``axis``.
        axis: the categories' axis.
        shape: the result's shape; must end with ``logits``' shape without ``axis``
            (leading extra dimensions draw several samples). Default: that shape.
        replace: whether to sample with replacement; without, the leading dimensions of
            ``shape`` are distinct categories (the Gumbel top-k trick).

    Returns:
        Integer indices into ``axis``.

    Examples:
        >>> import funcdiff as fd
        >>> import funcdiff.numpy as fnp
        >>> logits = fnp.log(fnp.array([0.1, 0.2, 0.7]))
        >>> fd.random.categorical(fd.random.key(0), logits, shape=(6,))
        Array([1, 2, 2, 1, 2, 2], dtype=int32)
    """
    key = check_key("categorical", key)
    logits = fnp.asarray(logits)
    if get_aval(logits).dtype.kind != "f":
        logits = lax.convert_element_type(logits, dtypes.default_float())
    lshape = get_aval(logits).shape
    if not lshape:
        raise ValueError("fd.random.categorical needs logits with at least one axis")
    axis = _axis("categorical", axis, len(lshape))
    batch_shape = lshape[:axis] + lshape[axis + 1:]
    shape = batch_shape if shape is None else canonical_shape("categorical", shape)
    _check_shape("categorical", shape, batch_shape)
    prefix = shape[:len(shape) - len(batch_shape)]
    dt = get_aval(logits).dtype
    if replace:
        tail = list(shape[len(prefix):])
        tail.insert(axis, lshape[axis])
        g = _gumbel(key, (*prefix, *tail), dt, "low")
        scores = fnp.add(g, lax.reshape(logits, (1,) * len(prefix) + lshape))
        return fnp.argmax(scores, axis=len(prefix) + axis)
    k = math.prod(prefix)
    if k > lshape[axis]:
        raise ValueError(
            f"fd.random.categorical: {k} samples without replacement exceed the "
            f"{lshape[axis]} categories"
        )
    scores = fnp.moveaxis(fnp.add(logits, _gumbel(key, lshape, dt, "low")), axis, -1)
    top = lax.slice_in_dim(fnp.argsort(scores, axis=-1, descending=True), 0, k, axis=-1)
    nb = len(batch_shape)
    top = lax.convert_element_type(top, dtypes.int32)  # top-k indices are int32, as JAX's
    return lax.reshape(lax.transpose(top, (nb, *range(nb))), shape)


def _axis(name: str, axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise ValueError(f"fd.random.{name}: axis {axis} is out of bounds for rank {ndim}")
    return axis % ndim


def _shuffle(key: Any, x: Any, axis: int) -> Any:
    # Sort by random 32-bit keys; repeat with fresh keys so that ties (collisions) are
    # vanishingly rare: ceil(3 ln n / ln(2**32 - 1)) rounds, as JAX.
    size = get_aval(x).size
    rounds = int(np.ceil(3 * np.log(max(1, size)) / np.log(np.iinfo(np.uint32).max)))
    for _ in range(rounds):
        keys = split(key)
        key = lax.reshape(lax.slice_in_dim(keys, 0, 1), (2,))
        sub = lax.reshape(lax.slice_in_dim(keys, 1, 2), (2,))
        order = lax.argsort(random_bits(sub, 32, get_aval(x).shape), axis)
        x = fnp.take_along_axis(x, order, axis)
    return x


def permutation(key: Any, x: Any, axis: int = 0, independent: bool = False) -> Any:
    """A random permutation of ``range(x)`` (an int) or of ``x``'s entries along ``axis``.

    Args:
        key: a PRNG key.
        x: an int ``n`` (permute ``arange(n)``) or an array.
        axis: the axis to shuffle.
        independent: shuffle each slice along ``axis`` independently.

    Returns:
        The permuted array.

    Examples:
        >>> import funcdiff as fd
        >>> fd.random.permutation(fd.random.key(0), 5)
        Array([0, 1, 4, 3, 2], dtype=int32)
    """
    key = check_key("permutation", key)
    if isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)):
        return _shuffle(key, fnp.arange(int(x)), 0)
    x = fnp.asarray(x)
    aval = get_aval(x)
    if aval.ndim == 0:
        if aval.dtype.kind not in "iu":
            raise TypeError("fd.random.permutation: x must be an integer or an array with at "
                            f"least one axis, got {aval.str_short()}")
        return _shuffle(key, fnp.arange(int(x)), 0)
    axis = _axis("permutation", axis, aval.ndim)
    if independent or aval.ndim == 1:
        return _shuffle(key, x, axis)
    order = _shuffle(key, fnp.arange(aval.shape[axis]), 0)
    return fnp.take(x, order, axis)


def choice(key: Any, a: Any, shape: Sequence[int] = (), replace: bool = True,
           p: Any = None, axis: int = 0) -> Any:
    """Random samples from ``a`` (an array, or ``arange(a)`` for an int).

    Args:
        key: a PRNG key.
        a: an int or an array to sample from along ``axis``.
        shape: how many samples, as a shape (a tuple).
        replace: whether to sample with replacement.
        p: probabilities of the entries (1-D, length ``a.shape[axis]``); default uniform.
        axis: the axis of ``a`` to sample along.

    Returns:
        The samples: ``shape`` for an int ``a``, else ``a.shape`` with ``axis`` replaced
        by ``shape``.

    Raises:
        ValueError: when more samples than entries are asked without replacement, or ``p``
            has the wrong shape.

    Examples:
        >>> import funcdiff as fd
        >>> fd.random.choice(fd.random.key(0), 10, (3,), replace=False)
        Array([0, 1, 8], dtype=int32)
    """
    key = check_key("choice", key)
    if not isinstance(shape, Sequence):
        raise TypeError(f"fd.random.choice: shape must be a tuple of ints, got {shape!r}")
    shape = canonical_shape("choice", shape)
    arr = fnp.asarray(a)
    aval = get_aval(arr)
    if aval.ndim == 0:
        n_inputs = int(a)
    else:
        axis = _axis("choice", axis, aval.ndim)
        n_inputs = aval.shape[axis]
    n_draws = math.prod(shape)
    if n_draws == 0:
        return fnp.zeros(shape, aval.dtype)
    if n_inputs <= 0:
        raise ValueError("fd.random.choice: a must be positive (or non-empty) unless no "
                         "samples are taken")
    if not replace and n_draws > n_inputs:
        raise ValueError(
            f"fd.random.choice: cannot take {n_draws} samples from a population of "
            f"{n_inputs} without replacement (replace=False)"
        )
    if p is None:
        if replace:
            ind = randint(key, shape, 0, n_inputs)
            result = ind if aval.ndim == 0 else fnp.take(arr, ind, axis)
        else:
            perm = permutation(key, n_inputs if aval.ndim == 0 else arr, axis)
            result = lax.slice_in_dim(perm, 0, n_draws, axis=0 if aval.ndim == 0 else axis)
    else:
        p_arr = fnp.asarray(p)
        if get_aval(p_arr).dtype.kind != "f":
            p_arr = lax.convert_element_type(p_arr, dtypes.default_float())
        if get_aval(p_arr).shape != (n_inputs,):
            raise ValueError(
                "fd.random.choice: p must be None or a 1-D vector as long as a.shape[axis]; "
                f"p has shape {get_aval(p_arr).shape} and a.shape[axis] is {n_inputs}"
            )
        pdt = get_aval(p_arr).dtype
        if replace:
            cum = fnp.cumsum(p_arr)
            u = _uniform(key, shape, pdt, _param(0.0, pdt), _param(1.0, pdt))
            r = lax.mul(lax.reshape(lax.slice_in_dim(cum, n_inputs - 1, n_inputs), ()),
                        lax.sub(pdt.type(1), u))
            ind = lax.convert_element_type(fnp.searchsorted(cum, r), dtypes.default_int())
        else:
            # log(p), with -inf for p == 0 taken without evaluating log(0).
            logp = fnp.where(p_arr > 0, fnp.log(fnp.where(p_arr > 0, p_arr, 1.0)), -np.inf)
            g = fnp.add(_gumbel(key, (n_inputs,), pdt, "low"), logp)
            ind = lax.slice_in_dim(fnp.argsort(g, descending=True), 0, n_draws)
            ind = lax.convert_element_type(ind, dtypes.default_int())
        result = ind if aval.ndim == 0 else fnp.take(arr, ind, axis)
    out_shape = shape if aval.ndim == 0 else aval.shape[:axis] + shape + aval.shape[axis + 1:]
    return lax.reshape(result, out_shape)
