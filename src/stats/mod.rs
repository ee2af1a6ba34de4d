//! Statistics engine: pure computations, no framework imports.
