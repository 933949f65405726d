# Writes the small .npy/.npz files NPYTests reads (run with a Python that has NumPy, from this folder).
# Values are simple formulas so the tests can state them; keep the folder under 20 KB.
import numpy as np
from numpy.lib import format as npformat

def save(name, array, version=None):
    with open(name, "wb") as f:
        npformat.write_array(f, array, version=version)

save("f4_2x3.npy", (np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5 - 1))
save("f8_3.npy", np.array([1 / 3, -2.5, 1e10], dtype=np.float64))
save("f2_3.npy", np.array([0.5, -1.25, 65504], dtype=np.float16))
save("i8_2x2.npy", np.array([[-1, 2**40], [3, -4]], dtype=np.int64))
save("i4_4.npy", np.array([-2147483648, -1, 0, 2147483647], dtype=np.int32))
save("i2_3.npy", np.array([-32768, 7, 32767], dtype=np.int16))
save("u1_2x2x2.npy", np.arange(8, dtype=np.uint8).reshape(2, 2, 2) * 30)
save("b1_5.npy", np.array([True, False, True, True, False]))
save("be_f4_2x2.npy", np.array([[1.5, -2], [3.25, 1e-3]], dtype=">f4"))
save("be_i8_3.npy", np.array([1, -2, 2**33], dtype=">i8"))
save("be_f8_2.npy", np.array([0.1, -7], dtype=">f8"))
save("fortran_f4_2x3x4.npy", np.asfortranarray(np.arange(24, dtype=np.float32).reshape(2, 3, 4)))
save("fortran_i4_3x2.npy", np.asfortranarray(np.array([[1, 2], [3, 4], [5, 6]], dtype=np.int32)))
save("scalar_f4.npy", np.array(3.5, dtype=np.float32))
save("empty_f4_0x3.npy", np.zeros((0, 3), dtype=np.float32))
save("v2_f4_3.npy", np.array([1, 2, 3], dtype=np.float32), version=(2, 0))
save("v3_i8_2.npy", np.array([5, -6], dtype=np.int64), version=(3, 0))
np.savez("stored.npz", a=np.arange(4, dtype=np.float32), b=np.array([[1, 2], [3, 4]], dtype=np.int64))
np.savez_compressed("deflated.npz", weights=np.linspace(-1, 1, 50, dtype=np.float32).reshape(5, 10),
                    labels=np.arange(10, dtype=np.uint8) % 3, mask=np.array([True, False]))

# Zip64 records everywhere (central-directory extras and the zip64 end record), as NumPy writes for
# archives over 4 GiB: lowering zipfile's limit makes it use them for a small file too.
import zipfile
zipfile.ZIP64_LIMIT = 0
np.savez("zip64.npz", x=np.array([7, 8, 9], dtype=np.int32), y=np.array([[0.25]], dtype=np.float32))
