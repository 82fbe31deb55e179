"""Pin format_tensor to MindSpore 2.10's repr(Tensor) output."""
import numpy as np
import pytest

from s2sgrad.tensor_repr import format_tensor

F32 = np.float32


# --- Real MindSpore 2.10 output (the certain reference) -----------------------

@pytest.mark.parametrize("arr, expected", [
    (np.array([1.3862944], F32),
     "Tensor(shape=[1], dtype=Float32, value= [ 1.38629436e+00])"),
    (np.array([[-1, -1]], F32),
     "Tensor(shape=[1, 2], dtype=Float32, value=\n"
     "[[-1.00000000e+00, -1.00000000e+00]])"),
    (np.array([[0, 0]], F32),
     "Tensor(shape=[1, 2], dtype=Float32, value=\n"
     "[[ 0.00000000e+00,  0.00000000e+00]])"),
    (np.array([[-0.5, -0.5], [-0.5, -0.5]], F32),
     "Tensor(shape=[2, 2], dtype=Float32, value=\n"
     "[[-5.00000000e-01, -5.00000000e-01],\n"
     " [-5.00000000e-01, -5.00000000e-01]])"),
])
def test_real_mindspore_output(arr, expected):
    assert format_tensor(arr, "Float32") == expected


# --- 0-d tensors: C++ default ostream (%g, 6 significant digits) ---------------

@pytest.mark.parametrize("value, shown", [
    (2.0, "2"), (1.3862944, "1.38629"), (1e20, "1e+20"), (-0.0, "-0"),
    (np.nan, "nan"), (np.inf, "inf"), (-np.inf, "-inf"),
])
def test_scalar_float(value, shown):
    assert format_tensor(np.array(value, F32), "Float32") == \
        f"Tensor(shape=[], dtype=Float32, value= {shown})"


def test_scalar_int_and_bool():
    assert format_tensor(np.array(-7, np.int64), "Int64") == \
        "Tensor(shape=[], dtype=Int64, value= -7)"
    assert format_tensor(np.array(True), "Bool") == "Tensor(shape=[], dtype=Bool, value= True)"
    assert format_tensor(np.array(False), "Bool") == "Tensor(shape=[], dtype=Bool, value= False)"


# --- Element formatting ------------------------------------------------------

def test_float_specials_and_three_digit_exponent():
    # setw(15) is a minimum: a 3-digit exponent makes a 15-char field with no pad.
    arr = np.array([1e-300, -0.0, np.nan, -np.inf])
    assert format_tensor(arr, "Float64") == (
        "Tensor(shape=[4], dtype=Float64, value= "
        "[1.00000000e-300, -0.00000000e+00,             nan,            -inf])")


def test_float16_width_11_precision_4():
    arr = np.array([1.5, -2.25, np.nan, np.inf], np.float16)
    assert format_tensor(arr, "Float16") == (
        "Tensor(shape=[4], dtype=Float16, value= "
        "[ 1.5000e+00, -2.2500e+00,         nan,         inf])")


def test_input_is_cast_to_named_dtype():
    # A float64 array labelled Float32 is rounded like MindSpore stores it.
    assert format_tensor(np.array([1.3862944]), "Float32") == \
        "Tensor(shape=[1], dtype=Float32, value= [ 1.38629436e+00])"


def test_int_2d_padded_to_widest_element():
    arr = np.array([[1, -100], [20, 3]], np.int32)
    assert format_tensor(arr, "Int32") == (
        "Tensor(shape=[2, 2], dtype=Int32, value=\n"
        "[[   1, -100],\n"
        " [  20,    3]])")


def test_int_width_ignores_summarised_away_elements():
    arr = np.arange(1001, dtype=np.int64)
    arr[500] = -123456789  # hidden by summarisation, so it must not widen the field
    assert format_tensor(arr, "Int64") == \
        "Tensor(shape=[1001], dtype=Int64, value= [   0,    1,    2 ...  998,  999, 1000])"


def test_bool_1d_width_5():
    assert format_tensor(np.array([True, False, True]), "Bool") == \
        "Tensor(shape=[3], dtype=Bool, value= [ True, False,  True])"


# --- Summarisation -------------------------------------------------------------

