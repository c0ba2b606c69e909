"""What CuPy's API lacks or spells differently from NumPy's, as data for the strict backend.

The strict backend (:mod:`.strict`) stands in for CuPy on a CPU. With these tables it also
refuses what CuPy would refuse: a NumPy function CuPy does not have, a keyword argument
CuPy's version does not take, a ufunc method CuPy implements for only a few ufuncs
(``maximum.accumulate``, ``multiply.at``), an ``ndarray`` attribute CuPy lacks; and what
CuPy runs but computes inexactly: a ufunc whose integer loop goes through float64 (``fmod``
of int64), a float64 ``maximum.at``. Code that passes the test suite on the strict backend
therefore calls only what CuPy offers, and differences are routed through :mod:`.extras`.

The tables were generated from CuPy 14.2 (run ``python -m funcdiff.backend.cupy_api`` where
CuPy is installed to print them again; no GPU is needed), then widened by hand with what
the older CuPy releases funcdiff supports (13.x) lack, in ``OLDER_MISSING``.
"""

from __future__ import annotations

from typing import Any

CUPY_VERSION = "14.2.0"

# NumPy functions CuPy does not have (see also OLDER_MISSING).
MISSING: dict[str, frozenset[str]] = {
    "": frozenset({
        "asmatrix", "block", "bmat", "busday_count", "busday_offset", "datetime_as_string",
        "datetime_data", "einsum_path", "frompyfunc", "fromregex", "geomspace", "get_include",
        "getbufsize", "geterr", "geterrcall", "histogram_bin_edges", "info", "insert",
        "is_busday", "isnat", "matvec", "nanpercentile", "nanquantile", "nested_iters",
        "polyder", "polydiv", "polyint", "setbufsize", "seterr", "seterrcall", "show_runtime",
        "spacing", "test", "unstack", "vecdot", "vecmat",
    }),
    "linalg.": frozenset({
        "diagonal", "matrix_norm", "multi_dot", "outer", "svdvals", "tensordot", "test",
        "trace", "vecdot", "vector_norm",
    }),
    "fft.": frozenset({
        "test",
    }),
}

