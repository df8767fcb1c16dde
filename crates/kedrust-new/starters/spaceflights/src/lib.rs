//! The part of the spaceflights example its tests read as well as its binary: the raw-data
//! generator and the relation it plants, so the end-to-end test checks the fitted model
//! against the generator's own truth rather than a copy of it.

pub mod generate;