def test_summarised_8x8_float():
    arr = np.arange(64, dtype=F32).reshape(8, 8)
    assert format_tensor(arr, "Float32") == (
        "Tensor(shape=[8, 8], dtype=Float32, value=\n"
        "[[ 0.00000000e+00,  1.00000000e+00,  2.00000000e+00 ...  5.00000000e+00,  6.00000000e+00,  7.00000000e+00],\n"
        " [ 8.00000000e+00,  9.00000000e+00,  1.00000000e+01 ...  1.30000000e+01,  1.40000000e+01,  1.50000000e+01],\n"
        " [ 1.60000000e+01,  1.70000000e+01,  1.80000000e+01 ...  2.10000000e+01,  2.20000000e+01,  2.30000000e+01],\n"
        " ...\n"
        " [ 4.00000000e+01,  4.10000000e+01,  4.20000000e+01 ...  4.50000000e+01,  4.60000000e+01,  4.70000000e+01],\n"
        " [ 4.80000000e+01,  4.90000000e+01,  5.00000000e+01 ...  5.30000000e+01,  5.40000000e+01,  5.50000000e+01],\n"
        " [ 5.60000000e+01,  5.70000000e+01,  5.80000000e+01 ...  6.10000000e+01,  6.20000000e+01,  6.30000000e+01]])")


def test_six_rows_and_columns_are_not_summarised():
    arr = np.arange(36, dtype=np.int32).reshape(6, 6)
    out = format_tensor(arr, "Int32")
    assert "..." not in out
    assert out.endswith(" [30, 31, 32, 33, 34, 35]])")


def test_1d_up_to_1000_not_summarised():
    out = format_tensor(np.zeros(1000, np.int8), "Int8")
    values = out.split("value= ")[1]
    assert "..." not in values and values.count("0") == 1000


# --- 1-D line wrapping -----------------------------------------------------------

def test_wrap_13_floats_leaves_trailing_separator():
    arr = np.arange(13, dtype=F32)
    assert format_tensor(arr, "Float32") == (
        "Tensor(shape=[13], dtype=Float32, value= [ 0.00000000e+00,  1.00000000e+00,  2.00000000e+00,"
        "  3.00000000e+00,  4.00000000e+00,  5.00000000e+00,  6.00000000e+00,  7.00000000e+00,"
        "  8.00000000e+00,  9.00000000e+00,  1.00000000e+01,  1.10000000e+01, \n"
        "  1.20000000e+01])")


def test_wrap_exactly_12_floats_ends_with_newline_bracket():
    arr = np.arange(12, dtype=F32)
    assert format_tensor(arr, "Float32") == (
        "Tensor(shape=[12], dtype=Float32, value= [ 0.00000000e+00,  1.00000000e+00,  2.00000000e+00,"
        "  3.00000000e+00,  4.00000000e+00,  5.00000000e+00,  6.00000000e+00,  7.00000000e+00,"
        "  8.00000000e+00,  9.00000000e+00,  1.00000000e+01,  1.10000000e+01\n ])")


def test_wrap_ints_every_24_and_bools_every_12():
    ints = format_tensor(np.arange(25, dtype=np.int64), "Int64")
    assert ints.endswith(" 22, 23, \n 24])")
    assert ints.count("\n") == 1
    bools = format_tensor(np.arange(13) % 2 == 0, "Bool")
    assert bools.endswith(" True, False, \n  True])")


def test_no_wrap_for_ndim_above_1():
    out = format_tensor(np.zeros((1, 6), F32), "Float32")
    assert out.count("\n") == 1  # only the one after "value="


# --- Nesting, empties, errors -----------------------------------------------------

def test_3d_indentation():
    # Inner rows get depth+1 = 2 spaces, 2-D blocks 1 space; no blank line between blocks.
    arr = np.arange(8, dtype=np.int32).reshape(2, 2, 2)
    assert format_tensor(arr, "Int32") == (
        "Tensor(shape=[2, 2, 2], dtype=Int32, value=\n"
        "[[[0, 1],\n"
        "  [2, 3]],\n"
        " [[4, 5],\n"
        "  [6, 7]]])")


def test_3d_summarised_outer_and_inner():
    arr = np.arange(7 * 7 * 7, dtype=np.int32).reshape(7, 7, 7)
    lines = format_tensor(arr, "Int32").split("\n")
    assert lines[1] == "[[[  0,   1,   2 ...   4,   5,   6],"
    assert lines[4] == "  ..."
    assert lines[7] == "  [ 42,  43,  44 ...  46,  47,  48]],"
    assert lines[22] == " ..."
    assert lines[23] == " [[196, 197, 198 ... 200, 201, 202],"
    assert lines[-1] == "  [336, 337, 338 ... 340, 341, 342]]])"
    assert len(lines) == 1 + 6 * 7 + 1


@pytest.mark.parametrize("shape, dtype_name", [((0,), "Float32"), ((2, 0), "Int32")])
def test_empty_tensor(shape, dtype_name):
    dims = ", ".join(str(d) for d in shape)
    assert format_tensor(np.zeros(shape), dtype_name) == \
        f"Tensor(shape=[{dims}], dtype={dtype_name}, value=\n)"


def test_unknown_dtype_name_rejected():
    with pytest.raises(ValueError):
        format_tensor(np.zeros(2), "Complex64")