# Keyword arguments each CuPy function accepts (functions taking **kwargs are absent).
KEYWORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "": {
        "all": ('a', 'axis', 'out', 'keepdims'),
        "allclose": ('a', 'b', 'rtol', 'atol', 'equal_nan'),
        "amax": ('a', 'axis', 'out', 'keepdims'),
        "amin": ('a', 'axis', 'out', 'keepdims'),
        "angle": ('z', 'deg'),
        "any": ('a', 'axis', 'out', 'keepdims'),
        "append": ('arr', 'values', 'axis'),
        "apply_over_axes": ('func', 'a', 'axes'),
        "arange": ('start', 'stop', 'step', 'dtype'),
        "argmax": ('a', 'axis', 'dtype', 'out', 'keepdims'),
        "argmin": ('a', 'axis', 'dtype', 'out', 'keepdims'),
        "argpartition": ('a', 'kth', 'axis'),
        "argsort": ('a', 'axis', 'kind'),
        "argwhere": ('a',),
        "around": ('a', 'decimals', 'out'),
        "array": ('obj', 'dtype', 'copy', 'order', 'subok', 'ndmin', 'blocking'),
        "array_equal": ('a1', 'a2', 'equal_nan'),
        "array_equiv": ('a1', 'a2'),
        "array_repr": ('arr', 'max_line_width', 'precision', 'suppress_small'),
        "array_split": ('ary', 'indices_or_sections', 'axis'),
        "array_str": ('arr', 'max_line_width', 'precision', 'suppress_small'),
        "asanyarray": ('a', 'dtype', 'order', 'copy', 'blocking'),
        "asarray": ('a', 'dtype', 'order', 'copy', 'blocking'),
        "asarray_chkfinite": ('a', 'dtype', 'order'),
        "ascontiguousarray": ('a', 'dtype'),
        "asfortranarray": ('a', 'dtype'),
        "astype": ('copy',),
        "atleast_1d": (),
        "atleast_2d": (),
        "atleast_3d": (),
        "average": ('a', 'axis', 'weights', 'returned', 'keepdims'),
        "bartlett": ('M',),
        "base_repr": ('number', 'base', 'padding'),
        "binary_repr": ('num', 'width'),
        "bincount": ('x', 'weights', 'minlength'),
        "blackman": ('M',),
        "broadcast_arrays": (),
        "broadcast_shapes": (),
        "broadcast_to": ('array', 'shape'),
        "can_cast": ('from_', 'to', 'casting'),
        "choose": ('a', 'choices', 'out', 'mode'),
        "clip": ('a', 'a_min', 'a_max', 'out'),
        "column_stack": ('tup',),
        "common_type": (),
        "compress": ('condition', 'a', 'axis', 'out'),
        "concat": ('tup', 'axis', 'out', 'dtype', 'casting'),
        "concatenate": ('tup', 'axis', 'out', 'dtype', 'casting'),
        "convolve": ('a', 'v', 'mode'),
        "copy": ('a', 'order'),
        "copyto": ('dst', 'src', 'casting', 'where'),
        "corrcoef": ('a', 'y', 'rowvar', 'bias', 'ddof', 'dtype'),
        "correlate": ('a', 'v', 'mode'),
        "count_nonzero": ('a', 'axis'),
        "cov": ('a', 'y', 'rowvar', 'bias', 'ddof', 'fweights', 'aweights', 'dtype'),
        "cross": ('a', 'b', 'axisa', 'axisb', 'axisc', 'axis'),
        "cumprod": ('a', 'axis', 'dtype', 'out'),
        "cumsum": ('a', 'axis', 'dtype', 'out'),
        "cumulative_prod": ('axis', 'dtype', 'out', 'include_initial'),
        "cumulative_sum": ('axis', 'dtype', 'out', 'include_initial'),
        "delete": ('arr', 'indices', 'axis'),
        "diag": ('v', 'k'),
        "diag_indices": ('n', 'ndim'),
        "diag_indices_from": ('arr',),
        "diagflat": ('v', 'k'),
        "diagonal": ('a', 'offset', 'axis1', 'axis2'),
        "diff": ('a', 'n', 'axis', 'prepend', 'append'),
        "digitize": ('x', 'bins', 'right'),
        "dot": ('a', 'b', 'out'),
        "dsplit": ('ary', 'indices_or_sections'),
        "dstack": ('tup',),
        "ediff1d": ('arr', 'to_end', 'to_begin'),
        "empty": ('shape', 'dtype', 'order'),
        "empty_like": ('prototype', 'dtype', 'order', 'subok', 'shape'),
        "expand_dims": ('a', 'axis'),
        "extract": ('condition', 'a'),
        "eye": ('N', 'M', 'k', 'dtype', 'order'),
        "fill_diagonal": ('a', 'val', 'wrap'),
        "flatnonzero": ('a',),
        "flip": ('a', 'axis'),
        "fliplr": ('a',),
        "flipud": ('a',),
        "full": ('shape', 'fill_value', 'dtype', 'order'),
        "full_like": ('a', 'fill_value', 'dtype', 'order', 'subok', 'shape'),
        "get_printoptions": (),
        "gradient": ('f', 'axis', 'edge_order'),
        "hamming": ('M',),
        "hanning": ('M',),
        "histogram": ('x', 'bins', 'range', 'density', 'weights'),
        "histogram2d": ('x', 'y', 'bins', 'range', 'weights', 'density'),
        "histogramdd": ('sample', 'bins', 'range', 'weights', 'density'),
        "hsplit": ('ary', 'indices_or_sections'),
        "hstack": ('tup', 'dtype', 'casting'),
        "identity": ('n', 'dtype'),
        "imag": ('val',),
        "indices": ('dimensions', 'dtype'),
        "inner": ('a', 'b'),
        "interp": ('x', 'xp', 'fp', 'left', 'right', 'period'),
        "intersect1d": ('arr1', 'arr2', 'assume_unique', 'return_indices'),
        "isclose": ('a', 'b', 'rtol', 'atol', 'equal_nan'),
        "iscomplex": ('x',),
        "iscomplexobj": ('x',),
        "isdtype": ('dtype', 'kind'),
        "isfortran": ('a',),
        "isin": ('element', 'test_elements', 'assume_unique', 'invert'),
        "isneginf": ('x', 'out'),
        "isposinf": ('x', 'out'),
        "isreal": ('x',),
        "isrealobj": ('x',),
        "isscalar": ('element',),
        "issubdtype": ('arg1', 'arg2'),
        "iterable": ('y',),
        "ix_": (),
        "kaiser": ('M', 'beta'),
        "kron": ('a', 'b'),
        "lexsort": ('keys',),
        "linspace": ('start', 'stop', 'num', 'endpoint', 'retstep', 'dtype', 'axis'),
        "load": ('file', 'mmap_mode', 'allow_pickle'),
        "logspace": ('start', 'stop', 'num', 'endpoint', 'base', 'dtype', 'axis'),
        "mask_indices": ('n', 'mask_func', 'k'),
        "matmul": ('axes', 'axis', 'keepdims', 'casting', 'dtype', 'signature', 'order', 'out'),
        "matrix_transpose": (),
        "max": ('a', 'axis', 'out', 'keepdims'),
        "may_share_memory": ('a', 'b', 'max_work'),
        "mean": ('a', 'axis', 'dtype', 'out', 'keepdims'),
        "median": ('a', 'axis', 'out', 'overwrite_input', 'keepdims'),
        "min": ('a', 'axis', 'out', 'keepdims'),
        "mintypecode": ('typechars', 'typeset', 'default'),
        "moveaxis": ('a', 'source', 'destination'),
        "nan_to_num": ('x', 'copy', 'nan', 'posinf', 'neginf'),
        "nanargmax": ('a', 'axis', 'dtype', 'out', 'keepdims'),
        "nanargmin": ('a', 'axis', 'dtype', 'out', 'keepdims'),
        "nancumprod": ('a', 'axis', 'dtype', 'out'),
        "nancumsum": ('a', 'axis', 'dtype', 'out'),
        "nanmax": ('a', 'axis', 'out', 'keepdims'),
        "nanmean": ('a', 'axis', 'dtype', 'out', 'keepdims'),
        "nanmedian": ('a', 'axis', 'out', 'overwrite_input', 'keepdims'),
        "nanmin": ('a', 'axis', 'out', 'keepdims'),
        "nanprod": ('a', 'axis', 'dtype', 'out', 'keepdims'),
        "nanstd": ('a', 'axis', 'dtype', 'out', 'ddof', 'keepdims'),
        "nansum": ('a', 'axis', 'dtype', 'out', 'keepdims'),
        "nanvar": ('a', 'axis', 'dtype', 'out', 'ddof', 'keepdims'),
        "ndim": ('a',),
        "nonzero": ('a',),
        "ones": ('shape', 'dtype', 'order'),
        "ones_like": ('a', 'dtype', 'order', 'subok', 'shape'),
        "outer": ('a', 'b', 'out'),
        "packbits": ('a', 'axis', 'bitorder'),
        "partition": ('a', 'kth', 'axis'),
        "percentile": (
            'a', 'q', 'axis', 'out', 'overwrite_input', 'method', 'keepdims', 'interpolation',
        ),
        "permute_dims": ('a', 'axes'),
        "piecewise": ('x', 'condlist', 'funclist'),
        "place": ('arr', 'mask', 'vals'),
        "poly": ('seq_of_zeros',),
        "polyadd": ('a1', 'a2'),
        "polyfit": ('x', 'y', 'deg', 'rcond', 'full', 'w', 'cov'),
        "polymul": ('a1', 'a2'),
        "polysub": ('a1', 'a2'),
        "polyval": ('p', 'x'),
        "prod": ('a', 'axis', 'dtype', 'out', 'keepdims'),
        "promote_types": (),
        "ptp": ('a', 'axis', 'out', 'keepdims'),
        "put": ('a', 'ind', 'v', 'mode'),
        "put_along_axis": ('arr', 'indices', 'values', 'axis'),
        "putmask": ('a', 'mask', 'values'),
        "quantile": (
            'a', 'q', 'axis', 'out', 'overwrite_input', 'method', 'keepdims', 'interpolation',
        ),
        "ravel": ('a', 'order'),
        "ravel_multi_index": ('multi_index', 'dims', 'mode', 'order'),
        "real": ('val',),
        "real_if_close": ('a', 'tol'),
        "repeat": ('a', 'repeats', 'axis'),
        "require": ('a', 'dtype', 'requirements'),
        "reshape": ('a', 'newshape', 'order', 'copy'),
        "resize": ('a', 'new_shape'),
        "result_type": (),
        "roll": ('a', 'shift', 'axis'),
        "rollaxis": ('a', 'axis', 'start'),
        "roots": ('p',),
        "rot90": ('a', 'k', 'axes'),
        "round": ('a', 'decimals', 'out'),
        "row_stack": ('tup', 'dtype', 'casting'),
        "save": ('file', 'arr', 'allow_pickle'),
        "searchsorted": ('a', 'v', 'side', 'sorter'),
        "select": ('condlist', 'choicelist', 'default'),
        "set_printoptions": (
            'precision', 'threshold', 'edgeitems', 'linewidth', 'suppress', 'nanstr', 'infstr',
            'formatter', 'sign', 'floatmode', 'legacy', 'override_repr',
        ),
        "setdiff1d": ('ar1', 'ar2', 'assume_unique'),
        "setxor1d": ('ar1', 'ar2', 'assume_unique'),
        "shape": ('a',),
        "shares_memory": ('a', 'b', 'max_work'),
        "show_config": ('_full',),
        "sort": ('a', 'axis', 'kind'),
        "sort_complex": ('a',),
        "split": ('ary', 'indices_or_sections', 'axis'),
        "squeeze": ('a', 'axis'),
        "stack": ('tup', 'axis', 'out', 'dtype', 'casting'),
        "std": ('a', 'axis', 'dtype', 'out', 'ddof', 'keepdims'),
        "sum": ('a', 'axis', 'dtype', 'out', 'keepdims'),
        "swapaxes": ('a', 'axis1', 'axis2'),
        "take": ('a', 'indices', 'axis', 'out'),
        "take_along_axis": ('a', 'indices', 'axis'),
        "tensordot": ('a', 'b', 'axes'),
        "tile": ('A', 'reps'),
        "trace": ('a', 'offset', 'axis1', 'axis2', 'dtype', 'out'),
        "transpose": ('a', 'axes'),
        "trapezoid": ('y', 'x', 'dx', 'axis'),
        "tri": ('N', 'M', 'k', 'dtype'),
        "tril": ('m', 'k'),
        "tril_indices": ('n', 'k', 'm'),
        "tril_indices_from": ('arr', 'k'),
        "trim_zeros": ('filt', 'trim'),
        "triu": ('m', 'k'),
        "triu_indices": ('n', 'k', 'm'),
        "triu_indices_from": ('arr', 'k'),
        "typename": ('char',),
        "union1d": ('arr1', 'arr2'),
        "unique": ('ar', 'return_index', 'return_inverse', 'return_counts', 'axis', 'equal_nan'),
        "unique_all": ('x',),
        "unique_counts": ('x',),
        "unique_inverse": ('x',),
        "unique_values": ('x',),
        "unpackbits": ('a', 'axis', 'bitorder'),
        "unravel_index": ('indices', 'dims', 'order'),
        "unwrap": ('p', 'discont', 'axis', 'period'),
        "vander": ('x', 'N', 'increasing'),
        "var": ('a', 'axis', 'dtype', 'out', 'ddof', 'keepdims'),
        "vdot": ('a', 'b'),
        "vsplit": ('ary', 'indices_or_sections'),
        "vstack": ('tup', 'dtype', 'casting'),
        "where": ('condition', 'x', 'y'),
        "zeros": ('shape', 'dtype', 'order'),
        "zeros_like": ('a', 'dtype', 'order', 'subok', 'shape'),
    },
    "linalg.": {
        "cholesky": ('a',),
        "cond": ('x', 'p'),
        "cross": ('axis',),
        "det": ('a',),
        "eig": ('a',),
        "eigh": ('a', 'UPLO'),
        "eigvals": ('a',),
        "eigvalsh": ('a', 'UPLO'),
        "inv": ('a',),
        "lstsq": ('a', 'b', 'rcond'),
        "matmul": ('axes', 'axis', 'keepdims', 'casting', 'dtype', 'signature', 'order', 'out'),
        "matrix_power": ('M', 'n'),
        "matrix_rank": ('M', 'tol'),
        "matrix_transpose": ('a',),
        "norm": ('x', 'ord', 'axis', 'keepdims'),
        "pinv": ('a', 'rcond'),
        "qr": ('a', 'mode'),
        "slogdet": ('a',),
        "solve": ('a', 'b'),
        "svd": ('a', 'full_matrices', 'compute_uv'),
        "tensorinv": ('a', 'ind'),
        "tensorsolve": ('a', 'b', 'axes'),
    },
    "fft.": {
        "fft": ('a', 'n', 'axis', 'norm'),
        "fft2": ('a', 's', 'axes', 'norm'),
        "fftfreq": ('n', 'd'),
        "fftn": ('a', 's', 'axes', 'norm'),
        "fftshift": ('x', 'axes'),
        "hfft": ('a', 'n', 'axis', 'norm'),
        "ifft": ('a', 'n', 'axis', 'norm'),
        "ifft2": ('a', 's', 'axes', 'norm'),
        "ifftn": ('a', 's', 'axes', 'norm'),
        "ifftshift": ('x', 'axes'),
        "ihfft": ('a', 'n', 'axis', 'norm'),
        "irfft": ('a', 'n', 'axis', 'norm'),
        "irfft2": ('a', 's', 'axes', 'norm'),
        "irfftn": ('a', 's', 'axes', 'norm'),
        "rfft": ('a', 'n', 'axis', 'norm'),
        "rfft2": ('a', 's', 'axes', 'norm'),
        "rfftfreq": ('n', 'd'),
        "rfftn": ('a', 's', 'axes', 'norm'),
    },
}

