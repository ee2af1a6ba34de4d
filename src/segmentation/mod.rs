//! Segmentation metrics engine: pure computations, no framework imports.
