//! Browser I/O (placeholder until the folder source lands).