UFUNCS = frozenset({
    "abs", "absolute", "acos", "acosh", "add", "arccos", "arccosh", "arcsin", "arcsinh",
    "arctan", "arctan2", "arctanh", "asin", "asinh", "atan", "atan2", "atanh", "bitwise_and",
    "bitwise_count", "bitwise_invert", "bitwise_left_shift", "bitwise_not", "bitwise_or",
    "bitwise_right_shift", "bitwise_xor", "cbrt", "ceil", "conj", "conjugate", "copysign",
    "cos", "cosh", "deg2rad", "degrees", "divide", "divmod", "equal", "exp", "exp2", "expm1",
    "fabs", "fix", "float_power", "floor", "floor_divide", "fmax", "fmin", "fmod", "frexp",
    "gcd", "greater", "greater_equal", "heaviside", "hypot", "i0", "invert", "isfinite",
    "isinf", "isnan", "lcm", "ldexp", "left_shift", "less", "less_equal", "log", "log10",
    "log1p", "log2", "logaddexp", "logaddexp2", "logical_and", "logical_not", "logical_or",
    "logical_xor", "maximum", "minimum", "mod", "modf", "multiply", "negative", "nextafter",
    "not_equal", "positive", "pow", "power", "rad2deg", "radians", "reciprocal", "remainder",
    "right_shift", "rint", "sign", "signbit", "sin", "sinc", "sinh", "sqrt", "square",
    "subtract", "tan", "tanh", "true_divide", "trunc",
})
# ufunc.at: the ufuncs with a scatter kernel.
UFUNC_AT = frozenset({
    "add", "bitwise_and", "bitwise_or", "bitwise_xor", "maximum", "minimum", "subtract",
})
# ufunc.at: the dtypes each scatter kernel takes; on the others CuPy raises TypeError.
UFUNC_AT_DTYPES: dict[str, frozenset[str]] = {
    "add": frozenset({"int32", "uint32", "int64", "uint64", "float16", "float32", "float64"}),
    "bitwise_and": frozenset({"int32", "uint32", "int64", "uint64"}),
    "bitwise_or": frozenset({"int32", "uint32", "int64", "uint64"}),
    "bitwise_xor": frozenset({"int32", "uint32", "int64", "uint64"}),
    "maximum": frozenset({"int32", "uint32", "int64", "uint64", "float32", "float64"}),
    "minimum": frozenset({"int32", "uint32", "int64", "uint64", "float32", "float64"}),
    "subtract": frozenset({"int32", "uint32"}),
}
# Integer input dtypes on which a ufunc computes through a float type too narrow for them
# while NumPy's loop is exact. The loop signatures (``cupy.fmod.types`` lists ``qq->q``)
# do not show it; the loop's code does: ``fmod((double)in0, (double)in1)``, so fmod of
# int64 values past 2**53 is off on a GPU. Only casts that can change an answer are listed
# (narrower integers fit float64 exactly; ``isnan`` of a rounded int64 is still False).
UFUNC_INEXACT_INT: dict[str, frozenset[str]] = {
    "fmod": frozenset({"int64", "uint64"}),
}
# ufunc.at kernels that run but are inexact on these dtypes (measured on a GPU, not in the
# wheel's tables): CuPy 14.2's float64 maximum.at/minimum.at round through float32 (its
# atomicMax/atomicMin(double*) in cupy/_core/include/cupy/atomics.cuh call fmaxf/fminf).
UFUNC_AT_INEXACT = frozenset({("maximum", "float64"), ("minimum", "float64")})
# Functions whose first argument must be a device array already: CuPy calls its own method
# (given a NumPy scalar, a host result comes back: cupy.reshape(np.float32(1), (1,)) is a
# numpy.ndarray, cupy.sum(np.float32(1)) a numpy.float32) or a typed kernel that raises
# (cupy.expand_dims, cupy.cumsum). The strict backend refuses the scalar at once. Checked
# by hand on the 14.2 wheel (no GPU needed): each was called with np.float32(1.5).
ARRAY_FIRST = frozenset({
    "all", "amax", "amin", "any", "argmax", "argmin", "argpartition", "argsort", "argwhere",
    "broadcast_to", "clip", "copy", "count_nonzero", "cumprod", "cumsum", "dot",
    "expand_dims", "flatnonzero", "flip", "max", "mean", "min", "moveaxis", "nonzero",
    "permute_dims", "prod", "ptp", "ravel", "repeat", "reshape", "rollaxis", "squeeze", "std",
    "sum", "swapaxes", "take", "transpose", "var",
})
# ndarray attributes NumPy has and CuPy does not.
NDARRAY_MISSING = frozenset({
    "ctypes", "getfield", "resize", "setfield", "setflags", "to_device",
})

