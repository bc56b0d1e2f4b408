//! Integration tests of the tsload binary.