# Missing in CuPy 13 (present in 14), or a NumPy class CuPy lacks: refused as well.
OLDER_MISSING = frozenset({"bitwise_count", "errstate"})
# The keyword arguments every CuPy ufunc call takes (NumPy's ``where=`` is not one of them).
UFUNC_KEYWORDS = frozenset({"out", "dtype", "casting"})
# ufunc.reduce / ufunc.accumulate exist in CuPy only for these.
UFUNC_REDUCE = frozenset({"add", "multiply"})
# Functions that copy host data to the device explicitly (the others refuse host arrays).
FROM_HOST = frozenset({"array", "asarray", "asanyarray", "ascontiguousarray"})


def missing(prefix: str, name: str) -> bool:
    """Whether CuPy lacks ``{prefix}{name}`` (``prefix`` is ``""``, ``"linalg."``…).

    Examples:
        >>> missing("", "errstate"), missing("", "add"), missing("linalg.", "multi_dot")
        (True, False, True)
    """
    return name in MISSING.get(prefix, ()) or (not prefix and name in OLDER_MISSING)


def bad_keywords(prefix: str, name: str, kwargs: dict) -> list[str]:
    """The keyword arguments of this call that CuPy's function does not take.

    Examples:
        >>> bad_keywords("", "add", {"out": None, "where": True})
        ['where']
        >>> bad_keywords("", "sort", {"axis": 0, "kind": "stable"})
        []
    """
    if not prefix and name in UFUNCS:
        allowed = UFUNC_KEYWORDS
    else:
        allowed = KEYWORDS.get(prefix, {}).get(name)
        if allowed is None:
            return []
    return [k for k in kwargs if k not in allowed]


def _generate() -> str:  # pragma: no cover - needs CuPy
    """The tables above, as Python source, from the installed CuPy."""
    import inspect

    import cupy
    import numpy as np

    def names(xs: list[str], indent: int) -> str:
        lines, line = [], " " * indent
        for n in xs:
            if len(line) + len(n) + 4 > 96:
                lines.append(line.rstrip())
                line = " " * indent
            line += f'"{n}", '
        return "\n".join([*lines, line.rstrip()])

    out = ["MISSING: dict[str, frozenset[str]] = {"]
    kws = ["KEYWORDS: dict[str, dict[str, tuple[str, ...]]] = {"]
    for prefix, mod, cmod in (("", np, cupy), ("linalg.", np.linalg, cupy.linalg),
                              ("fft.", np.fft, cupy.fft)):
        miss = []
        kws.append(f'    "{prefix}": {{')
        for n in sorted(dir(mod)):
            a = getattr(mod, n)
            if n.startswith("_") or not callable(a) or isinstance(a, type):
                continue
            c = getattr(cmod, n, None)
            if c is None:
                miss.append(n)
                continue
            try:
                ps = inspect.signature(c).parameters.values()
            except (TypeError, ValueError):
                continue
            if isinstance(c, cupy.ufunc) or any(p.kind is p.VAR_KEYWORD for p in ps):
                continue
            kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
            kws.append(f'        "{n}": {tuple(p.name for p in ps if p.kind in kinds)!r},')
        kws.append("    },")
        out.append(f'    "{prefix}": frozenset({{\n{names(miss, 8)}\n    }}),')
    ufuncs = sorted(n for n in dir(cupy) if isinstance(getattr(cupy, n), cupy.ufunc))
    at = [n for n in ufuncs if getattr(cupy, n)._scatter_op]
    attrs = sorted(n for n in dir(np.ndarray) if not n.startswith("_")
                   and not hasattr(cupy.ndarray, n))
    at_dtypes = ["UFUNC_AT_DTYPES: dict[str, frozenset[str]] = {"]
    for n in at:
        body = ", ".join(f'"{d}"' for d in _at_dtypes(getattr(cupy, n)))
        at_dtypes.append(f'    "{n}": frozenset({{{body}}}),')
    inexact = ["UFUNC_INEXACT_INT: dict[str, frozenset[str]] = {"]
    for n in ufuncs:
        dts = _inexact_int_inputs(getattr(cupy, n), getattr(np, n, None))
        if dts:
            body = ", ".join(f'"{d}"' for d in dts)
            inexact.append(f'    "{n}": frozenset({{{body}}}),')
    return "\n".join([
        f'CUPY_VERSION = "{cupy.__version__}"', "", *out, "}", "", *kws, "}", "",
        f"UFUNCS = frozenset({{\n{names(ufuncs, 4)}\n}})",
        f"UFUNC_AT = frozenset({{\n{names(at, 4)}\n}})",
        *at_dtypes, "}", *inexact, "}",
        f"NDARRAY_MISSING = frozenset({{\n{names(attrs, 4)}\n}})", ""])


# By name: np.dtype("int64") is the type int64 arrays have (np.dtype("q") is longlong,
# which CuPy's isinstance checks may treat apart).
_INTEGERS = ("int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64")


def _at_dtypes(u: Any) -> list[str]:  # pragma: no cover - needs CuPy
    """The dtypes ``u.at`` has a kernel for (CuPy raises TypeError on the others).

    The wheel holds that check compiled, so it is asked: on empty arrays ``u.at`` raises
    TypeError for a dtype it refuses before any device work; an accepted one goes on to the
    device, and the call returns on a GPU (nothing to scatter) or fails without one.
    """
    import cupy
    import numpy as np
    from cupy.cuda import driver, memory, runtime

    nowhere = memory.MemoryPointer(memory.UnownedMemory(0, 0, None, device_id=0), 0)
    found = []
    for d in map(np.dtype, ("bool", *_INTEGERS, "float16", "float32", "float64",
                            "complex64", "complex128")):
        empty = cupy.ndarray((0,), d, memptr=nowhere)
        try:
            u.at(empty, cupy.ndarray((0,), np.intp, memptr=nowhere), empty)
        except TypeError:
            continue
        except (runtime.CUDARuntimeError, driver.CUDADriverError):
            pass  # past the dtype check: no GPU to run the kernel
        found.append(d.name)
    return found


def _inexact_int_inputs(u: Any, nu: Any) -> list[str]:  # pragma: no cover - needs CuPy
    """The integer dtypes on which CuPy's ufunc ``u`` computes through a float type that
    cannot hold every value, where NumPy's ``nu`` has an exact integer loop.

    Either CuPy has no integer loop and picks a float one, or its integer loop's body casts
    to a float (``cupy.fmod``'s ``qq->q`` loop is ``fmod((double)in0, (double)in1)``: the
    signatures in ``.types`` hide that, the loops' code shows it). A float type whose
    significand holds every value of the dtype (int32 in float64) is exact and left out, and
    so is an inexact cast that cannot change the answer (``isnan`` of an int64): both routes
    are evaluated on the dtype's extremes and around 2**53.
    """
    import numpy as np

    if not isinstance(nu, np.ufunc):
        return []
    found = []
    for d in map(np.dtype, _INTEGERS):
        try:
            loop = nu.resolve_dtypes((d,) * nu.nin + (None,) * nu.nout)
            op = u._ops._guess_routine_from_in_types((d,) * u.nin)
        except (TypeError, ValueError):
            continue
        if op is None or any(t.kind not in "biu" for t in loop[:nu.nin]):
            continue  # NumPy computes in floats as well: the same answer
        via = [t for t in op.in_types if t.kind == "f"]
        via += [np.dtype(t) for c, t in (("(double)", "f8"), ("(float)", "f4"))
                if c in str(op.routine)]
        info = np.iinfo(d)
        if not via or info.bits - (d.kind == "i") <= np.finfo(via[0]).nmant + 1:
            continue  # every value has an exact float (NumPy's can_cast says int64 too)
        big = 2 ** (np.finfo(via[0]).nmant + 1) + 1
        vals = [v for v in (info.min, info.min + 1, -big, -3, -1, 1, 2, 3, big, info.max - 1,
                            info.max) if info.min <= v <= info.max]
        args = [a.ravel() for a in np.meshgrid(*[np.array(vals, d)] * nu.nin)]
        with np.errstate(all="ignore"):
            exact = nu(*args)
            rounded = nu(*[a.astype(via[0]) for a in args])
        pairs = zip(*[(x,) if nu.nout == 1 else x for x in (exact, rounded)])
        if not all(np.array_equal(r.astype(e.dtype), e) for e, r in pairs):
            found.append(d.name)
    return found


if __name__ == "__main__":  # pragma: no cover - needs CuPy
    print(_generate())
